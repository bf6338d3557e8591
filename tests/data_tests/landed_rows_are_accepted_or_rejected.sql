-- Nothing is dropped silently: for every landed table, accepted rows (stg_) plus rejected
-- rows equal the rows in the landing zone.
{%- set landed_tables = [
    'customers', 'products', 'offers', 'offer_products', 'orders', 'order_items', 'impressions', 'redemptions'
] %}
with counts as (
    {% for table_name in landed_tables %}
        select
            '{{ table_name }}' as source_table,
            (select count(*) from {{ source('metro_raw', table_name) }}) as landed,
            (select count(*) from {{ ref('stg_metro__' ~ table_name) }}) as accepted,
            (
                select count(*) from {{ ref('rejected_rows') }}
                where source_table = '{{ table_name }}'
            ) as rejected
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select *
from counts
where landed != accepted + rejected
