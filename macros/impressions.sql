{% macro impression_feature_date(impression_date) -%}
    {#- The as-of date of a training example's features: the Monday that starts the
        impression's week, so every feature uses only data from before the impression. -#}
    cast(date_trunc('week', {{ impression_date }}) as date)
{%- endmacro %}

{% macro impression_split(window_end, impression_date, cutoff) -%}
    {#- Which side of a cutoff an impression's example learns or is judged on: 'train' when its
        label window closed by the cutoff, 'evaluation' when the impression is on or after it,
        'straddles_cutoff' otherwise (in neither: its label would leak past the cutoff). -#}
    case
        when {{ window_end }} <= {{ cutoff }} then 'train'
        when {{ impression_date }} >= {{ cutoff }} then 'evaluation'
        else 'straddles_cutoff'
    end
{%- endmacro %}

{% macro impression_feature_requests(key) -%}
    {#- The (key, as-of date) pairs the training examples need features for: every `key`
        (customer_id, offer_id) shown or held out before run_date, as of the Monday that starts
        the impression's week. -#}
    select distinct
        {{ key }},
        {{ impression_feature_date('impression_date') }} as as_of_date
    from {{ ref('stg_metro__impressions') }}
    where impression_date < {{ run_date() }}
{%- endmacro %}
