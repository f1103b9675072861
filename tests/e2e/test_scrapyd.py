"""scrapyd runs hubcrawl as its README deploys it: `scrapyd-deploy --build-egg` on a copy of the project, the egg
added to a scrapyd on 127.0.0.1, spiders scheduled with `-a` arguments into one database. Real processes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlite_utils

from tests.conftest import REPO_ROOT, stand_in_env
from tests.hubstub import StubHub, make_hub

BIN = Path(sys.executable).parent
# What building the project needs, as a fresh clone has it.
PROJECT_FILES = ["pyproject.toml", "scrapy.cfg", "README.md", "LICENSE"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_egg(tmp: Path) -> Path:
    project = tmp / "project"
    shutil.copytree(REPO_ROOT / "hubcrawl", project / "hubcrawl", ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        shutil.copy(REPO_ROOT / name, project / name)
    egg = tmp / "hubcrawl.egg"
    built = subprocess.run(
        [BIN / "scrapyd-deploy", "--build-egg", egg], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr[-2000:]
    return egg


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    """A scrapyd on 127.0.0.1 (pointed at the stand-in as a deployment is pointed at the Hub) with the egg added."""
    tmp = tmp_path_factory.mktemp("scrapyd")
    egg = build_egg(tmp)
    port = free_port()
    (tmp / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {tmp / 'eggs'}\n"
        f"logs_dir = {tmp / 'logs'}\ndbs_dir = {tmp / 'dbs'}\nitems_dir =\npoll_interval = 0.2\nmax_proc = 2\n"
    )
    with StubHub(make_hub(40, 10)) as hub:
        server = subprocess.Popen(
            [BIN / "scrapyd"], cwd=tmp, env=stand_in_env(hub.url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(f"{url}/daemonstatus.json", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            with egg.open("rb") as body:
                added = requests.post(
                    f"{url}/addversion.json", data={"project": "hubcrawl", "version": "1"}, files={"egg": body}
                ).json()
            assert added["status"] == "ok", added
            yield url, tmp
        finally:
            server.terminate()
            server.wait(timeout=30)


def run_job(url: str, spider: str, **arguments) -> dict:
    """Schedule a job and wait for scrapyd to list it as finished."""
    job = requests.post(f"{url}/schedule.json", data={"project": "hubcrawl", "spider": spider, **arguments}).json()
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        jobs = requests.get(f"{url}/listjobs.json", params={"project": "hubcrawl"}).json()
        for finished in jobs["finished"]:
            if finished["id"] == job["jobid"]:
                return finished
        time.sleep(0.2)
    raise AssertionError(f"scrapyd did not finish {job['jobid']}")


def test_scrapyd_lists_the_spiders_of_the_egg(scrapyd):
    url, _ = scrapyd
    spiders = requests.get(f"{url}/listspiders.json", params={"project": "hubcrawl"}).json()["spiders"]
    assert {"models", "datasets", "details", "pages"} <= set(spiders)


def test_scrapyd_runs_spiders_with_arguments_into_one_database(scrapyd):
    url, tmp = scrapyd
    db_file = tmp / "hub.db"
    setting = f"HUBCRAWL_DB={db_file}"
    models = run_job(url, "models", limit="5", search="model-0001", setting=setting)
    datasets = run_job(url, "datasets", limit="3", setting=setting)
    db = sqlite_utils.Database(db_file)
    kinds = {r["kind"]: r["n"] for r in db.query("select kind, count(*) as n from artifacts group by kind")}
    assert kinds == {"model": 5, "dataset": 3}
    assert all("model-0001" in r["repo_id"] for r in db.query("select repo_id from artifacts where kind = 'model'"))
    runs = list(db.query("select status, spiders, arguments from crawl_runs order by id"))
    assert [(r["status"], r["spiders"]) for r in runs] == [("finished", "models"), ("finished", "datasets")]
    # The ledger names scrapyd's job, to find its log.
    assert f'"job":"{models["id"]}"' in runs[0]["arguments"] and datasets["id"] in runs[1]["arguments"]
    log = (tmp / "logs" / "hubcrawl" / "models" / f"{models['id']}.log").read_text()
    assert "Traceback" not in log and "ERROR" not in log


def test_a_bad_argument_fails_the_job_in_one_line(scrapyd):
    url, tmp = scrapyd
    db_file = tmp / "bad.db"
    job = run_job(url, "models", limit="abc", setting=f"HUBCRAWL_DB={db_file}")
    log = (tmp / "logs" / "hubcrawl" / "models" / f"{job['id']}.log").read_text()
    assert "limit must be a whole number, got 'abc'" in log and "Traceback" not in log
    [run] = sqlite_utils.Database(db_file).query("select status, message from crawl_runs")
    assert run["status"] == "failed" and "limit must be a whole number" in run["message"]
    assert sqlite_utils.Database(db_file)["artifacts"].count == 0
