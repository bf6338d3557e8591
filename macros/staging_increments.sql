{#-
    Incremental staging of the order lines (base_metro__order_items): a line's rejection
    depends only on the other copies of its key and on its order, product and offer, so a run
    restages every line of the orders the batches landed since its last run touch
    (touched_order_ids) and replaces those orders' rows (delete+insert by order_id); null-key
    lines are only ever new. Everything is restaged when the model's code changed since its
    last run (or with --full-refresh). What it has seen is kept in ops.as_of_watermarks.
-#}

{% macro restaged_by_order_config() -%}
    {#- `{{ config(**restaged_by_order_config()) }}` -#}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'order_id',
        'on_schema_change': 'fail',
        'pre_hook': ['{{ forget_all_without_watermark() }}'],
        'post_hook': [
            "{{ as_of_record_watermark([], ['orders', 'order_items', 'customers', 'products', 'offers']) }}",
        ],
    }) -}}
{%- endmacro %}

{% macro forget_all_without_watermark() -%}
    {#- pre-hook: an incremental run of a changed model restages every row, so none is kept. -#}
    {%- if execute and is_incremental() and not as_of_has_watermark([]) %}
    delete from {{ this }}
    {%- endif %}
{%- endmacro %}
