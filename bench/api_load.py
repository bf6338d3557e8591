"""Load benchmark of the serving API on loopback: requests/s and latency percentiles.

Starts `metro-offers serve` on the published snapshot (run `make run` first: the default data
set), then drives it with an open-loop load generator written on asyncio streams: each
connection sends its requests on a fixed schedule and latency is measured from the moment a
request was due, not when it was sent, so a server falling behind shows up as latency
(no coordinated omission). Scenarios: single lookups at fixed rates, batch lookups, and a
closed-loop run for the maximum throughput. Results go to bench/results/api_load.json and the
README's API benchmark section. Usage:

    python bench/api_load.py [--seconds 10] [--rates 500 1000 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from readme_sections import write_section  # noqa: E402 - bench/ is not a package

CLI = str(Path(sys.executable).parent / "metro-offers")
BATCH_SIZE = 50


async def _request(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def _post(path: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    return head.encode() + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload


async def open_loop(port: int, make_request, rate: float, seconds: float, connections: int) -> dict:
    """``rate`` requests/s spread over ``connections`` keep-alive connections, each on a
    fixed schedule; latency counts from each request's due time."""
    latencies, errors = [], 0
    start = time.perf_counter() + 0.2
    per_connection = rate / connections

    async def worker(index: int):
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = int(per_connection * seconds)
        for i in range(n):
            due = start + (i + index / connections) / per_connection
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                status = await _request(reader, writer, make_request())
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - due)
            errors += status != 200
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(connections)))
    return _summary(latencies, errors, time.perf_counter() - start)


async def closed_loop(port: int, make_request, seconds: float, connections: int) -> dict:
    """As fast as the server answers, one request in flight per connection."""
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            status = await _request(reader, writer, make_request())
            latencies.append(time.perf_counter() - sent)
            errors += status != 200
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return _summary(latencies, errors, time.perf_counter() - started)


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {
        "requests": len(latencies),
        "errors": errors,
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def readme_section(report: dict) -> str:
    rows = [
        f"| {r['scenario']} | {r['target_rps'] or 'max'} | {r['achieved_rps']:,.0f} | {r['p50_ms']:.2f} | "
        f"{r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} |"
        for r in report["results"]
    ]
    m = report["machine"]
    return "\n".join(
        [
            f"Measured {report['measured_at']} with `python bench/api_load.py` on this project's machine "
            f"({m['cpus']} cores; server and load generator share them), default data set "
            f"({report['customers']:,} customers), {report['seconds']:.0f} s per scenario, one uvicorn worker "
            f"(resident memory {report['server_rss_mib']:,} MiB after the runs):",
            "",
            "| scenario | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def update_readme(report: dict) -> None:
    write_section("api-bench", readme_section(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", type=float, nargs="*", default=[500, 1000, 2000])
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "api_load.json"))
    args = parser.parse_args()

    from metro_offers.snapshot import default_snapshot_path

    warehouse = ROOT / os.environ.get("METRO_WAREHOUSE", "warehouse/metro_offers.duckdb")
    snapshot = default_snapshot_path(warehouse)
    if not snapshot.exists():
        sys.exit(f"no snapshot at {snapshot}: run `make run` (or metro-offers build) first")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        customers = [r[0] for r in con.sql("select customer_id from customer_features").fetchall()]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([CLI, "serve", "--port", str(port), "--snapshot", str(snapshot)], cwd=ROOT)
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        rng = random.Random(7)

        def single():
            return _get(f"/recommendations/{rng.choice(customers)}")

        def batch():
            return _post("/recommendations/batch", {"customer_ids": rng.sample(customers, BATCH_SIZE)})

        asyncio.run(open_loop(port, single, 300, 2, 8))  # warm-up
        results = []
        for rate in args.rates:
            print(f"single lookups at {rate:.0f} req/s ...", flush=True)
            summary = asyncio.run(open_loop(port, single, rate, args.seconds, connections=32))
            results.append({"scenario": "single lookup", "target_rps": rate, **summary})
        print(f"batches of {BATCH_SIZE} at 20 req/s ...", flush=True)
        summary = asyncio.run(open_loop(port, batch, 20, args.seconds, connections=4))
        results.append({"scenario": f"batch of {BATCH_SIZE}", "target_rps": 20, **summary})
        print("single lookups, closed loop ...", flush=True)
        summary = asyncio.run(closed_loop(port, single, args.seconds, connections=32))
        results.append({"scenario": "single lookup, closed loop (32 connections)", "target_rps": None, **summary})
        server_rss_mib = round(psutil.Process(server.pid).memory_info().rss / 2**20)
    finally:
        server.terminate()
        server.wait(timeout=10)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "customers": len(customers),
        "seconds": args.seconds,
        "server_rss_mib": server_rss_mib,
        "results": results,
    }
    Path(args.output).write_text(json.dumps(report, indent=2))
    print(readme_section(report))
    update_readme(report)


if __name__ == "__main__":
    main()
