{% macro run_date() -%}
    {#- The as-of date of the build (var run_date), as a SQL date literal. -#}
    cast('{{ var("run_date") }}' as date)
{%- endmacro %}

{% macro lookback_start() -%}
    {#- First day of the feature look-back window that ends the day before run_date. -#}
    {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), run_date()) }}
{%- endmacro %}

{% macro evaluation_cutoff() -%}
    {#- The evaluation cutoff: run_date minus var evaluation_holdout_days. The evaluation
        ranker learns only from labels closed before it; offline evaluation measures what
        happened from it up to the day before run_date. -#}
    {%- if var('evaluation_holdout_days') | int < 1 -%}
        {{ exceptions.raise_compiler_error("var evaluation_holdout_days must be at least 1") }}
    {%- endif -%}
    cast({{ dbt.dateadd('day', -1 * var('evaluation_holdout_days'), run_date()) }} as date)
{%- endmacro %}

{% macro uplift_cutoff() -%}
    {#- The uplift learners' cutoff: the latest date on a grid of var uplift_every_days days
        (from Monday 1970-01-05, as metro_offers.anchors.anchor_date) at or before the
        evaluation cutoff, so the learners retrain when the grid moves, not every day. -#}
    {%- set datetime = modules.datetime -%}
    {%- set cutoff = datetime.date.fromisoformat(var('run_date') | string)
        - datetime.timedelta(days=var('evaluation_holdout_days') | int) -%}
    {%- set grid_start = datetime.date(1970, 1, 5) -%}
    {%- set offset = (cutoff - grid_start).days -%}
    {%- set spacing = var('uplift_every_days') | int -%}
    {%- if spacing < 1 -%}
        {{ exceptions.raise_compiler_error("var uplift_every_days must be at least 1") }}
    {%- endif -%}
    cast('{{ (grid_start + datetime.timedelta(days=offset - offset % spacing)).isoformat() }}' as date)
{%- endmacro %}
