-- Every landed row that a staging rule refused, with the rule, where it came from and the
-- whole row as JSON. Nothing is dropped silently: accepted + rejected = landed.
{%- set landed_tables = [
    'customers', 'products', 'offers', 'offer_products', 'orders', 'order_items', 'impressions', 'redemptions'
] %}
{% for table_name in landed_tables %}
    select
        '{{ table_name }}' as source_table,
        rejected.rejection_reason,
        rejected.source_file,
        rejected.file_row_number,
        to_json(rejected) as source_row
    from {{ ref('base_metro__' ~ table_name) }} as rejected
    where rejected.rejection_reason is not null
    {% if not loop.last %}union all{% endif %}
{% endfor %}
