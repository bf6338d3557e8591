"""A serving snapshot scaled to N customers for the API's load benchmark, without building a
warehouse of that size: the customers of a published snapshot and their lists are repeated
under new ids (copy r of customer c gets id c + r x max id) until there are N, and the tables
the API reads (snapshot_info, customer_features, recommendations, offer_selections, offers,
offline_evaluation, drift_log) are written to a new snapshot file. Lists, offers and sizes per
customer are the real ones; only their number grows. The dashboard's tables are not copied.

    python bench/serving_snapshot.py SOURCE TARGET --customers 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path

import duckdb

COPIED = ("offers", "offline_evaluation", "drift_log")


def scaled_snapshot(source: Path, target: Path, customers: int) -> dict:
    """Write ``target`` with ``customers`` customers made from those of ``source``; returns its info."""
    staging = target.with_name(target.name + ".writing")
    staging.unlink(missing_ok=True)
    with duckdb.connect(str(staging)) as con:
        con.execute("attach ? as src (read_only)", [str(source)])
        base, stride = con.sql("select count(*), max(customer_id) from src.customer_features").fetchall()[0]
        copies = -(-customers // base)
        con.execute(
            "create table customer_features as "
            "select * replace (customer_id + r.copy * $stride as customer_id) "
            "from src.customer_features, (select range as copy from range($copies)) r "
            "order by customer_id limit $customers",
            {"stride": stride, "copies": copies, "customers": customers},
        )
        per_customer = {"recommendations": "customer_id, recommendation_rank", "offer_selections": "customer_id"}
        for table, order in per_customer.items():
            con.execute(
                f"create table {table} as "
                "select t.* replace (t.customer_id + r.copy * $stride as customer_id) "
                f"from src.{table} t, (select range as copy from range($copies)) r "
                "where t.customer_id + r.copy * $stride <= (select max(customer_id) from customer_features) "
                f"order by {order}",
                {"stride": stride, "copies": copies},
            )
        for table in COPIED:
            con.execute(f"create table {table} as select * from src.{table}")
        info = json.loads(con.sql("select info from src.snapshot_info").fetchall()[0][0])
        info["published_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        info["row_counts"] = {
            table: con.sql(f"select count(*) from {table}").fetchall()[0][0]
            for table in ("customer_features", *per_customer, *COPIED)
        }
        info["scaled_from"] = {"snapshot": str(source), "customers": base, "copies": copies}
        con.execute("create table snapshot_info as select ? as info", [json.dumps(info)])
        con.execute("detach src")
    os.replace(staging, target)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    info = scaled_snapshot(args.source, args.target, args.customers)
    print(json.dumps(info["row_counts"]))


if __name__ == "__main__":
    main()
