"""Vectorised synthetic Metro cash-and-carry data set.

Writes the raw contract (see ``raw_contract.py``) as Parquet under ``<out>/raw/<table>/`` and
the hidden truth under ``<out>/truth/``. Everything is drawn with numpy and joined with
DuckDB: there is no Python loop per row, only per block of customers, per day (visits) and
per offer (audiences). The history is generated in chunks of customers, with memory bounded
by the chunk and the same data whatever its size (world.py).

The data-generating process, in order:

1. customers with a segment (exact shares from ``seeds/segments.csv``), a signup date and
   latent traits: visit-rate multiplier, price sensitivity, promo responsiveness, brand
   loyalty and category preferences (Dirichlet around the segment's weights);
2. products per category with brands, private label, price, cost and a Zipf popularity;
3. visits: a Bernoulli draw per customer-day with the segment's monthly rate times the
   weekday, payday and holiday multipliers (``seeds/demand_cycles.csv``,
   ``seeds/holiday_calendar.csv``); baskets mix the customer's favourite products (brand
   loyalty, repeat purchases) with popularity draws from preferred categories, private
   label for price-sensitive customers;
4. offers spread over the whole history and past its end;
5. impressions from a logged stochastic policy (targeted by affinity, plus a uniform
   exploration slice) with the selection propensity, and a randomised control group;
6. true probabilities per (customer, offer): buying anyway ``p0`` and redeeming if shown
   ``p1 = p0 + (1 - p0) q``, from affinity, price sensitivity x discount, bought before,
   recency, promo responsiveness and pair noise, calibrated to the conversion parameter;
7. redemptions for shown customers (an order line of the offered product at the discounted
   price inside the validity window) and organic full-price purchases for the control group.
"""

from metro_offers.generator.config import TRUTH_WINDOW_DAYS, GeneratorConfig
from metro_offers.generator.runs import DEFAULT_CHUNK_CUSTOMERS, append_day, generate
from metro_offers.generator.world import Run

__all__ = ["DEFAULT_CHUNK_CUSTOMERS", "TRUTH_WINDOW_DAYS", "GeneratorConfig", "Run", "append_day", "generate"]
