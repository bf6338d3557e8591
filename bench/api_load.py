"""Load benchmark of the serving API with wrk (Debian's `wrk` package), on loopback.

Starts `metro-offers serve` on a published snapshot and drives it with wrk pinned to its own
core (taskset), the server on the other core(s). Rate scenarios run at a constant rate
through bench/wrk_constant_rate.lua (wrk2-style: one connection per wrk thread, each on a
fixed schedule; latency counted from when a request was due when the connection fell behind,
so a stalled server shows as latency). Scenarios, on the default snapshot and on one scaled
to a million customers (bench/serving_snapshot.py: the default lists repeated under new ids,
no warehouse of that size built): single lookups of random customers at fixed rates, batches
of 50, bandit selection lookups (/offer-selections), a hot swap of the snapshot under load
(a new file renamed over the served one: every worker must load it, no request may fail),
and closed loop for the maximum. Results go to bench/results/api_load.json and the README's
API section. Usage:

    python bench/api_load.py [--seconds 10] [--customers 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import CLI  # noqa: E402
from readme_sections import write_section  # noqa: E402 - bench/ is not a package
from serving_snapshot import scaled_snapshot  # noqa: E402

SCRIPT = ROOT / "bench" / "wrk_constant_rate.lua"
CONNECTIONS = 16  # for single lookups; batches use 4
BATCH_SIZE = 50
SERVER_CPUS, LOAD_CPU = "0", "1"  # wrk on its own core; one worker on the other


class Server:
    """`metro-offers serve` in its own process group, as a context manager: entered when it
    answers, stopped (and its workers with it) on exit, also when it never came up."""

    def __init__(self, snapshot: Path, port: int, workers: int, cpus: str | None) -> None:
        command = [CLI, "serve", "--port", str(port), "--snapshot", str(snapshot), "--workers", str(workers)]
        if cpus is not None and shutil.which("taskset"):
            command = ["taskset", "-c", cpus, *command]
        self.base = f"http://127.0.0.1:{port}"
        self.workers = workers
        self.process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited before answering")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200 and len(self.worker_pids()) >= 1:
                    return
            time.sleep(0.2)
        raise RuntimeError("the server did not come up")

    def worker_pids(self) -> list[int]:
        """The processes that hold a snapshot: uvicorn's workers, or the server itself with one."""
        parent = psutil.Process(self.process.pid)
        if self.workers == 1:
            return [self.process.pid]
        return [
            c.pid
            for c in parent.children(recursive=True)
            if "multiprocessing.resource_tracker" not in " ".join(c.cmdline())
        ]

    def rss_mib(self) -> list[int]:
        return [psutil.Process(pid).memory_info().rss >> 20 for pid in self.worker_pids()]

    def published_at_seen(self, calls: int) -> set[str]:
        """The snapshots answering ``calls`` /health requests, each on a new connection (so
        the kernel spreads them over the workers)."""
        return {httpx.get(f"{self.base}/health", timeout=5).json()["published_at"] for _ in range(calls)}

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def wrk(base: str, ids_file: Path, seconds: float, rate: float, connections: int, kind: str) -> dict:
    """One wrk run; rate 0 = closed loop (each connection sends as soon as its answer comes)."""
    with tempfile.NamedTemporaryFile(suffix=".wrk") as out:
        command = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "5s"]
        command += ["-s", str(SCRIPT), base + "/", "--", str(rate / connections), str(ids_file), kind, str(BATCH_SIZE)]
        if shutil.which("taskset"):
            command = ["taskset", "-c", LOAD_CPU, *command]
        run = subprocess.run(command, env={**os.environ, "WRK_OUT": out.name}, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
        latencies, statuses, rates, fields = [], {}, [], {}
        for line in Path(out.name).read_text().splitlines():
            key, *values = line.split()
            if key == "latencies":
                latencies += [int(v) for v in values]
            elif key == "rate":
                rates.append(float(values[0]))
            elif key == "status":
                statuses[values[0]] = statuses.get(values[0], 0) + int(values[1])
            else:
                fields[key] = int(values[0])
    ms = np.array(latencies, dtype=float) / 1000 if latencies else np.array([np.nan])
    return {
        "requests": len(latencies),
        "errors": sum(n for status, n in statuses.items() if status != "200") + fields["socket_errors"],
        "achieved_rps": round(sum(rates), 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p90_ms": round(float(np.percentile(ms, 90)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "max_ms": round(float(ms.max()), 2),
    }


def republish(snapshot: Path) -> str:
    """A new snapshot file with a new published_at, renamed over the served one."""
    fresh = snapshot.with_name(snapshot.name + ".republishing")
    shutil.copy(snapshot, fresh)
    published_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with duckdb.connect(str(fresh)) as con:
        info = json.loads(con.sql("select info from snapshot_info").fetchall()[0][0])
        con.execute("update snapshot_info set info = ?", [json.dumps({**info, "published_at": published_at})])
    os.replace(fresh, snapshot)
    return published_at


def scenarios(snapshot: Path, data: str, seconds: float, rates: list[float], port: int) -> list[dict]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        ids = [r[0] for r in con.sql("select customer_id from customer_features").fetchall()]
    ids_file = snapshot.with_name(snapshot.name + ".ids")
    ids_file.write_text("\n".join(map(str, ids)) + "\n")
    results = []

    def record(scenario, setup, server, rate, summary, **extra):
        row = {"data": data, "customers": len(ids), "scenario": scenario, "server": setup, "target_rps": rate}
        row |= summary | {"rss_mib_per_worker": server.rss_mib()} | extra
        print(f"  {scenario} ({setup}): {json.dumps(summary)}", flush=True)
        results.append(row)

    try:
        one = "1 worker on core 0, wrk on core 1"
        with Server(snapshot, port, workers=1, cpus=SERVER_CPUS) as server:
            wrk(server.base, ids_file, 2, 500, 4, "single")  # warm-up
            for rate in rates:
                summary = wrk(server.base, ids_file, seconds, rate, CONNECTIONS, "single")
                record("single lookup", one, server, rate, summary)
            summary = wrk(server.base, ids_file, seconds, 100, 4, "batch")
            record(f"batch of {BATCH_SIZE}", one, server, 100, summary)
            summary = wrk(server.base, ids_file, seconds, max(rates), CONNECTIONS, "selection")
            record("bandit selection lookup", one, server, max(rates), summary)
            summary = wrk(server.base, ids_file, seconds, 0, CONNECTIONS, "single")
            record(f"single lookup, closed loop ({CONNECTIONS} connections)", one, server, None, summary)

        two = "2 workers on both cores, wrk on core 1"
        with Server(snapshot, port, workers=2, cpus=None) as server:
            wrk(server.base, ids_file, 2, 500, 4, "single")
            swap: dict = {}

            def swap_midway():
                time.sleep(seconds / 3)
                swap["published_at"] = republish(snapshot)

            swapper = threading.Thread(target=swap_midway)
            swapper.start()
            summary = wrk(server.base, ids_file, seconds, 2000, CONNECTIONS, "single")
            swapper.join()
            time.sleep(2)
            seen = server.published_at_seen(40)
            record(
                "single lookup, snapshot swapped under load",
                two,
                server,
                2000,
                summary,
                every_worker_swapped=seen == {swap["published_at"]},
            )
            summary = wrk(server.base, ids_file, seconds, 0, CONNECTIONS, "single")
            record(f"single lookup, closed loop ({CONNECTIONS} connections)", two, server, None, summary)
    finally:
        ids_file.unlink(missing_ok=True)
    return results


def readme_section(report: dict) -> str:
    rows = [
        f"| {r['data']} ({r['customers']:,}) | {r['scenario']} | {r['server']} | {r['target_rps'] or 'max'} | "
        f"{r['achieved_rps']:,.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | "
        f"{r['errors']} | {' / '.join(f'{m:,}' for m in r['rss_mib_per_worker'])} |"
        for r in report["results"]
    ]
    swaps = [r for r in report["results"] if "every_worker_swapped" in r]
    swapped = "; ".join(f"{r['data']}: {'yes' if r['every_worker_swapped'] else 'NO'}" for r in swaps)
    m = report["machine"]
    return "\n".join(
        [
            f"Measured {report['measured_at']} with `python bench/api_load.py` on this project's machine "
            f"({m['cpus']} cores), wrk {report['wrk']} as the load tool, {report['seconds']:.0f} s per scenario; "
            f"rates are constant (bench/wrk_constant_rate.lua, {CONNECTIONS} connections, {4} for batches), "
            "latency from each request's due time; resident memory per worker after the scenario. The million-customer "
            "snapshot is the default one's lists repeated under new ids (bench/serving_snapshot.py), not a built "
            f"warehouse. Every worker served the swapped snapshot after the swap: {swapped}.",
            "",
            "| data (customers) | scenario | server | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms "
            "| max ms | errors | RSS MiB per worker |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def published_snapshot() -> tuple[Path, Path]:
    """(the warehouse, its published snapshot) to load-test; exits saying why when wrk or the
    snapshot is missing."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `apt-get install wrk` (Debian's package)")
    from metro_offers.snapshot import default_snapshot_path

    warehouse = ROOT / os.environ.get("METRO_WAREHOUSE", "warehouse/metro_offers.duckdb")
    published = default_snapshot_path(warehouse)
    if not published.exists():
        sys.exit(f"no snapshot at {published}: run `make run` (or metro-offers build) first")
    return warehouse, published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", type=float, nargs="*", default=[1000, 2000, 4000])
    parser.add_argument("--customers", type=int, default=1_000_000, help="Customers of the scaled snapshot.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "api_load.json"))
    args = parser.parse_args()
    warehouse, published = published_snapshot()
    results = []
    with tempfile.TemporaryDirectory(dir=warehouse.parent, prefix="api-bench-") as work:
        default = Path(work) / "default.serving.duckdb"
        shutil.copy(published, default)  # the swap scenario replaces the file: never the real one
        print(f"default snapshot ({published}) ...", flush=True)
        results += scenarios(default, "default", args.seconds, args.rates, args.port)
        million = Path(work) / "scaled.serving.duckdb"
        print(f"scaling it to {args.customers:,} customers ...", flush=True)
        scaled_snapshot(published, million, args.customers)
        rates = [r for r in args.rates if r <= 2000]
        results += scenarios(million, f"scaled to {args.customers:,}", args.seconds, rates, args.port)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wrk": wrk_version,
        "seconds": args.seconds,
        "results": results,
    }
    Path(args.output).write_text(json.dumps(report, indent=2))
    print(readme_section(report))
    write_section("api-bench", readme_section(report))


if __name__ == "__main__":
    main()
