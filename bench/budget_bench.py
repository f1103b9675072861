"""How well a crawl uses a rate-limited Hub: share of the resolvers budget used, and 429s in steady state.

    python bench/budget_bench.py [--models 2000] [--quota 200] [--window 10]

The stand-in enforces fixed windows (resolvers QUOTA per WINDOW seconds, api a quarter of it) and
announces them with `RateLimit` / `RateLimit-Policy` headers, as the Hub does. The crawl runs with
its default budgets, so the server's policy header is what paces it. Steady state is every full
window after the first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hubstub import StubHub, make_hub  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--quota", type=int, default=200)
    parser.add_argument("--window", type=int, default=10)
    args = parser.parse_args()
    limits = {"resolvers": (args.quota, args.window), "api": (max(1, args.quota // 4), args.window)}
    with (
        StubHub(make_hub(args.models, 0, awkward=False), rate_limits=limits) as hub,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = dict(os.environ, HF_ENDPOINT=hub.url, HUBCRAWL_DB=str(Path(tmp) / "b.db"))
        for key in ("HF_TOKEN", "HUBCRAWL_BUDGETS"):
            env.pop(key, None)
        crawl = subprocess.run(
            [sys.executable, "-m", "hubcrawl", "crawl", "models"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if crawl.returncode != 0:
            sys.exit(crawl.stderr)
        log = hub.requests("resolvers")
    start = min(r["at"] for r in log)
    start -= start % args.window  # the server's windows are aligned on multiples of WINDOW
    per_window = Counter(int((r["at"] - start) // args.window) for r in log if r["status"] != 429)
    limited = Counter(int((r["at"] - start) // args.window) for r in log if r["status"] == 429)
    last = max(per_window)
    steady = [w for w in range(1, last)]  # full windows after the first (the first and last are partial)
    used = [per_window[w] / args.quota for w in steady]
    print(
        json.dumps(
            {
                "cards": len([r for r in log if r["status"] == 200]),
                "resolvers_budget": f"{args.quota} per {args.window}s",
                "steady_windows": len(steady),
                "budget_used_per_window": [round(u, 3) for u in used],
                "mean_budget_used": round(sum(used) / len(used), 3) if used else None,
                "status_429_total": sum(limited.values()),
                "status_429_steady_state": sum(limited[w] for w in steady),
                "summary": crawl.stdout.strip(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
