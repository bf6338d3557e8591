-- Shannon entropy (natural log) of each customer's category spend shares per as-of date:
-- 0 when one category takes all spend, ln(number of categories) when spend is spread evenly.
-- The normalised value divides by ln of the catalogue's category count, so it lies in [0, 1].
-- Both are rounded to 6 decimals (features, not accounting).
with n_categories as (
    select count(*) as category_count from {{ ref('categories') }}
),

entropy as (
    select
        customer_id,
        as_of_date,
        count(*) as categories_bought,
        round(sum(category_spend_share * ln(1 / category_spend_share)), 6) as category_entropy
    from {{ ref('int_customer_category_spend') }}
    where category_spend_share > 0
    group by customer_id, as_of_date
)

select
    entropy.customer_id,
    entropy.as_of_date,
    entropy.categories_bought,
    entropy.category_entropy,
    round(entropy.category_entropy / ln(n_categories.category_count), 6) as category_entropy_normalised
from entropy
cross join n_categories
