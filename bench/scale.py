"""The whole Hub on one machine: time `normalize`, `rank`, `compare --all --per-artifact 5` and a search over a
database of N artifacts, each as its own process, with its peak memory and the database's bytes per artifact.

    python bench/scale.py --artifacts 100000 [--json] [--db bench/out/scale-100000.db] [--skip normalize]

Building the database is not timed. It is made from a few hundred templates run through the real
normalizer (the Hub stand-in's API records with the real cards of ../shared/realworld when they are
beside the checkout, so cards have real sizes), each cloned under new ids with its own counters. A
database already at the path is reused. `bytes_per_artifact` is the file's size with card text (the
`cards` table and its search index) left out, once the comparisons are stored, divided by N; each table's
share (with its indexes and full-text index) follows.
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
from hubcrawl.db import close_db, open_db  # noqa: E402
from hubcrawl.db.connection import encode_row  # noqa: E402
from tests.hubstub import dataset_repo, model_repo  # noqa: E402

REALWORLD = ROOT.parent / "shared" / "realworld"
TEMPLATES = 400
BATCH = 5000
SEARCHES = ("question answering", "text classification", "sentiment", "translation english german", "gguf")


def templates() -> list[dict]:
    """Normalized rows to clone: the stand-in's records, with real cards where there are any."""
    rng = random.Random(0)
    cards = sorted(p.read_bytes() for p in REALWORLD.rglob("*.md") if p.parent.name == "cards")
    out = []
    for i in range(TEMPLATES):
        repo = model_repo(i, rng) if i % 5 else dataset_repo(i, rng)
        body = cards[i % len(cards)] if cards and i % 2 else repo.card
        item = ArtifactItem(
            kind=repo.kind,
            repo_id=repo.id,
            record=repo.record,
            fetched_at="2026-11-29T00:00:00Z",
            card_url=f"http://hub/{repo.id}/resolve/main/README.md",
            card_status=200,
            card_body=body,
        )
        out.append(normalize_artifact(item).rows())
    return out


def clone_id(n: int, kind: str) -> str:
    return f"org{n % 2000:04d}/{kind}-{n:07d}"


def pick(rng: random.Random, total: int, want_dataset: bool) -> str:
    """Another clone's repo id, of the kind asked (templates cycle, every fifth one a dataset)."""
    while True:
        n = int(rng.paretovariate(1.1) * 50) % total  # a few are picked often, most rarely: as on the Hub
        if ((n % TEMPLATES) % 5 == 0) == want_dataset:
            return clone_id(n, "dataset" if want_dataset else "model")


def clone(rows: dict, n: int, total: int, rng: random.Random) -> dict:
    """A template's rows under a new id, with counters, training data, a base model and topic words of its
    own, written into its raw record and card (which `normalize` re-derives from) and its derived fields."""
    kind = rows["artifact"]["kind"]
    repo_id = clone_id(n, kind)
    artifact_id = repo_id if kind == "model" else f"datasets/{repo_id}"
    graph = {}
    if kind == "model":
        graph["datasets"] = [pick(rng, total, True) for _ in range(rng.choice((0, 1, 1, 2)))]
        graph["base_model"] = [pick(rng, total, False)] if rng.random() < 0.3 else []
    record = dict(rows["artifact"]["record"] or {}, id=repo_id)
    record["cardData"] = dict(record.get("cardData") or {}, **graph)
    topics = [f"subject{int(rng.paretovariate(1.0) * 7) % 20000}" for _ in range(2)]
    intro = f"## Description\n\nThis {kind} covers {topics[0]} and {topics[1]} text, with 40,000 examples.\n\n"
    artifact = dict(
        rows["artifact"],
        id=artifact_id,
        repo_id=repo_id,
        author=repo_id.split("/")[0],
        hub_id=f"{n:024x}",
        downloads=int(rng.paretovariate(1.2) * 10),
        likes=int(rng.paretovariate(1.5)),
        record=record,
        datasets=graph.get("datasets", rows["artifact"]["datasets"]),
        base_models=graph.get("base_model", rows["artifact"]["base_models"]),
        capability_text=f"{rows['artifact']['capability_text']}\n{topics[0]} {topics[1]}",
    )
    card = None
    if rows.get("card"):
        front = dict(rows["card"]["front_matter"] or {}, **graph)
        card = dict(rows["card"], artifact_id=artifact_id, front_matter=front, body=intro + rows["card"]["body"])
    caps = [dict(c, artifact_id=artifact_id, position=i) for i, c in enumerate(rows["capabilities"])]
    evals = [dict(e, artifact_id=artifact_id) for e in rows["eval_results"]]
    return {"artifact": artifact, "card": card, "capabilities": caps, "eval_results": evals}


