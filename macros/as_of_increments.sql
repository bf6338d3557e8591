{#-
    Incremental as-of feature models. Each row of such a model is the features of one
    (customer, as-of date) pair of int_feature_requests, computed from data strictly before
    the as-of date, so a stored row stays right until data before its date changes. A run
    therefore first forgets (pre-hook as_of_forget_touched) every pair dated after the
    earliest day that the batches landed since the model's last run touch (a late or
    corrected row, a re-landed customer, product or offer that changes which rows are
    accepted), then computes the requested pairs it does not hold (today's serving and
    evaluation pools, new training weeks, the forgotten ones), and forgets pairs no longer
    requested. Everything is recomputed when its settings, its code or the code of a model
    upstream of it changed since its last run (or with --full-refresh). What a model has seen
    (the landed batches, a fingerprint of that code and those settings) is kept in
    ops.as_of_watermarks.
-#}

{% macro landed_batch(source_file) -%}
    {#- A landed file's batch name (metro_offers.landing): the same wherever the landing zone lives. -#}
    regexp_extract({{ source_file }}, '([^/]+)\.parquet$', 1)
{%- endmacro %}

{% macro create_as_of_watermarks_table() -%}
    {#- on-run-start: where incremental as-of models keep what they have seen. -#}
    {%- if execute and flags.WHICH in ('build', 'run') %}
        create schema if not exists ops;
        create table if not exists ops.as_of_watermarks (
            model varchar primary key,
            fingerprint varchar not null,
            batches_seen varchar [] not null
        );
    {%- endif %}
{%- endmacro %}

{% macro as_of_model_config(touched, settings) -%}
    {#- The config of an incremental as-of model:
        `{{ config(**as_of_model_config(touched, settings)) }}` (as_of_forget_touched). -#}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': ['{{ as_of_forget_touched(' ~ tojson(touched) ~ ', ' ~ tojson(settings) ~ ') }}'],
        'post_hook': [
            '{{ as_of_forget_unrequested() }}',
            '{{ as_of_record_watermark(' ~ tojson(settings) ~ ') }}',
        ],
    }) -}}
{%- endmacro %}

