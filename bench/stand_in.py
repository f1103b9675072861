"""The Hub stand-in (tests/hubstub.py) as its own process on 127.0.0.1, for the benchmarks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def stand_in(models: int, datasets: int, latency_ms: float = 0.0) -> Iterator[str]:
    """A stand-in Hub of this many repos whose every answer waits `latency_ms` first; yields its URL."""
    command = [sys.executable, "-m", "tests.hubstub", "--models", str(models), "--datasets", str(datasets)]
    stub = subprocess.Popen(
        [*command, "--port", "0", "--latency-ms", str(latency_ms)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        yield stub.stdout.readline().strip()
    finally:
        stub.terminate()
        stub.wait()
