{% macro create_pipeline_runs_table() -%}
    {#- on-run-start: the run log exists before anything is built. -#}
    {%- if execute and flags.WHICH in ('build', 'run') %}
        create schema if not exists ops;
        create table if not exists ops.pipeline_runs (
            invocation_id varchar not null,
            command varchar not null,
            run_date date not null,
            started_at timestamp not null,
            finished_at timestamp not null,
            status varchar not null,
            nodes_succeeded integer not null,
            nodes_warned integer not null,
            nodes_failed integer not null,
            nodes_skipped integer not null,
            row_counts json,
            model_version varchar
        );
    {%- endif %}
{%- endmacro %}

{% macro record_pipeline_run(results) -%}
    {#- on-run-end: one row per dbt build or run, whatever its outcome, with the row counts of
        the tables others read (those that exist after the run). -#}
    {%- if execute and flags.WHICH in ('build', 'run') %}
        {%- set ns = namespace(succeeded=0, warned=0, failed=0, skipped=0) %}
        {%- for result in results %}
            {%- if result.status in ('success', 'pass') %}{% set ns.succeeded = ns.succeeded + 1 %}
            {%- elif result.status == 'warn' %}{% set ns.warned = ns.warned + 1 %}
            {%- elif result.status in ('error', 'fail', 'runtime error') %}{% set ns.failed = ns.failed + 1 %}
            {%- else %}{% set ns.skipped = ns.skipped + 1 %}{% endif %}
        {%- endfor %}
        {%- set scores_node = graph.nodes.get('model.' ~ project_name ~ '.ranker_scores') %}
        {%- set scores = adapter.get_relation(scores_node.database, scores_node.schema, scores_node.alias)
            if scores_node else none %}
        {%- set counted = [] %}
        {%- for name in var('pipeline_runs_counted_models') %}
            {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) %}
            {%- if node %}
                {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) %}
                {%- if relation %}{% do counted.append((name, relation)) %}{% endif %}
            {%- endif %}
        {%- endfor %}
        insert into ops.pipeline_runs
        select
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            {{ run_date() }},
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
            cast(now() as timestamp),
            '{{ "failed" if ns.failed > 0 else "success" }}',
            {{ ns.succeeded }},
            {{ ns.warned }},
            {{ ns.failed }},
            {{ ns.skipped }},
            {% if counted %}json_object(
                {%- for name, relation in counted %}
                '{{ name }}', (select count(*) from {{ relation }}){% if not loop.last %},{% endif %}
                {%- endfor %}
            ){% else %}null{% endif %},
            {% if scores %}(select max(model_version) from {{ scores }}){% else %}null{% endif %};
    {%- endif %}
{%- endmacro %}