{% macro as_of_fingerprint(settings) -%}
    {#- `settings`: the names of the vars the model reads. The code is the model's and that of
        every model upstream of it (upstream_code), so a changed rule anywhere before it (a
        staging model's, a daily fact's) recomputes its stored rows on the next daily run. -#}
    {%- set values = [] %}
    {%- for name in settings %}{% do values.append([name, var(name)]) %}{% endfor %}
    {{- return(local_md5(upstream_code(model.unique_id) ~ '|' ~ tojson(values))) -}}
{%- endmacro %}

{% macro upstream_code(unique_id) -%}
    {#- The code of the node and of every model or seed upstream of it, in a fixed order: what
        the node's stored rows were computed by. (dbt's graph holds no macro code: a macro's
        new body that no model's code mentions is not seen; `metro-offers build` rebuilds all.) -#}
    {%- set queue, seen, parts = [unique_id], [], [] %}
    {#- the loop runs over the queue as it grows: a breadth-first walk of the ancestors -#}
    {%- for node_id in queue if node_id not in seen and node_id in graph.nodes %}
        {%- do seen.append(node_id) %}
        {%- do parts.append(node_id ~ '\n' ~ graph.nodes[node_id].raw_code) %}
        {%- do queue.extend(graph.nodes[node_id].depends_on.nodes) %}
    {%- endfor %}
    {{- return(parts | join('\n')) -}}
{%- endmacro %}

{% macro as_of_has_watermark(settings) -%}
    {#- Whether an incremental run may keep the model's rows: its code and settings are unchanged. -#}
    {%- set found = run_query(
        "select fingerprint from ops.as_of_watermarks where model = '" ~ this.identifier ~ "'"
    ) %}
    {{- return(found.rows | length == 1 and found.rows[0][0] == as_of_fingerprint(settings)) }}
{%- endmacro %}

{% macro batch_unseen(source_file) -%}
    {#- Whether a landed file's batch is one the running model has not seen. -#}
    not list_contains(
        (select batches_seen from ops.as_of_watermarks where model = '{{ this.identifier }}'),
        {{ landed_batch(source_file) }}
    )
{%- endmacro %}

{% macro landed_since_last_run(base_model) -%}
    {#- Rows of a base model from batches the running model has not seen (the files are
        picked first: a batch name per file, not per row). -#}
    select * from {{ ref(base_model) }}
    where source_file in (
        select source_file from (select distinct source_file from {{ ref(base_model) }})
        where {{ batch_unseen('source_file') }}
    )
{%- endmacro %}

{% macro landed_key(column, table) -%}
    {#- Whether a row's `column` value is among those of the rows of the landed `table` in
        batches the running model has not seen. -#}
    {{ column }} in (select {{ column }} from ({{ landed_since_last_run('base_metro__' ~ table) }}))
{%- endmacro %}

{% macro touched_order_ids(landed_items=none, items=none) -%}
    {#- Orders whose acceptance or lines a batch landed since the last run may change.
        base_metro__order_items itself passes its new landed lines and `this` as the
        order-line relations (SQL): a model cannot ref itself. -#}
    select order_id from ({{ landed_since_last_run('base_metro__orders') }})
    union all
    select order_id from ({{ landed_items or landed_since_last_run('base_metro__order_items') }})
    union all
    select order_id from {{ items or ref('base_metro__order_items') }}
    where {{ landed_key('product_id', 'products') }} or {{ landed_key('offer_id', 'offers') }}
    union all
    select order_id from {{ ref('base_metro__orders') }}
    where {{ landed_key('customer_id', 'customers') }}
{%- endmacro %}

{% macro touched_order_days() -%}
    select order_date as touched_day
    from {{ ref('base_metro__orders') }}
    where order_id in ({{ touched_order_ids() }})
{%- endmacro %}

{% macro touched_offer_activity_days() -%}
    {#- Days of the impressions and redemptions a batch landed since the last run may change
        (a redemption is accepted only with its impression and a backing order line). -#}
    {%- set customer_or_offer_landed = landed_key('customer_id', 'customers') ~ ' or ' ~ landed_key('offer_id', 'offers') %}
    select impression_date as touched_day
    from {{ ref('base_metro__impressions') }}
    where {{ landed_key('impression_id', 'impressions') }} or {{ customer_or_offer_landed }}
    union all
    select redemption_date as touched_day
    from {{ ref('base_metro__redemptions') }}
    where
        {{ landed_key('redemption_id', 'redemptions') }}
        or {{ landed_key('impression_id', 'impressions') }}
        or {{ customer_or_offer_landed }}
        or order_id in ({{ touched_order_ids() }})
{%- endmacro %}

{% macro as_of_requests() -%}
    {#- The (customer_id, as_of_date) pairs to compute in this run: those requested and not
        held (the pre-hook as_of_forget_touched has dropped the rows landed data touched). -#}
    select requests.customer_id, requests.as_of_date
    from {{ ref('int_feature_requests') }} as requests
    {%- if execute and this is not none and is_incremental() %}
    where not exists (
        select 1 from {{ this }} as held
        where held.customer_id = requests.customer_id and held.as_of_date = requests.as_of_date
    )
    {%- endif %}
{%- endmacro %}

{% macro as_of_forget_touched(touched, settings) -%}
    {#- pre-hook: drop the rows of every pair dated after the earliest day the batches landed
        since the model's last run touch, or every row when its code or settings changed.
        `touched`: the landed data its features read, 'orders' and/or 'offer_activity';
        `settings`: the names of the vars it reads. -#}
    {%- if execute and is_incremental() %}
    delete from {{ this }}
    {%- if as_of_has_watermark(settings) %}
    where as_of_date > (
        select min(touched_day) from (
            {%- for name in touched %}
            {%- if name == 'orders' %}{{ touched_order_days() }}
            {%- elif name == 'offer_activity' %}{{ touched_offer_activity_days() }}
            {%- else %}{{ exceptions.raise_compiler_error("as_of_forget_touched: unknown landed data " ~ name) }}
            {%- endif %}
            {%- if not loop.last %} union all {% endif %}
            {%- endfor %}
        ) as touched
    )
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{% macro as_of_forget_unrequested() -%}
    {#- post-hook: rows of pairs no longer requested (yesterday's serving pool) go. -#}
    delete from {{ this }} as held
    where not exists (
        select 1 from {{ ref('int_feature_requests') }} as requests
        where requests.customer_id = held.customer_id and requests.as_of_date = held.as_of_date
    )
{%- endmacro %}

{% macro as_of_record_watermark(settings, tables=none) -%}
    {#- post-hook: the batches this run has seen and the model's fingerprint. `tables`: the
        raw tables whose batches count (default all); the model's own is read from `this`. -#}
    {%- set tables = tables or ['orders', 'order_items', 'customers', 'products', 'offers', 'impressions', 'redemptions'] %}
    insert or replace into ops.as_of_watermarks
    select
        '{{ this.identifier }}',
        '{{ as_of_fingerprint(settings) }}',
        (
            select list(distinct batch order by batch) from (
                {%- for table in tables %}
                select {{ landed_batch('source_file') }} as batch
                from (
                    select distinct source_file
                    from {{ this if this.identifier == 'base_metro__' ~ table else ref('base_metro__' ~ table) }}
                )
                {%- if not loop.last %} union all {% endif %}
                {%- endfor %}
            )
        )
{%- endmacro %}
