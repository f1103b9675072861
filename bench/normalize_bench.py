"""Reading and normalizing real cards: milliseconds per card (parse the front matter and the body,
derive fields and capabilities), over every card in ../shared/realworld (and its more/ folder).

    python bench/normalize_bench.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from hubcrawl.crawler.cards import decode_card, parse_card, parse_card_sections, prose_sentences
from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cards = sorted(p for p in REALWORLD.rglob("*.md") if p.parent.name == "cards")
    if not cards:
        raise SystemExit(f"no cards under {REALWORLD}")
    per_card, per_read = [], []
    for path in cards:
        body = path.read_bytes()
        kind = (
            "dataset"
            if any(w in path.stem.lower() for w in ("dataset", "glue", "squad", "c4", "imdb", "mnist"))
            else "model"
        )
        item = ArtifactItem(
            kind=kind,
            repo_id=f"bench/{path.stem[:60]}",
            record={"id": f"bench/{path.stem[:60]}"},
            fetched_at="t",
            card_url="u",
            card_status=200,
            card_body=body,
        )
        times, reads = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            parse_card_sections(parse_card(kind, decode_card(body)[0]).body)
            reads.append(time.perf_counter() - started)
            prose_sentences.cache_clear()  # each card is normalized once in a crawl: no warm cache from a repeat
            started = time.perf_counter()
            normalize_artifact(item)
            times.append(time.perf_counter() - started)
        per_card.append(statistics.median(times) * 1000)
        per_read.append(statistics.median(reads) * 1000)

    def summary(values):
        ordered = sorted(values)
        return {
            "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        }

    print(json.dumps({"cards": len(cards), "read": summary(per_read), "normalize": summary(per_card)}, indent=2))


if __name__ == "__main__":
    main()
