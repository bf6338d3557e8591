{% macro duplicate_key_ranks(relation, key_columns) -%}
    {#- For rows whose key occurs more than once: their rank among the copies, newest landed
        file first, then the last row of a file first. Rank 1 is kept, the rest are
        rejected as duplicate_key. Only duplicated keys are ranked, so a clean landing costs
        one hash aggregate, not a sort of the whole table. Rows are identified by
        (source_file, file_row_number). -#}
    {%- set keys = key_columns | join(', ') -%}
    select
        {{ relation }}.source_file,
        {{ relation }}.file_row_number,
        row_number() over (
            partition by {% for key in key_columns %}{{ relation }}.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
            order by {{ relation }}.source_file desc, {{ relation }}.file_row_number desc
        ) as key_rank
    from {{ relation }}
    inner join (
        select {{ keys }}
        from {{ relation }}
        group by {{ keys }}
        having count(*) > 1
    ) as duplicated_keys using ({{ keys }})
{%- endmacro %}
