"""Crawl a stand-in Hub of N models and M datasets; report repos/s, peak memory and requests per repo.

    python bench/crawl_bench.py [--models 5000] [--datasets 1000] [--details]

With --details the details pass runs after the listings (one config.json per model), and the report
adds the requests it made per model.

The stand-in runs in its own process on 127.0.0.1; the crawl is the real `hubcrawl crawl` CLI.
Peak memory is the crawl process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stand_in import stand_in  # noqa: E402
from tests.hubstub import UNLIMITED_BUDGETS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--details", action="store_true", help="run the details pass after the listings")
    args = parser.parse_args()

    with stand_in(args.models, args.datasets) as endpoint, tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        env = dict(
            os.environ,
            HF_ENDPOINT=endpoint,
            HUBCRAWL_DB=str(db_path),
            HUBCRAWL_BUDGETS=UNLIMITED_BUDGETS,
        )
        env.pop("HF_TOKEN", None)
        started = time.perf_counter()
        # The listing crawl (what issue #2 measures); `crawl all` would add one page visit per repo.
        for what in ("models", "datasets", *(["details"] if args.details else [])):
            crawl = subprocess.run(
                [sys.executable, "-m", "hubcrawl", "crawl", what], cwd=ROOT, env=env, capture_output=True, text=True
            )
            if crawl.returncode != 0:
                sys.exit(f"crawl failed: {crawl.stderr.strip().splitlines()[-1]}")
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        db = sqlite_utils.Database(db_path)
        run = {k: sum(r[k] for r in db.query("select * from crawl_runs")) for k in ("requests", "listing_pages")}
        run["errors_by_kind"] = "{}"
        for r in db.query("select errors_by_kind from crawl_runs"):
            merged = json.loads(run["errors_by_kind"])
            for k, v in json.loads(r["errors_by_kind"]).items():
                merged[k] = merged.get(k, 0) + v
            run["errors_by_kind"] = json.dumps(merged)
        repos = db.execute("select count(*) from artifacts").fetchone()[0]
        models = db.execute("select count(*) from artifacts where kind = 'model'").fetchone()[0]
        details = db.execute("select requests from crawl_runs where spiders = 'details'").fetchone()
        distinct = db.execute("select count(distinct kind || repo_id) from artifacts").fetchone()[0]
        with_card = db.execute("select count(*) from cards").fetchone()[0]

    requests_on_repos = run["requests"] - run["listing_pages"]
    report = {
        "repos": repos,
        "distinct_repos": distinct,
        "cards": with_card,
        "seconds": round(seconds, 1),
        "repos_per_second": round(repos / seconds, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "requests": run["requests"],
        "listing_pages": run["listing_pages"],
        "requests_per_repo_excluding_listing": round(requests_on_repos / repos, 3),
        "errors_by_kind": json.loads(run["errors_by_kind"]),
    }
    if details:
        report["details_requests_per_model"] = round(details[0] / models, 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
