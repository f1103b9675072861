"""Median latency of `hubcrawl search` over a database of N artifacts, and whether the top hits for a
task phrase are artifacts of that task.

    python bench/search_bench.py [--artifacts 100000] [--db bench/out/scale-100000.db]

Reuses (or builds) the database of bench/scale.py. Searches run in-process through the same
function the CLI calls, on a read-only connection; process start-up is not part of the figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import build  # noqa: E402
from hubcrawl.db import open_readonly, search_artifacts  # noqa: E402

PHRASES = {
    "extractive question answering": "question-answering",
    "named entity recognition": "token-classification",
    "speech recognition": "automatic-speech-recognition",
    "sentence embeddings similarity search": "sentence-similarity",
    "summarization": "summarization",
    "image classification": "image-classification",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    args.db = args.db or ROOT / "bench" / "out" / f"scale-{args.artifacts}.db"
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.artifacts)
    db = open_readonly(args.db)
    tasks = {r["repo_id"]: r["task"] for r in db.query("select repo_id, task from artifacts")}
    report = {"artifacts": len(tasks), "queries": {}}
    timings = []
    for phrase, task in PHRASES.items():
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            hits = search_artifacts(db, phrase, limit=10)
            runs.append((time.perf_counter() - started) * 1000)
        timings += runs
        report["queries"][phrase] = {
            "median_ms": round(statistics.median(runs), 1),
            "top10_of_task": sum(tasks[h["repo_id"]] == task for h in hits),
        }
    report["median_ms_all"] = round(statistics.median(timings), 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
