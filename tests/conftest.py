"""Shared fixtures: a Hub stand-in on 127.0.0.1 and a way to run the real CLI against it."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# No token the developer saved with `hf auth login` reaches a test, in this process (huggingface_hub reads
# HF_HOME once, when imported) or in the processes the tests start.
EMPTY_HF_HOME = tempfile.mkdtemp(prefix="hubcrawl-tests-hf-home-")
os.environ["HF_HOME"] = EMPTY_HF_HOME
atexit.register(shutil.rmtree, EMPTY_HF_HOME, ignore_errors=True)  # one per test process: not left in /tmp

from tests.hubstub import UNLIMITED_BUDGETS, StubHub, make_hub  # noqa: E402 - after HF_HOME is set

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
REALWORLD = SHARED / "realworld"
# The comparison record's feature table, row by row, as users know it (../shared/reference/).
FEATURE_ROWS = [
    "Type",
    "Score",
    "Adoption",
    "Quality",
    "Ecosystem",
    "Match Graph",
    "Pricing",
    "Name",
    "Licence",
    "Task",
    "Parameters / Rows",
    "Languages",
    "Base model",
    "Formats",
    "Hosted inference",
    "Architecture",
    "Last updated",
    "Capabilities",
    "Times Matched",
]
# Budgets far above what a test crawl spends, so tests measure the crawler and not the pacing.


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def stand_in_env(endpoint: str, db: Path | None = None, env: dict | None = None) -> dict:
    """The environment of a process pointed at the stand-in: no token of the developer's, budgets wide open."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUBCRAWL_DB")}
    # An empty HF_HOME: a token the developer saved with `hf auth login` must not reach the stand-in either.
    full_env.update(HF_ENDPOINT=endpoint, HUBCRAWL_BUDGETS=UNLIMITED_BUDGETS, HF_HOME=EMPTY_HF_HOME)
    if db is not None:
        full_env["HUBCRAWL_DB"] = str(db)
    full_env.update(env or {})
    return full_env


def start_crawl(endpoint: str, db: Path, *args: str, **popen) -> subprocess.Popen:
    """`hubcrawl crawl models …` started in the background (to be signalled or killed midway)."""
    return subprocess.Popen(
        [sys.executable, "-m", "hubcrawl", "crawl", "models", *args],
        cwd=REPO_ROOT,
        env=stand_in_env(endpoint, db),
        **popen,
    )


def run_command(
    args: list[str],
    *,
    endpoint: str,
    db: Path | None = None,
    env: dict | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = 600,
) -> Result:
    """Run a real process (the CLI or `scrapy crawl`) against the stand-in, the way a user would."""
    full_env = stand_in_env(endpoint, db, env)
    proc = subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def hubcrawl(*args: str, **kwargs) -> Result:
    return run_command([sys.executable, "-m", "hubcrawl", *args], **kwargs)


@pytest.fixture(scope="module")
def small_hub():
    """200 models, 40 datasets and every awkward repo; no faults."""
    with StubHub(make_hub(200, 40)) as hub:
        yield hub


@pytest.fixture
def db_file(tmp_path) -> Path:
    return tmp_path / "hub.db"


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e/ runs real processes against the stand-in: marked slow, so that
    `pytest -m "not slow"` is the quick layer (seconds) and the default run stays complete."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.slow)
