{% macro customer_events_before(requests, events, event_date, condition='true') -%}
    {#- (customer_id, as_of_date, events_before): how many rows of `events` (satisfying
        `condition`) each request's customer had strictly before its as-of date. Running counts
        per customer and day looked up with an ASOF join: a range join of every request with
        every earlier event of its customer grows with requests x history. -#}
    select
        requests.customer_id,
        requests.as_of_date,
        coalesce(cast(running.events_to_date as bigint), 0) as events_before
    from {{ requests }} as requests
    asof left join (
        select
            customer_id,
            {{ event_date }} as event_date,
            sum(count(*)) over (partition by customer_id order by {{ event_date }}) as events_to_date
        from {{ events }}
        where {{ condition }}
        group by customer_id, {{ event_date }}
    ) as running
        on requests.customer_id = running.customer_id and requests.as_of_date > running.event_date
{%- endmacro %}
