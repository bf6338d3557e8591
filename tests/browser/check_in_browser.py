"""Open the dashboard and the dbt docs site in headless Chromium, as an analyst would, and
save a screenshot of each view.

Dashboard: starts `metro-offers dashboard` on 127.0.0.1, visits every page, waits until its
title and charts are drawn, fails on any Streamlit exception box, and records how long the
first page took. Docs: opens target/static_index.html on the `recommendations` model, checks
that its upstream models are listed, opens the lineage graph and screenshots it.

    python tests/browser/check_in_browser.py [--snapshot FILE] [--docs target/static_index.html] [--out DIR]

Needs Debian's `chromium` and `chromium-driver`; tests/pytest/test_dashboard.py runs it when
they are installed (.ci/run installs them; in CI a missing browser fails the run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "metro-offers")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")
# (url path, title on the page, the least number of charts it draws)
DASHBOARD_PAGES = (
    ("", "Customer insights", 3),
    ("offer_analytics", "Offer analytics", 3),
    ("model_performance", "Model performance", 4),
    ("feature_drift", "Feature drift", 0),
    ("recommendation_explorer", "Recommendation explorer", 3),
    ("diversity", "Diversity", 3),
    ("embeddings", "Embeddings", 1),
    ("uplift", "Uplift", 2),
    ("bandit", "Bandit", 2),
    ("scorecard", "Phase 2 scorecard", 3),
)


def browser_available() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


def _driver(width: int = 1600, height: int = 2400):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_screenshots(snapshot: Path, out: Path) -> dict:
    """Visit every dashboard page; returns {page: seconds until drawn} and writes PNGs."""
    from selenium.webdriver.common.by import By

    port = _free_port()
    env = {**os.environ, "METRO_SNAPSHOT": str(snapshot)}
    server = subprocess.Popen(
        [CLI, "dashboard", "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    driver = _driver()
    timings = {}
    try:
        _wait(lambda: _port_open(port), 60, "the dashboard to listen")
        for path, title, charts in DASHBOARD_PAGES:
            started = time.perf_counter()
            driver.get(f"http://127.0.0.1:{port}/{path}")

            def drawn(title=title, charts=charts):
                if driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'):
                    raise AssertionError(f"{title}: the page shows an exception")
                headings = [h.text for h in driver.find_elements(By.TAG_NAME, "h1")]
                plots = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")
                running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
                return any(title in h for h in headings) and len(plots) >= charts and not running

            _wait(drawn, 60, f"the page '{title}'")
            timings[title] = round(time.perf_counter() - started, 2)
            if driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAppDeployButton"]'):
                raise AssertionError(f"{title}: Streamlit's developer 'Deploy' button is shown to analysts")
            if not path:  # the first page again, now that the frontend is loaded and the reads are cached
                started = time.perf_counter()
                driver.get(f"http://127.0.0.1:{port}/")
                _wait(drawn, 60, f"the page '{title}' again")
                timings[f"{title} (again)"] = round(time.perf_counter() - started, 2)
            time.sleep(0.5)  # let the last chart finish its transition
            driver.save_screenshot(str(out / f"dashboard_{path or 'customer_insights'}.png"))
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=10)
    # `metro-offers dashboard` is the Streamlit server itself: stopping it leaves nothing listening
    _wait(lambda: not _port_open(port), 10, "the dashboard to stop listening")
    return timings


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def docs_screenshot(static_html: Path, out: Path) -> list[str]:
    """The recommendations model in the static docs site: its upstream models as listed by
    the site, and a screenshot of its lineage graph."""
    from selenium.webdriver.common.by import By

    driver = _driver(1600, 1000)
    try:
        driver.get(f"file://{static_html.resolve()}#!/model/model.metro_offers.recommendations")
        _wait(lambda: "recommendations" in driver.title or driver.find_elements(By.TAG_NAME, "h1"), 60, "the docs")
        # the site's own graph: the parents it lists for the model
        parents = _wait(
            lambda: driver.execute_script(
                "var p = angular.element(document.body).injector().get('project');"
                "return p.project && p.project.nodes"
                " ? p.project.nodes['model.metro_offers.recommendations'].depends_on.nodes : null;"
            ),
            60,
            "the docs site's project",
        )
        driver.save_screenshot(str(out / "docs_recommendations.png"))
        button = _wait(
            lambda: [
                b
                for b in driver.find_elements(By.CSS_SELECTOR, "a, button")
                if "lineage" in (b.get_attribute("title") or b.text or "").lower()
            ],
            30,
            "the lineage graph button",
        )
        button[0].click()
        _wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#cy canvas, .cytoscape-container canvas"), 30, "graph")
        time.sleep(2)
        driver.save_screenshot(str(out / "docs_lineage_recommendations.png"))
        return parents
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--docs", type=Path, default=ROOT / "target" / "static_index.html")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "screenshots")
    args = parser.parse_args()
    if not browser_available():
        sys.exit("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    from metro_offers.dashboard.data import snapshot_path

    args.out.mkdir(parents=True, exist_ok=True)
    timings = dashboard_screenshots(args.snapshot or snapshot_path(), args.out)
    report = {"dashboard_seconds_until_drawn": timings}
    if args.docs.exists():
        report["recommendations_depends_on"] = docs_screenshot(args.docs, args.out)
    print(json.dumps(report, indent=2))
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
