-- Every landed row that a staging rule refused, with the rule and the row as landed.
-- Nothing is dropped silently: accepted + rejected = landed, for every table.
{%- set landed_tables = ['customers', 'products', 'offers', 'orders', 'order_items', 'impressions', 'redemptions'] %}
{% for table_name in landed_tables %}
    select
        '{{ table_name }}' as source_table,
        rejection_reason,
        source_file,
        source_row
    from {{ ref('base_metro__' ~ table_name) }}
    where rejection_reason is not null
    {% if not loop.last %}union all{% endif %}
{% endfor %}
