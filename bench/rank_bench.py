"""Time `hubcrawl rank` and `hubcrawl compare --all --per-artifact 5` over a database of N artifacts.

    python bench/rank_bench.py [--artifacts 100000] [--db bench/out/rank.db]

The database is built once (synthetic models and datasets from the Hub stand-in's generator, through
the real normalizer) and reused; building it is not timed. Each command runs as its own process,
timed wall-clock, with its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hubcrawl.crawler.items import ArtifactItem  # noqa: E402
from hubcrawl.crawler.normalize import normalize_artifact  # noqa: E402
from hubcrawl.db import open_db, save_artifacts  # noqa: E402
from tests.hubstub import dataset_repo, model_repo  # noqa: E402


def build(path: Path, n: int) -> None:
    db = open_db(path, create=True)
    rng = random.Random(0)
    n_datasets = n // 5
    batch = []
    for i in range(n):
        repo = model_repo(i, rng) if i < n - n_datasets else dataset_repo(i - (n - n_datasets), rng)
        batch.append(
            normalize_artifact(
                ArtifactItem(
                    kind=repo.kind,
                    repo_id=repo.id,
                    record=repo.record,
                    fetched_at="2026-11-23T00:00:00Z",
                    card_url=f"http://hub/{repo.id}/resolve/main/README.md",
                    card_status=200,
                    card_body=repo.card,
                )
            ).rows()
        )
        if len(batch) == 2000:
            save_artifacts(db, batch)
            batch = []
            print(f"  built {i + 1}/{n}", file=sys.stderr, flush=True)
    save_artifacts(db, batch)
    db.close()


def timed(args: list[str], db: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "hubcrawl", *args, "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return {
        "command": "hubcrawl " + " ".join(args),
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "output": proc.stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "rank.db")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not args.db.exists():
        print(f"building a {args.artifacts}-artifact database at {args.db} (not timed)…", file=sys.stderr)
        build(args.db, args.artifacts)
    db = open_db(args.db)
    with db.conn:  # measure a full emission, not a re-run that finds every record unchanged
        db.execute("delete from comparisons")
    db.execute("vacuum")
    db.close()
    results = [timed(["rank"], args.db), timed(["compare", "--all", "--per-artifact", "5"], args.db)]
    total = round(sum(r["seconds"] for r in results), 1)
    print(json.dumps({"artifacts": args.artifacts, "runs": results, "total_seconds": total}, indent=2))


if __name__ == "__main__":
    main()
