"""hubcrawl against the script a user would write instead, side by side on one stand-in Hub whose every
answer waits a round trip first.

    python bench/versus_script.py [--models 1000] [--datasets 250] [--latency-ms 20] [--json]

The script (USER_SCRIPT below) is what huggingface_hub and sqlite-utils make easy: list the repos with
their card data, fetch each card (one request per repo, one after another), parse it with `ModelCard` /
`DatasetCard` (a card whose YAML does not parse is kept without it), and insert every row at the end in
one transaction (the kindest version for the script: a row per commit is slower still). hubcrawl runs
`hubcrawl crawl --skip details --skip pages` (both listings and their cards). Each is timed as its own
process, start-up included, against the same stand-in (its own process on 127.0.0.1, no rate limit).
"""

from __future__ import annotations

import argparse
import json
import os
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

USER_SCRIPT = """
import sys
import sqlite_utils
from huggingface_hub import DatasetCard, HfApi, ModelCard, get_session, hf_hub_url

endpoint, path = sys.argv[1], sys.argv[2]
api, session, rows = HfApi(endpoint=endpoint, token=False), get_session(), []
for kind, listing, card_class in (
    ("model", api.list_models(full=True, cardData=True), ModelCard),
    ("dataset", api.list_datasets(full=True), DatasetCard),
):
    for info in listing:
        url = hf_hub_url(info.id, "README.md", repo_type=kind, endpoint=endpoint)
        answer = session.get(url)
        try:
            card = card_class(answer.text, ignore_metadata_errors=True) if answer.status_code == 200 else None
        except Exception:  # broken YAML: keep the repo without its card data
            card = None
        rows.append(
            {
                "id": f"{kind}/{info.id}",
                "downloads": info.downloads,
                "likes": info.likes,
                "license": card.data.get("license") if card else None,
                "card": card.text if card else None,
            }
        )
sqlite_utils.Database(path)["repos"].insert_all(rows, pk="id", replace=True)  # one transaction, at the end
"""


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} failed: {done.stderr.strip()[-600:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--datasets", type=int, default=250)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with stand_in(args.models, args.datasets, args.latency_ms) as endpoint, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HUB_DISABLE_TELEMETRY="1", HF_HOME=tmp)
        env.pop("HF_TOKEN", None)
        script_db, crawl_db = Path(tmp) / "script.db", Path(tmp) / "hub.db"
        script_seconds = timed([sys.executable, "-c", USER_SCRIPT, endpoint, str(script_db)], env)
        crawl_env = dict(env, HUBCRAWL_DB=str(crawl_db), HUBCRAWL_BUDGETS=UNLIMITED_BUDGETS)
        crawl = [sys.executable, "-m", "hubcrawl", "crawl", "all", "--skip", "details", "--skip", "pages"]
        crawl_seconds = timed(crawl, crawl_env)
        script_repos = sqlite_utils.Database(script_db)["repos"].count
        crawl = sqlite_utils.Database(crawl_db)
        crawl_repos = crawl["artifacts"].count
        requests = crawl.execute("select sum(requests), sum(listing_pages) from crawl_runs").fetchone()
    report = {
        "latency_ms": args.latency_ms,
        "script": {"repos": script_repos, "seconds": round(script_seconds, 1)},
        "hubcrawl": {
            "repos": crawl_repos,
            "seconds": round(crawl_seconds, 1),
            "repos_per_second": round(crawl_repos / crawl_seconds, 1),
            "requests_per_repo": round(requests[0] / crawl_repos, 3),
            "requests_per_repo_excluding_listing": round((requests[0] - requests[1]) / crawl_repos, 3),
        },
        "speedup": round((script_seconds / script_repos) / (crawl_seconds / crawl_repos), 1),
    }
    if args.json:
        print(json.dumps(report))
        return
    print(f"script:   {script_repos:,} repos in {script_seconds:.1f} s")
    print(
        f"hubcrawl: {crawl_repos:,} repos in {crawl_seconds:.1f} s ({report['hubcrawl']['repos_per_second']} repos/s, "
        f"{report['hubcrawl']['requests_per_repo']} requests per repo)"
    )
    print(f"hubcrawl is {report['speedup']}x faster per repo at {args.latency_ms:g} ms round trips")


if __name__ == "__main__":
    main()
