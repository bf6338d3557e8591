{#-
    Incremental daily facts: one row per key and day with running totals to that day (e.g.
    int_product_set_daily_purchases). A stored row stays right until an order on or before its
    day changes, so a run first forgets (pre-hook daily_forget_touched) every row dated on or
    after the earliest day the batches landed since the model's last run touch
    (touched_order_days: the same rule as the as-of models), then the model appends the days
    after the last one it still holds, its running totals carried on from each key's last held
    row. What the model has seen is kept in ops.as_of_watermarks, as for the as-of models.
-#}

{% macro daily_fact_config(settings) -%}
    {#- `{{ config(**daily_fact_config(settings)) }}`; `settings`: the names of the vars it reads. -#}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': ['{{ daily_forget_touched(' ~ tojson(settings) ~ ') }}'],
        'post_hook': ['{{ as_of_record_watermark(' ~ tojson(settings) ~ ') }}'],
    }) -}}
{%- endmacro %}

{% macro daily_forget_touched(settings) -%}
    {#- pre-hook: drop the rows dated on or after the earliest touched day, or every row when
        the model's code or settings changed since its last run. -#}
    {%- if execute and is_incremental() %}
    delete from {{ this }}
    {%- if as_of_has_watermark(settings) %}
    where order_date >= (select min(touched_day) from ({{ touched_order_days() }}) as touched)
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{% macro last_held_day() -%}
    {#- The last day the model holds after its pre-hook (SQL): null on a full build or when it
        holds none. -#}
    {%- if execute and this is not none and is_incremental() -%}
    (select max(held.order_date) from {{ this }} as held)
    {%- else -%}
    cast(null as date)
    {%- endif -%}
{%- endmacro %}

{% macro carried_running_totals(keys, totals) -%}
    {#- Each key's `totals` at its last held day, for the keys the model's `daily` CTE adds
        days to: the values its new days' running totals continue from. No row on a full build. -#}
    {%- if execute and this is not none and is_incremental() %}
    select
        {%- for key in keys %}
        held.{{ key }},
        {%- endfor %}
        {%- for total in totals %}
        arg_max(held.{{ total }}, held.order_date) as {{ total }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ this }} as held
    inner join (select distinct {{ keys | join(', ') }} from daily) as added
        on {% for key in keys %}held.{{ key }} = added.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    group by {% for key in keys %}held.{{ key }}{{ ", " if not loop.last }}{% endfor %}
    {%- else %}
    select
        {{ keys | join(', ') }},
        {%- for total in totals %}
        null as {{ total }}{{ "," if not loop.last }}
        {%- endfor %}
    from daily
    where false
    {%- endif %}
{%- endmacro %}