def build(path: Path, n: int) -> None:
    db = open_db(path, create=True)
    rows, rng = templates(), random.Random(1)
    for start in range(0, n, BATCH):
        batch = [clone(rows[i % len(rows)], i, n, rng) for i in range(start, min(n, start + BATCH))]
        with db.atomic():
            db["artifacts"].insert_all((encode_row("artifacts", b["artifact"]) for b in batch), batch_size=1000)
            db["cards"].insert_all((encode_row("cards", b["card"]) for b in batch if b["card"]), batch_size=1000)
            db["capabilities"].insert_all(
                (encode_row("capabilities", c) for b in batch for c in b["capabilities"]), batch_size=2000
            )
            db["eval_results"].insert_all((e for b in batch for e in b["eval_results"]), batch_size=2000)
        print(f"  built {min(n, start + BATCH):,}/{n:,}", file=sys.stderr, flush=True)
    close_db(db)


def timed(args: list[str], db: Path) -> dict:
    """One hubcrawl command as its own process: wall time and peak resident memory."""
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
        sys.exit(f"{' '.join(args)} failed: {proc.stderr.strip()[-800:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024, 1), "output": proc.stdout.strip()}


SEARCH_SCRIPT = """
import json, statistics, sys, time
from hubcrawl.db import open_readonly
from hubcrawl.db.search import search_artifacts
db = open_readonly(sys.argv[1])
times = []
for _ in range(5):
    for query in json.loads(sys.argv[2]):
        started = time.perf_counter()
        search_artifacts(db, query, limit=10)
        times.append((time.perf_counter() - started) * 1000)
print(json.dumps({"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}))
"""


def searched(db: Path) -> dict:
    """Search latency inside one process (start-up is not search): p50 over a few queries, five times each."""
    proc = subprocess.run(
        [sys.executable, "-c", SEARCH_SCRIPT, str(db), json.dumps(SEARCHES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"search failed: {proc.stderr.strip()[-800:]}")
    return json.loads(proc.stdout)


def bytes_per_artifact(path: Path, n: int) -> int:
    """File size without card text: the `cards` table and its search index are counted out (dbstat)."""
    db = open_db(path)
    try:
        card_bytes = db.execute(
            "select coalesce(sum(pgsize), 0) from dbstat where name = 'cards' or name like 'cards_fts%'"
        ).fetchone()[0]
    except Exception:  # noqa: BLE001 - SQLite built without dbstat: count the card text itself
        card_bytes = db.execute("select coalesce(sum(length(body)), 0) from cards").fetchone()[0]
    close_db(db)
    return round((path.stat().st_size - card_bytes) / n)


def bytes_by_table(path: Path, n: int) -> dict[str, int]:
    """Bytes per artifact of each table with its indexes and full-text index (dbstat), largest first; {} when
    SQLite was built without dbstat."""
    db = open_db(path)
    try:
        rows = db.execute(
            "select coalesce(tbl_name, s.name) as owner, sum(pgsize) from dbstat s"
            " left join sqlite_master m on m.name = s.name group by owner order by 2 desc"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no dbstat in this SQLite build
        rows = []
    close_db(db)
    # An FTS5 index's shadow tables (artifacts_fts_data …) belong to their index.
    totals: dict[str, int] = {}
    for owner, size in rows:
        key = re.sub(r"_(data|idx|docsize|config|content)$", "", owner) if "_fts" in owner else owner
        totals[key] = totals.get(key, 0) + size
    return {name: round(size / n) for name, size in sorted(totals.items(), key=lambda kv: -kv[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("normalize", "rank", "compare"),
        help="a step not to run (repeatable)",
    )
    args = parser.parse_args()
    path = args.db or ROOT / "bench" / "out" / f"scale-{args.artifacts}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        print(f"building a {args.artifacts:,}-artifact database at {path} (not timed)…", file=sys.stderr)
        build(path, args.artifacts)
    db = open_db(path)
    with db.conn:  # time a full emission, not a re-run that finds every record standing
        db.execute("delete from comparisons")
        db.execute("delete from comparison_sides")
    db.execute("vacuum")  # and measure bytes as a first emission leaves them, not a rewrite's free pages
    close_db(db)
    steps = {}
    for name, command in (
        ("normalize", ["normalize"]),
        ("rank", ["rank"]),
        ("compare", ["compare", "--all", "--per-artifact", "5"]),
    ):
        if name not in args.skip:
            steps[name] = timed(command, path)
            print(f"  {name}: {steps[name]['seconds']} s, {steps[name]['peak_rss_mb']} MB", file=sys.stderr)
    steps["search"] = searched(path)
    result = {
        "artifacts": args.artifacts,
        "bytes_per_artifact": bytes_per_artifact(path, args.artifacts),
        "bytes_per_artifact_by_table": bytes_by_table(path, args.artifacts),
        "steps": steps,
    }
    if args.json:
        print(json.dumps(result))
        return
    for name, step in steps.items():
        print(f"{name:>9}: " + ", ".join(f"{k} {v}" for k, v in step.items() if k != "output"))
    print(f"{'database':>9}: {result['bytes_per_artifact']:,} bytes per artifact (card text excluded)")
    for table, size in result["bytes_per_artifact_by_table"].items():
        print(f"{'':>11}{table}: {size:,}")


if __name__ == "__main__":
    main()
