{% macro ranker_features(pairs_relation, as_of_column) -%}
    {#- The one feature code path of every ranker: for each row of pairs_relation (with
        customer_id, offer_id and the as-of date in as_of_column) its customer, offer and
        interaction features as of that date, from the as-of feature models. Training examples
        (as of the impression's week), the serving pool (as of run_date) and the evaluation
        pool (as of the cutoff) all call it, so their features cannot drift apart. -#}
    with pair_dates as (
        -- the as-of dates the pairs ask for, computed once: each as-of feature model is read
        -- only at them (at_pair_dates)
        select distinct {{ as_of_column }} as as_of_date from {{ pairs_relation }}
    )

    select
        pairs.*,
        {{ customer_features_as_of('pairs.' ~ as_of_column) }},
        offers.category_id,
        offers.discount_pct,
        economics.margin_impact,
        {{ days_between('pairs.' ~ as_of_column, 'offers.end_date') }} as days_until_expiry,
        history.historical_redemption_rate,
        coalesce(offer_purchases.offer_product_orders, 0) > 0 as bought_before,
        coalesce(offer_purchases.offer_product_orders, 0) as offer_product_orders,
        coalesce(offer_purchases.offer_product_spend, 0) as offer_product_spend,
        offer_purchases.days_since_offer_product_purchase,
        coalesce(offer_purchases.offer_product_decayed_orders, 0) as offer_product_decayed_orders,
        coalesce(product_sets.offer_product_count, 0) as offer_product_count,
        coalesce(popularity.offer_product_popularity, 0) as offer_product_popularity,
        coalesce(popularity.offer_product_segment_popularity, 0) as offer_product_segment_popularity,
        coalesce(category_spend.category_spend_share, 0) as category_affinity_score,
        {{ price_sensitivity('rfm.private_label_spend_share', 'rfm.promo_line_share') }} * offers.discount_pct
            as price_sensitivity_match,
        {{ days_between('category_spend.last_category_purchase_date', 'pairs.' ~ as_of_column) }}
            as days_since_last_category_purchase,
        -- Item2Vec: cosine of the customer's (recency-weighted) and its last basket's product
        -- vectors with the offer's mean product vector; null without vectors
        array_cosine_similarity(customer_vectors.customer_vector, offer_vectors.vector) as item2vec_similarity,
        array_cosine_similarity(customer_vectors.last_basket_vector, offer_vectors.vector)
            as item2vec_last_basket_similarity,
        -- SASRec: the probability mass of the offer's products in the customer's next basket
        sasrec.sasrec_offer_probability,
        rfm.last_order_date
    from {{ pairs_relation }} as pairs
    inner join {{ ref('stg_metro__customers') }} as customers on pairs.customer_id = customers.customer_id
    inner join {{ ref('stg_metro__offers') }} as offers on pairs.offer_id = offers.offer_id
    inner join {{ ref('int_offer_economics') }} as economics on pairs.offer_id = economics.offer_id
    inner join {{ at_pair_dates(ref('int_customer_rfm')) }} as rfm
        on pairs.customer_id = rfm.customer_id and pairs.{{ as_of_column }} = rfm.as_of_date
    inner join {{ at_pair_dates(ref('int_customer_promo_affinity')) }} as promo
        on pairs.customer_id = promo.customer_id and pairs.{{ as_of_column }} = promo.as_of_date
    inner join {{ at_pair_dates(ref('int_offer_redemption_history')) }} as history
        on pairs.offer_id = history.offer_id and pairs.{{ as_of_column }} = history.as_of_date
    left join {{ at_pair_dates(ref('int_customer_category_entropy')) }} as entropy
        on pairs.customer_id = entropy.customer_id and pairs.{{ as_of_column }} = entropy.as_of_date
    left join {{ at_pair_dates(ref('int_customer_category_spend')) }} as category_spend
        on
            pairs.customer_id = category_spend.customer_id
            and pairs.{{ as_of_column }} = category_spend.as_of_date
            and offers.category_id = category_spend.category_id
    left join {{ ref('int_offer_product_sets') }} as product_sets on pairs.offer_id = product_sets.offer_id
    left join {{ at_pair_dates(ref('int_customer_offer_purchases')) }} as offer_purchases
        on
            pairs.customer_id = offer_purchases.customer_id
            and pairs.offer_id = offer_purchases.offer_id
            and pairs.{{ as_of_column }} = offer_purchases.as_of_date
    left join {{ at_pair_dates(ref('int_offer_product_popularity')) }} as popularity
        on
            pairs.offer_id = popularity.offer_id
            and pairs.{{ as_of_column }} = popularity.as_of_date
            and customers.segment = popularity.segment
    left join {{ at_pair_dates(ref('item2vec_customer_vectors')) }} as customer_vectors
        on pairs.customer_id = customer_vectors.customer_id and pairs.{{ as_of_column }} = customer_vectors.as_of_date
    left join {{ ref('item2vec_offer_vectors') }} as offer_vectors
        on pairs.offer_id = offer_vectors.offer_id and customer_vectors.anchor_date = offer_vectors.anchor_date
    left join {{ at_pair_dates(ref('sasrec_offer_probabilities')) }} as sasrec
        on
            pairs.customer_id = sasrec.customer_id
            and pairs.{{ as_of_column }} = sasrec.as_of_date
            and product_sets.product_set_id = sasrec.product_set_id
{%- endmacro %}

{% macro customer_features_as_of(as_of_date) -%}
    {#- The customer-level ranker features as of as_of_date, from the relations aliased
        customers (stg_metro__customers), rfm, promo and entropy joined at that date:
        ranker_features and the customer_features mart (the dashboard's view of the serving
        date) both select these, so the two cannot disagree. -#}
    customers.segment,
    rfm.recency_days,
    rfm.frequency,
    rfm.monetary,
    rfm.avg_basket_value,
    promo.promo_affinity,
    coalesce(entropy.category_entropy, 0) as category_entropy,
    greatest({{ days_between('customers.signup_date', as_of_date) }}, 0) as tenure_days
{%- endmacro %}

{% macro at_pair_dates(feature_relation) -%}
    {#- The rows of an as-of feature model dated on one of the pairs' as-of dates (the CTE
        pair_dates of ranker_features): the same join, but the hash table DuckDB builds holds
        only those dates (the serving pool's one date of int_customer_category_spend is 14M of
        its 202M rows at a million customers). -#}
    (select * from {{ feature_relation }} where as_of_date in (select pair_dates.as_of_date from pair_dates))
{%- endmacro %}

{% macro ranker_feature_columns(relation_alias='') -%}
    {#- The ranker features that ranker_features computes (declared in vars
        ranker_numeric_features and ranker_categorical_features, which
        metro_offers.ranking.features reads too), as a select list qualified by relation_alias
        when given: candidate_features, training_examples and uplift_examples carry exactly
        these (their contracts fix the column order). -#}
    {%- set columns = var('ranker_numeric_features') + var('ranker_categorical_features') -%}
    {%- for column in columns %}
    {{ relation_alias ~ '.' if relation_alias }}{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
