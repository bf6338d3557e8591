"""The serving code of a git revision against this checkout's, in one run: bench/api_load.py's
single-lookup scenario (a constant rate, then closed loop) on the published default snapshot,
the server started from each source tree in turn for a few rounds. The shared machine's speed
drifts between runs, so a change's effect on latency is read here, not across api_load runs.

    python bench/api_compare.py --base 614c4a6 [--rounds 2] [--seconds 10] [--rate 4000]

Writes bench/results/api_compare.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from api_load import CONNECTIONS, SERVER_CPUS, Server, published_snapshot, wrk  # noqa: E402 - bench/ is not a package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the git revision to compare against")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=4000)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    _, published = published_snapshot()

    def short(revision: str) -> str:
        return subprocess.run(
            ["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    results = []
    with tempfile.TemporaryDirectory(prefix="api-compare-") as work:
        tree = Path(work) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.base], cwd=ROOT, check=True)
        try:
            snapshot = Path(work) / "snapshot.duckdb"
            shutil.copy(published, snapshot)
            with duckdb.connect(str(snapshot), read_only=True) as con:
                ids = [r[0] for r in con.sql("select customer_id from customer_features").fetchall()]
            ids_file = Path(work) / "ids"
            ids_file.write_text("\n".join(map(str, ids)) + "\n")
            sources = {short(args.base): tree / "src", f"{short('HEAD')} (this checkout)": ROOT / "src"}
            for round_index in range(args.rounds):
                for label, src in sources.items():
                    os.environ["PYTHONPATH"] = str(src)  # the server's metro_offers comes from this tree
                    with Server(snapshot, args.port, workers=1, cpus=SERVER_CPUS) as server:
                        wrk(server.base, ids_file, 2, 500, 4, "single")  # warm-up
                        rate = wrk(server.base, ids_file, args.seconds, args.rate, CONNECTIONS, "single")
                        closed = wrk(server.base, ids_file, args.seconds, 0, CONNECTIONS, "single")
                    row = {"round": round_index + 1, "code": label, "at_rate": rate, "closed_loop": closed}
                    print(json.dumps(row), flush=True)
                    results.append(row)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "snapshot": str(published),
        "target_rps": args.rate,
        "seconds": args.seconds,
        "results": results,
    }
    (ROOT / "bench" / "results" / "api_compare.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
