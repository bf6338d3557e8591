"""How time and memory grow with the customer base: generate, validate, full build and a
daily run at several scales (other generator options default), on this machine.

    python bench/scale_curve.py --customers 50000,200000,500000,1000000 --steps generate,validate

Each step runs as its own process under GNU time: wall seconds and the peak resident memory
of its largest process (`metro-offers build` and its dbt child included). For a build or a
daily run it also keeps the slowest dbt models (run_results.json) with the highest memory of
the process tree sampled while each ran. Per scale and step
it writes seconds, seconds per 1,000 customers, peak RSS and the ratio of seconds per
customer to the smallest scale measured in the same run. Results are merged into
bench/results/scale_curve.json (a later run with other scales or steps adds to it; a scale
and step measured again replaces the old entry), which redraws the README's `scale-curve`
section and bench/results/scale_curve.png.

The daily run is the night after the build: the build ran as of its run date R with the data
landed before R; the day R lands (untimed: that night's landing), then `metro-offers daily
--date R+1` lands day R+1 and builds as of R+1, so every pool and as-of date moves a day, as
on a real night (a daily run as of the build's own date would find its pools already built).

A build or daily run uses DuckDB's memory limit from METRO_DUCKDB_MEMORY_LIMIT (profiles.yml's
default when unset), recorded with its figures: at a million customers the default 2 GB made
candidate_features spill tens of GB to disk, so `METRO_DUCKDB_MEMORY_LIMIT=6GB` there.

The data sets are written under --work (default: a temporary folder, removed at the end;
1M customers take about 40 GB of disk with a built warehouse).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_settings import CLI, isolated_env  # noqa: E402
from process_tree import tree_rss  # noqa: E402 - bench/ is not a package
from readme_sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "scale_curve.json"
PLOT = ROOT / "bench" / "results" / "scale_curve.png"
STEPS = ("generate", "validate", "build", "daily")
MEMORY_BUDGET_GIB = 16  # the bound for a million customers on a 24 GiB machine
SAMPLE_SECONDS = 1.0  # how often the process tree's memory is sampled
DISK_SAMPLE_SECONDS = 5.0  # how often the data set's size on disk is sampled (its spill included)
TOP_MODELS = 8  # the slowest models of a build or daily run kept per scale


def command(step: str, data: Path) -> list[str]:
    if step == "generate":
        return ["generate", "--customers", str(customers_of(data)), "--data-dir", str(data)]
    if step == "daily":
        return ["daily", "--data-dir", str(data), "--date", str(built_run_date(data) + dt.timedelta(days=1))]
    return [step, "--data-dir", str(data)]


def built_run_date(data: Path) -> dt.date:
    """The run date the data set's warehouse was last built as of (its recommendations')."""
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        built = con.execute("select max(run_date) from marts.recommendations").fetchone()[0]
    if built is None:
        raise RuntimeError(f"{data}: the warehouse has no recommendations; run the build step first")
    return built


def land_build_night(data: Path, log: Path) -> None:
    """Land the build's own day (what that night's daily run would have landed), untimed."""
    from metro_offers.generator import append_day

    with log.open("w") as output:
        append_day(data, built_run_date(data), echo=lambda line: print(line, file=output, flush=True))


def customers_of(data: Path) -> int:
    return int(data.name.removeprefix("customers_"))


class Sampler:
    """Calls ``read`` every ``seconds`` on a thread until stopped, keeping (epoch seconds, value)
    pairs; sampling ends early when ``read`` raises one of ``ends_on`` (the process is gone)."""

    def __init__(self, read, seconds: float, ends_on: tuple[type[Exception], ...] = ()) -> None:
        self.samples: list[tuple[float, int]] = []
        self._read, self._seconds, self._ends_on = read, seconds, ends_on
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.samples.append((time.time(), self._read()))
            except self._ends_on:
                return

    def stop(self) -> list[tuple[float, int]]:
        self._stop.set()
        self._thread.join()
        return self.samples


def tree_memory(pid: int) -> Sampler:
    """The resident memory of a process and all its children summed (the build's dbt runs in a
    child), once a second, for per-model figures."""
    root = psutil.Process(pid)
    return Sampler(lambda: tree_rss(root), SAMPLE_SECONDS, ends_on=(psutil.Error,))


def model_figures(run_results: dict, samples: list[tuple[float, int]], top: int = TOP_MODELS) -> list[dict]:
    """The ``top`` slowest models of a dbt run: seconds, and the highest memory of the process
    tree sampled while each ran (with two threads, that of the model running beside it too)."""
    figures = []
    for result in run_results.get("results", []):
        if not result["unique_id"].startswith("model."):
            continue
        execute = next((t for t in result["timing"] if t["name"] == "execute"), None)
        if execute is None or not execute.get("started_at"):
            continue
        start, end = (
            dt.datetime.fromisoformat(execute[k].replace("Z", "+00:00")).timestamp()
            for k in ("started_at", "completed_at")
        )
        during = [rss for at, rss in samples if start <= at <= end + SAMPLE_SECONDS]
        figures.append(
            {
                "model": result["unique_id"].split(".")[-1],
                "seconds": round(result["execution_time"], 1),
                "tree_rss_gib": round(max(during) / 2**30, 2) if during else None,
            }
        )
    return sorted(figures, key=lambda f: -f["seconds"])[:top]


def from_scratch(data: Path) -> None:
    """A full build starts from nothing built: no warehouse, no stored model or study (a build
    reuses what the model store holds, so a second build would not be a full one)."""
    for built in ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.serving.duckdb"):
        (data / built).unlink(missing_ok=True)
    shutil.rmtree(data / "models", ignore_errors=True)
    # dbt's partial-parse cache names the checkout that wrote it: from another one it loads seeds from there
    shutil.rmtree(data / "target", ignore_errors=True)


def disk_bytes(folder: Path) -> int:
    """What the data set takes on disk: landed files, warehouse (and DuckDB's spill beside it),
    snapshot, model store."""
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:  # a spill or staging file removed while counted
            continue
    return total


def run_step(step: str, data: Path, work: Path) -> dict:
    env = isolated_env(data / "warehouse.duckdb", data / "models", data)
    usage = work / f"{data.name}_{step}.time"
    log = work / f"{data.name}_{step}.log"
    results = Path(env["DBT_TARGET_PATH"]) / "run_results.json"
    results.unlink(missing_ok=True)
    if step == "build":
        from_scratch(data)
    if step == "daily":
        land_build_night(data, work / f"{data.name}_land_build_night.log")
    args = command(step, data)
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%e %M", "-o", str(usage), CLI, *args],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # the spill, not the warehouse, filled the disk at a million customers: keep the peak
        disk_at_start = disk_bytes(data)
        memory, disk = tree_memory(process.pid), Sampler(lambda: disk_bytes(data), DISK_SAMPLE_SECONDS)
        try:
            returncode = process.wait()
        finally:
            if process.poll() is None:  # interrupted: stop the step, dbt child included
                process.terminate()
                process.wait()
            samples = memory.stop()
            peak_disk = max([disk_at_start, *(size for _, size in disk.stop())])
    seconds = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(f"metro-offers {' '.join(args)} failed:\n{log.read_text()[-6000:]}")
    entry = {
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "command": "metro-offers " + " ".join(a if a != str(data) else "DATA" for a in args),
        "seconds": round(seconds, 1),
        "peak_rss_gib": round(int(usage.read_text().split()[-1]) / 2**20, 2),
        "disk_gib": round(disk_bytes(data) / 2**30, 2),
        "peak_disk_gib": round(peak_disk / 2**30, 2),
    }
    if step in ("build", "daily"):  # DuckDB's memory limit for the build (profiles.yml's default unless set)
        entry["duckdb_memory_limit"] = os.environ.get("METRO_DUCKDB_MEMORY_LIMIT", "default")
    if results.exists():
        entry["slowest_models"] = model_figures(json.loads(results.read_text()), samples)
    return entry


def merged(previous: dict, measured: dict) -> dict:
    scales = previous.get("scales", {})
    for customers, steps in measured.items():
        scales.setdefault(customers, {}).update(steps)
    return {"scales": dict(sorted(scales.items(), key=lambda item: int(item[0])))}


def per_thousand(entry: dict, customers: int) -> float:
    return entry["seconds"] / (customers / 1000)


def readme_section(report: dict) -> str:
    scales = report["scales"]
    smallest = min(scales, key=int)
    lines = [
        "Measured by `python bench/scale_curve.py` (other generator options default; 2 cores, 24 GiB); "
        "each step one process under GNU time. *s / 1K* is seconds per 1,000 customers; *× smallest* "
        f"its ratio to the {int(smallest):,}-customer run of the same step; *disk GiB* what the data "
        "set takes after the step (landed files, warehouse, snapshot, model store), *peak disk* the most "
        f"it took while the step ran, DuckDB's spill included (sampled every {DISK_SAMPLE_SECONDS:.0f} s; "
        "recorded since 2026-12-07). "
        "A *daily* run measured since 2026-12-07 is the night after the build (as of the build's date + 1: "
        "every pool and as-of date moves a day); earlier ones ran as of the build's own date, their pools "
        "already built.",
        "",
        "| customers | step | measured | commit | DuckDB limit "
        "| seconds | s / 1K | × smallest | peak RSS GiB | disk GiB | peak disk GiB |",
        "|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for customers, steps in scales.items():
        for step in STEPS:
            if step not in steps:
                continue
            entry = steps[step]
            base = scales[smallest].get(step)
            ratio = f"{per_thousand(entry, int(customers)) / per_thousand(base, int(smallest)):.2f}" if base else "–"
            disk = f"{entry['disk_gib']:.1f}" if "disk_gib" in entry else "–"  # recorded since 2026-11-29
            peak_disk = f"{entry['peak_disk_gib']:.1f}" if "peak_disk_gib" in entry else "–"
            lines.append(
                f"| {int(customers):,} | {step} | {entry['measured_at'][:10]} | {entry.get('commit', '–')} | "
                f"{entry.get('duckdb_memory_limit', 'default' if step in ('build', 'daily') else '–')} | "
                f"{entry['seconds']:.0f} | {per_thousand(entry, int(customers)):.2f} | {ratio} | "
                f"{entry['peak_rss_gib']:.1f} | {disk} | {peak_disk} |"
            )
    slowest = [
        f"- {int(customers):,} customers, {step}: "
        + ", ".join(
            f"{m['model']} {m['seconds']:.0f} s"
            + (f" ({m['tree_rss_gib']:.1f} GiB)" if m["tree_rss_gib"] is not None else "")
            for m in entry["slowest_models"]
        )
        for customers, steps in scales.items()
        for step, entry in steps.items()
        if entry.get("slowest_models")
    ]
    if slowest:
        lines += [
            "",
            "The slowest models of each build and daily run (dbt's run_results.json), each with the highest "
            "memory of the whole process tree sampled once a second while it ran (two dbt threads: "
            "the model beside it counts too):",
            "",
            *slowest,
        ]
    missing = [f"{step} at {int(c):,}" for c in scales for step in STEPS if step not in scales[c]]
    if missing:
        lines += ["", "Not measured yet: " + ", ".join(missing) + "."]
    lines += ["", "![time per customer and peak memory by scale](bench/results/scale_curve.png)"]
    return "\n".join(lines)


def plot(report: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for step in STEPS:
        points = [(int(c), s[step]) for c, s in report["scales"].items() if step in s]
        if not points:
            continue
        xs = [c for c, _ in points]
        left.plot(xs, [per_thousand(e, c) for c, e in points], marker="o", label=step)
        right.plot(xs, [e["peak_rss_gib"] for _, e in points], marker="o", label=step)
    right.axhline(MEMORY_BUDGET_GIB, color="grey", linestyle="--", label=f"{MEMORY_BUDGET_GIB} GiB bound")
    for axis, title in ((left, "seconds per 1,000 customers"), (right, "peak RSS (GiB)")):
        axis.set_xscale("log")
        axis.set_ylim(bottom=0)
        axis.set_xlabel("customers")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", default="50000,200000,500000,1000000")
    parser.add_argument("--steps", default="generate,validate", help=f"comma-separated, in order: {', '.join(STEPS)}")
    parser.add_argument("--work", type=Path, default=None, help="where the data sets go (kept when given)")
    parser.add_argument("--readme-from", type=Path, default=None, help="only redraw the README and plot from a result")
    args = parser.parse_args()
    if args.readme_from:
        report = json.loads(args.readme_from.read_text())
    else:
        steps = [s for s in args.steps.split(",") if s]
        unknown = set(steps) - set(STEPS)
        if unknown:
            parser.error(f"unknown steps {sorted(unknown)}; steps: {', '.join(STEPS)}")
        work = args.work or Path(tempfile.mkdtemp(prefix="scale-curve-"))
        measured = {}
        try:
            for customers in (int(c) for c in args.customers.split(",")):
                data = work / f"customers_{customers}"
                for step in steps:
                    print(f"[scale] {customers:,} customers: {step} ...", flush=True)
                    entry = run_step(step, data, work)
                    entry["measured_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
                    measured.setdefault(str(customers), {})[step] = entry
                    print(
                        f"[scale] {customers:,} customers: {step} {entry['seconds']:.0f} s, "
                        f"peak {entry['peak_rss_gib']:.1f} GiB",
                        flush=True,
                    )
                    report = merged(json.loads(RESULTS.read_text()) if RESULTS.exists() else {}, measured)
                    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
                if args.work is None:
                    shutil.rmtree(data, ignore_errors=True)
        finally:
            if args.work is None:
                shutil.rmtree(work, ignore_errors=True)
        report = json.loads(RESULTS.read_text())
    plot(report)
    write_section("scale-curve", readme_section(report))
    print(readme_section(report))


if __name__ == "__main__":
    main()
