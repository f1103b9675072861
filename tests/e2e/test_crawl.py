"""End-to-end crawls: the real CLI / `scrapy crawl` in a subprocess, the real Scrapy engine, a real
SQLite file, against the Hub stand-in on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils

from tests.conftest import REPO_ROOT, hubcrawl, run_command, stand_in_env
from tests.hubstub import Faults, Repo, StubHub, make_hub

# What each awkward repo of the stand-in must leave on its artifact row.
EXPECTED_ERRORS = {
    "stub-faults/gated-model": ["card_gated"],
    "datasets/stub-faults/gated-dataset": ["card_gated"],
    "stub-faults/no-readme": ["card_missing"],
    "stub-faults/readme-404": ["card_missing"],
    "stub-faults/always-503": ["card_http_error"],
    "stub-faults/broken-yaml": ["card_yaml"],
    "stub-faults/list-yaml": ["card_not_mapping"],
    "stub-faults/latin1-card": ["card_not_utf8"],
    "stub-faults/huge-card": ["card_too_large"],
    "stub-faults/bad-model-index": ["card_metadata"],
}

FEW_PAGES = "api=1000000/300,resolvers=1000000/300,pages=100/1"


# What the awkward repos' config files must leave, once the details pass fetched them.
EXPECTED_CONFIG_ERRORS = {
    "stub-faults/gated-model": ["config_gated"],
    "stub-faults/bad-config": ["config_malformed"],
    "stub-faults/odd-config": ["config_field_invalid"],
}


def expected_errors(db_path, artifact_id: str) -> list[str]:
    """What an artifact's row must say; a config file's problem once the details pass fetched it, and
    the page without header props once its page was visited."""
    db = sqlite_utils.Database(db_path)
    expected = list(EXPECTED_ERRORS.get(artifact_id, []))
    if db.execute("select count(*) from repo_files where artifact_id = ?", [artifact_id]).fetchone()[0]:
        expected += EXPECTED_CONFIG_ERRORS.get(artifact_id, [])
    if artifact_id == "stub-faults/page-without-props":
        visited = db.execute("select count(*) from pages where artifact_id = ?", [artifact_id])
        expected += ["page_no_props"] * visited.fetchone()[0]
    return expected


def stored(db_path) -> dict[str, dict]:
    db = sqlite_utils.Database(db_path)
    return {row["id"]: row for row in db["artifacts"].rows}


def error_kinds(row) -> list[str]:
    return [e["kind"] for e in json.loads(row["errors"])]


def test_crawl_stores_every_repo_once_with_cards_and_errors(small_hub, db_file):
    result = hubcrawl("crawl", endpoint=small_hub.url, db=db_file)
    assert result.code == 0, result.stderr
    rows = stored(db_file)
    assert set(rows) == small_hub.listed_keys()

    for artifact_id, row in rows.items():
        assert error_kinds(row) == expected_errors(db_file, artifact_id), artifact_id

    db = sqlite_utils.Database(db_file)
    cards = {r["artifact_id"]: r for r in db["cards"].rows}
    # Every repo whose card was reachable has its text; unreachable ones have none.
    unreachable = {
        "stub-faults/gated-model",
        "datasets/stub-faults/gated-dataset",
        "stub-faults/no-readme",
        "stub-faults/readme-404",
        "stub-faults/always-503",
        "stub-faults/huge-card",
    }
    assert set(cards) == set(rows) - unreachable
    assert "The body survives." in cards["stub-faults/broken-yaml"]["body"]
    assert cards["stub-faults/renamed-old"]["body"]  # the redirect to the new name was followed
    assert json.loads(cards["org01/model-00001"]["front_matter"])["license"] == "mit"

    [run] = list(db["crawl_runs"].rows)
    assert run["status"] == "finished" and run["items"] == len(rows)
    by_kind = json.loads(run["errors_by_kind"])
    assert by_kind["card_gated"] == 2 and by_kind["card_missing"] == 2 and by_kind["card_yaml"] == 1
    assert f"{len(rows)} repos stored" in result.stdout
    assert "card_gated 2" in result.stdout


def test_a_crawl_of_thousands_of_repos_stores_each_once_with_one_request_per_repo(db_file):
    with StubHub(make_hub(1500, 300)) as hub:
        result = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        assert hubcrawl("crawl", "datasets", endpoint=hub.url, db=db_file).code == 0
        log = hub.requests()
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0  # a second crawl adds nothing
    db = sqlite_utils.Database(db_file)
    repos = len(hub.listed_keys())
    assert repos > 1800
    assert db.execute("select count(*), count(distinct kind || ':' || repo_id) from artifacts").fetchone() == (
        repos,
        repos,
    )
    assert db.execute("select count(*) from cards").fetchone()[0] == repos - 6  # all but the 6 unreachable cards
    listing = [r for r in log if r["path"].split("?")[0] in ("/api/models", "/api/datasets")]
    assert len(listing) == 2 + 1  # 1512 models in pages of 1000, 301 datasets in one page
    cards = Counter(r["path"] for r in log if r["bucket"] == "resolvers")
    retried = {p for p, n in cards.items() if n > 1}
    assert all("always-503" in p for p in retried)  # only the failing card is asked again (Scrapy's retries)
    redirects = sum(1 for r in log if r["status"] == 307)  # the renamed repo's card
    assert len(log) - len(listing) - sum(cards[p] - 1 for p in retried) - redirects <= repos
    assert len(stored(db_file)) == repos


def test_second_crawl_adds_no_duplicates(small_hub, db_file):
    assert hubcrawl("crawl", endpoint=small_hub.url, db=db_file).code == 0
    first = stored(db_file)
    assert hubcrawl("crawl", endpoint=small_hub.url, db=db_file).code == 0
    second = stored(db_file)
    assert set(first) == set(second)
    db = sqlite_utils.Database(db_file)
    assert db.execute("select count(*) from artifacts").fetchone()[0] == len(first)
    assert db.execute("select count(*) from crawl_runs").fetchone()[0] == 2


def test_search_author_filter_and_limit_reach_the_hub(small_hub, db_file):
    result = hubcrawl(
        "crawl", "models", "--author", "org10", "--filter", "question-answering", endpoint=small_hub.url, db=db_file
    )
    assert result.code == 0, result.stderr
    rows = stored(db_file)
    assert rows and all(i.startswith("org10/") and r["task"] == "question-answering" for i, r in rows.items())

    limited = db_file.with_name("limited.db")
    result = hubcrawl(
        "crawl", "datasets", "--search", "dataset-000", "--limit", "5", endpoint=small_hub.url, db=limited
    )
    assert result.code == 0, result.stderr
    rows = stored(limited)
    assert len(rows) == 5 and all("dataset-000" in i for i in rows)


def test_scrapy_crawl_with_ids_stores_exactly_those(small_hub, db_file):
    result = run_command(
        [sys.executable, "-m", "scrapy", "crawl", "models", "-a", "ids=org01/model-00001,org02/model-00002"],
        endpoint=small_hub.url,
        db=db_file,
    )
    assert result.code == 0, result.stderr
    rows = stored(db_file)
    assert set(rows) == {"org01/model-00001", "org02/model-00002"}
    # Per-repo info brings the detail-only fields too.
    record = json.loads(rows["org01/model-00001"]["record"])
    assert "childrenModelCount" in record
    db = sqlite_utils.Database(db_file)
    [run] = list(db["crawl_runs"].rows)
    assert (run["status"], run["spiders"], run["items"]) == ("finished", "models", 2)


def test_ids_that_do_not_exist_or_moved(small_hub, db_file):
    result = hubcrawl(
        "crawl", "models", "--ids", "nobody/nothing,stub-faults/renamed-old", endpoint=small_hub.url, db=db_file
    )
    assert result.code == 0, result.stderr
    rows = stored(db_file)
    assert error_kinds(rows["nobody/nothing"]) == ["repo_not_found"]
    assert error_kinds(rows["stub-faults/renamed-new"]) == []  # the info redirect names the new id
    assert json.loads(rows["stub-faults/renamed-new"]["record"])["_id"] == rows["stub-faults/renamed-new"]["hub_id"]


def test_faults_lose_nothing(db_file):
    """5xx, truncated bodies and malformed JSON on first tries: retried, never half-stored."""
    faults = Faults(error_rate=0.10, truncate_rate=0.02, malformed_rate=0.02, attempts=2, seed=7)
    with StubHub(make_hub(1500, 200), faults=faults) as hub:
        # One window of pages is what `crawl` visits: 100 of them, the most downloaded first.
        result = hubcrawl("crawl", endpoint=hub.url, db=db_file, env={"HUBCRAWL_BUDGETS": FEW_PAGES})
        assert result.code == 0, result.stderr
        statuses = Counter(r["status"] for r in hub.requests())
    assert statuses[503] > 100  # faults really happened
    rows = stored(db_file)
    assert set(rows) == hub.listed_keys()
    for artifact_id, row in rows.items():
        assert error_kinds(row) == expected_errors(db_file, artifact_id), artifact_id
    db = sqlite_utils.Database(db_file)
    assert (
        db.execute(
            "select count(*) from cards where artifact_id like 'org%/model-%' and body like '%## Model description%'"
        ).fetchone()[0]
        == 1500
    )


def test_rate_limit_is_respected_from_the_servers_policy(db_file):
    # The server's RateLimit-Policy (120 per 2 s) takes precedence over our generous defaults.
    with StubHub(make_hub(300, 0, awkward=False), rate_limits={"resolvers": (120, 2), "api": (50, 2)}) as hub:
        result = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        statuses = Counter(r["status"] for r in hub.requests())
    assert len(stored(db_file)) == 300
    # Until the first answer tells us the policy a few may hit the limit; then none.
    assert statuses[429] <= 20, statuses


def test_token_goes_to_the_hub_only_and_is_never_written(tmp_path, db_file):
    token = "hf_SECRETtoken1234567890"
    with StubHub(make_hub(0, 0, awkward=False)) as cdn, StubHub(make_hub(3, 0, awkward=False)) as hub:
        moved = hub.data.get("model", "org01/model-00001")
        moved.card_location = f"{cdn.url}/cdn/README.md"  # a card that lives on another host
        result = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file, env={"HF_TOKEN": token})
        assert result.code == 0, result.stderr
        assert all(r["authorization"] == f"Bearer {token}" for r in hub.requests())
        [cdn_request] = cdn.requests()
        assert cdn_request["authorization"] is None
    for path in tmp_path.iterdir():
        assert token.encode() not in path.read_bytes(), path
    assert token not in result.stdout + result.stderr


def test_a_token_saved_by_hf_auth_login_is_used_the_same_way(tmp_path, db_file):
    token = "hf_SAVEDtoken0987654321"
    home = tmp_path / "hf-home"
    home.mkdir()
    (home / "token").write_text(token)  # where `hf auth login` saves it
    with StubHub(make_hub(3, 0, awkward=False)) as hub:
        result = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file, env={"HF_HOME": str(home)})
        assert result.code == 0, result.stderr
        requests = hub.requests()
    assert requests and all(r["authorization"] == f"Bearer {token}" for r in requests)
    assert token.encode() not in db_file.read_bytes() and token not in result.stdout + result.stderr


def test_wrong_endpoint_is_one_line_error(db_file):
    result = hubcrawl("crawl", "models", endpoint="http://127.0.0.1:9", db=db_file)
    assert result.code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: the Hub at http://127.0.0.1:9 did not answer")
    assert "Traceback" not in result.stderr

    result = hubcrawl("crawl", endpoint="not-a-url", db=db_file)
    assert result.code == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "Error: HF_ENDPOINT must be an http(s) URL, got 'not-a-url'"


def test_unwritable_db_is_one_line_error(small_hub, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = hubcrawl("crawl", endpoint=small_hub.url, db=blocker / "hub.db")
    assert result.code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot open database" in result.stderr


def test_query_cannot_change_the_database(small_hub, db_file):
    assert hubcrawl("crawl", "datasets", endpoint=small_hub.url, db=db_file).code == 0
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    for statement in [
        "DELETE FROM artifacts",
        "DROP TABLE artifacts",
        "UPDATE artifacts SET likes = 0",
        "INSERT INTO crawl_runs (status) VALUES ('x')",
        "CREATE TABLE t (x)",
        "PRAGMA query_only = OFF; DELETE FROM artifacts",
    ]:
        result = hubcrawl("query", statement, endpoint=small_hub.url, db=db_file)
        assert result.code != 0, statement
        assert "Traceback" not in result.stderr
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before
    result = hubcrawl(
        "query", "select count(*) as n from artifacts", "--format", "json", endpoint=small_hub.url, db=db_file
    )
    assert json.loads(result.stdout) == [{"n": 41}]
    bad = hubcrawl("query", "selec * frm artifacts", endpoint=small_hub.url, db=db_file)
    assert bad.code == 1 and bad.stderr.strip() == 'Error: query refused: near "selec": syntax error'
    csv_out = hubcrawl(
        "query",
        "select kind, count(*) as n from artifacts group by kind",
        "--format",
        "csv",
        endpoint=small_hub.url,
        db=db_file,
    )
    assert csv_out.stdout.splitlines() == ["kind,n", "dataset,41"]


def test_show_and_runs(small_hub, db_file):
    assert hubcrawl("crawl", endpoint=small_hub.url, db=db_file).code == 0
    result = hubcrawl("show", "org01/model-00001", "--format", "json", endpoint=small_hub.url, db=db_file)
    shown = json.loads(result.stdout)
    for key in [
        "kind",
        "repo_id",
        "url",
        "type",
        "downloads",
        "likes",
        "license",
        "pricing",
        "formats",
        "parameters",
        "tasks",
        "languages",
        "capabilities",
        "scores",
        "times_matched",
        "errors",
    ]:
        assert key in shown
    assert shown["url"] == f"{small_hub.url}/org01/model-00001"
    assert hubcrawl("show", "datasets/org01/dataset-00001", endpoint=small_hub.url, db=db_file).code == 0
    missing = hubcrawl("show", "nobody/nothing", endpoint=small_hub.url, db=db_file)
    assert missing.code == 1 and missing.stderr.strip() == "Error: no artifact 'nobody/nothing' in the database"
    runs = json.loads(hubcrawl("runs", "--format", "json", endpoint=small_hub.url, db=db_file).stdout)
    assert runs[0]["status"] == "finished" and runs[0]["spiders"] == "models,datasets,details,pages"


@pytest.mark.skipif(not (REPO_ROOT / "scrapy.cfg").exists(), reason="needs the repository checkout")
def test_a_bare_id_naming_both_kinds_is_an_error(db_file):
    data = make_hub(0, 0, awkward=False)
    for kind in ("model", "dataset"):
        data.add(Repo(kind, {"_id": kind, "id": "both/same", "sha": "b" * 40, "siblings": []}))
    with StubHub(data) as hub:
        assert hubcrawl("crawl", endpoint=hub.url, db=db_file).code == 0
        result = hubcrawl("show", "both/same", endpoint=hub.url, db=db_file)
        assert hubcrawl("rank", endpoint=hub.url, db=db_file).code == 0
        site = hubcrawl("site", str(db_file.parent / "site"), endpoint=hub.url, db=db_file)
    assert result.code == 1 and "names both a model and a dataset" in result.stderr
    assert "datasets/both/same" in result.stderr and "or both/same" not in result.stderr  # no name given back
    # Pages are made by key, not by the ambiguous name: both get theirs.
    assert site.code == 0, site.stderr
    names = {
        p.name.rsplit("-", 1)[0] for p in (db_file.parent / "site" / "artifacts").iterdir()
    }  # readable part, then a hash
    assert names == {"both__same", "datasets__both__same"}


def on_a_terminal(endpoint: str, db: Path, *args: str) -> tuple[int, str]:
    """`hubcrawl crawl ARGS` with stderr on a pseudo-terminal of 160 columns: its exit status and what it drew."""
    import fcntl
    import pty
    import struct
    import termios

    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubcrawl", "crawl", *args],
        cwd=REPO_ROOT,
        env=stand_in_env(endpoint, db),
        stdout=subprocess.DEVNULL,
        stderr=secondary,
    )
    os.close(secondary)
    drawn = b""
    with contextlib.suppress(OSError):  # EIO once the process has closed its end
        while chunk := os.read(main, 65536):
            drawn += chunk
    os.close(main)
    return proc.wait(timeout=120), drawn.decode()


def test_progress_is_a_bar_per_spider_on_a_terminal_and_plain_lines_otherwise(small_hub, db_file):
    logged = hubcrawl("crawl", "datasets", endpoint=small_hub.url, db=db_file)
    # Not a terminal (cron, systemd): plain lines, a minute apart, and the spider's last state; no escapes.
    assert logged.code == 0 and re.search(r"^\[datasets\] finished: \d+ done, \d+ listed", logged.stderr, re.M)
    assert "\x1b" not in logged.stderr and "\r" not in logged.stderr
    assert logged.stdout.startswith("run 1 finished")
    # A limit is a known amount: the lines say how much of it is done.
    limited = hubcrawl("crawl", "models", "--limit", "30", endpoint=small_hub.url, db=db_file)
    assert re.search(r"^\[models\] finished: 30 of 30 done", limited.stderr, re.M), limited.stderr

    with StubHub(make_hub(0, 40), rate_limits={"api": (1000, 60), "resolvers": (10000, 60)}) as hub:
        code, drawn = on_a_terminal(hub.url, db_file.with_name("tty.db"), "datasets")
    assert code == 0
    assert re.search(r"\r\[datasets\]: 41 repos \[[^]]*41 listed", drawn)  # a bar, redrawn in place
    # What the Hub's RateLimit headers said was left: one listing request spent of 1000, some cards of 10000.
    left = re.search(r"budget left: api (\d+), resolvers (\d+)", drawn)
    assert left and int(left.group(1)) == 999 and 9950 <= int(left.group(2)) < 10000

    # Two spiders side by side: a line each (the second bar is drawn below the first, then the cursor goes back
    # up), and the details pass after them counts up to what it knows is due, in percent.
    code, drawn = on_a_terminal(small_hub.url, db_file.with_name("tty2.db"), "--skip", "pages")
    assert code == 0
    assert re.search(r"\r\[models\]: \d+ repos", drawn) and re.search(r"\r\[datasets\]: \d+ repos", drawn)
    assert "\x1b[A" in drawn
    assert re.search(r"\r\[details\]: 100%\|[^|]*\| (\d+)/\1 ", drawn)


def test_quiet_json_summary_and_verbose_log(small_hub, db_file):
    quiet = hubcrawl("crawl", "models", "--limit", "5", "-q", "--format", "json", endpoint=small_hub.url, db=db_file)
    assert quiet.code == 0 and quiet.stderr == ""  # no progress, no warnings: a script reads stdout alone
    summary = json.loads(quiet.stdout)
    assert summary["status"] == "finished" and summary["items"] == 5 and summary["spiders"] == "models"
    assert summary["arguments"] == {"limit": 5} and summary["seconds"] > 0
    assert (
        summary["id"]
        == json.loads(hubcrawl("runs", "--format", "json", db=db_file, endpoint=small_hub.url).stdout)[0]["id"]
    )
    verbose = hubcrawl("crawl", "models", "--limit", "5", "-v", endpoint=small_hub.url, db=db_file)
    assert verbose.code == 0 and "[scrapy.core.engine] INFO: Spider opened" in verbose.stderr
    assert "DEBUG" not in verbose.stderr
    assert (
        "DEBUG: Crawled (200)"
        in hubcrawl("crawl", "models", "--limit", "2", "-vv", endpoint=small_hub.url, db=db_file).stderr
    )


def test_scrapy_check_runs_a_contract_for_every_callback(small_hub, tmp_path):
    def check(repos: dict):
        return run_command(
            [sys.executable, "-m", "scrapy", "check", "-v", "-s", f"HUBCRAWL_CHECK_REPOS={json.dumps(repos)}"],
            endpoint=small_hub.url,
            db=tmp_path / "hub.db",
        )

    passed = check({"model": "org01/model-00001", "dataset": "org01/dataset-00001"})
    assert passed.code == 0 and "Ran 14 contracts" in passed.stderr and passed.stderr.rstrip().endswith("OK")
    callbacks = set(re.findall(r"^\[(\w+)\] (\w+) \(@", passed.stderr, re.M))
    assert callbacks == {
        *((spider, cb) for spider in ("models", "datasets") for cb in ("parse_listing", "parse_info", "parse_card")),
        ("pages", "parse_page"),
        ("details", "parse_file"),
    }
    assert not (tmp_path / "hub.db").exists()  # a check stores nothing and records no run
    failed = check({"model": "nobody/nothing", "dataset": "org01/dataset-00001"})
    assert failed.code == 1 and "FAILED" in failed.stderr


def test_scrapy_crawl_with_a_bad_argument_says_so_in_one_line(tmp_path):
    result = run_command(
        [sys.executable, "-m", "scrapy", "crawl", "models", "-a", "limit=abc"],
        endpoint="http://127.0.0.1:9",
        db=tmp_path / "hub.db",
    )
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1 and "limit must be a whole number, got 'abc'" in errors[0]
