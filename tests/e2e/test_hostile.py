"""Hostile cards and a hostile network: a bad value costs at most its own field, never its repo,
page or run; nothing hangs; readers write nothing (issue 9).

Each case is served by the stand-in (tests/hubstub.py `hostile_hub`) and crawled through the real
CLI, Scrapy engine and SQLite file, or, where a server cannot produce it, exercised on the CLI.
"""

from __future__ import annotations

import hashlib
import json
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from hubcrawl.crawler.cards import parse_card
from hubcrawl.crawler.errors import known_kind
from hubcrawl.crawler.items import split_artifact_key
from hubcrawl.crawler.runlock import RunLock
from tests.conftest import REPO_ROOT, hubcrawl, run_command, start_crawl
from tests.hubstub import Faults, Repo, StubHub, hostile_hub, make_hub

# A 429's Retry-After is capped at one budget window: a 2-second resolvers window keeps the test short.
# A resolvers window of 2 s (a 429's wait is capped at one window); one window of pages is 60
# pages, which is what `crawl` visits: the most downloaded first, the hostile pages among them.
SHORT_WINDOW = "api=1000000/300,resolvers=1000000/2,pages=60/1"


def rows(db_file) -> dict[str, dict]:
    return {r["id"]: r for r in sqlite_utils.Database(db_file)["artifacts"].rows}


def kinds(row) -> list[str]:
    return [e["kind"] for e in json.loads(row["errors"])]


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr[-3000:]


def one_line_error(result) -> str:
    """A failed verb says one line on stderr (no traceback) and exits non-zero."""
    assert result.code != 0, result.stdout
    no_traceback(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    """About 2,000 repos with one of each hostile kind among them, crawled once (models, datasets, pages)."""
    data = make_hub(1950, 30)
    expect = hostile_hub(data)
    db_file = tmp_path_factory.mktemp("hostile") / "hub.db"
    with StubHub(data) as hub:
        first = hubcrawl("crawl", endpoint=hub.url, db=db_file, env={"HUBCRAWL_BUDGETS": SHORT_WINDOW})
        first_log = hub.requests()
        yield hub, expect, db_file, first, first_log


def test_every_hostile_repo_is_stored_with_its_error(hostile_crawl):
    hub, expect, db_file, result, _ = hostile_crawl
    assert result.code == 0, result.stderr[-3000:]
    no_traceback(result)
    stored = rows(db_file)
    assert len(stored) >= 2000
    assert set(stored) == hub.listed_keys()  # every servable repo has its row: nothing lost
    for artifact_id, expected in expect.items():
        found = kinds(stored[artifact_id])
        assert (expected in found) if expected else found == [], (artifact_id, found)
    for row in stored.values():  # every recorded problem has a stable, documented kind
        assert all(known_kind(k) for k in kinds(row)), kinds(row)

    db = sqlite_utils.Database(db_file)
    [run] = list(db["crawl_runs"].rows)
    by_kind = json.loads(run["errors_by_kind"])
    assert run["status"] == "finished"
    assert run["items"] == len(stored)  # the repo listed twice is counted once
    assert by_kind["record_id_invalid"] == 2  # a list id and `a/b?x=1#y`: no repo can be made of them
    assert f"{len(stored)} repos stored" in result.stdout


def test_hostile_values_cost_their_own_field_only(hostile_crawl):
    _, _, db_file, _, _ = hostile_crawl
    db = sqlite_utils.Database(db_file)
    stored = rows(db_file)
    # A date (or binary) as a mapping key is text in JSON; the rest of the front matter stands.
    front = json.loads(db["cards"].get("stub-hostile/date-keys")["front_matter"])
    assert front["license"] == "mit" and "2024-01-15" in front["changelog"]
    # Numbers past SQLite's range are left out; the row and its other fields are kept.
    huge = stored["stub-hostile/huge-numbers"]
    assert huge["likes"] is None and huge["downloads"] is None and huge["parameters"] is None
    assert huge["license"] and huge["task"] and db["cards"].get("stub-hostile/huge-numbers")["body"]
    assert stored["datasets/stub-hostile/splits-five"]["bytes"] is None
    # NaN and infinite results are no results; the finite one stays.
    evals = list(db.query("select metric, value from eval_results where artifact_id = 'stub-hostile/nan-evals'"))
    assert evals == [{"metric": "precision", "value": 0.5}]
    # A record's bad fields go; its good ones stay.
    counters = stored["stub-hostile/bad-counters"]
    assert counters["likes"] is None and counters["downloads"] is None and counters["task"] and counters["license"]
    assert stored["stub-hostile/null-sibling"]["formats"]  # the remaining files still tell the formats
    # A card cut short on the way is never stored; the self-redirected card is.
    cards = {r["artifact_id"] for r in db["cards"].rows}
    assert "stub-hostile/cut-card" not in cards and "stub-hostile/self-redirect" in cards
    assert {"stub-hostile/retry-after-inf", "stub-hostile/retry-after-long"} <= cards  # waited, capped, then read


def test_every_stored_card_is_the_served_card(hostile_crawl):
    hub, _, db_file, _, _ = hostile_crawl
    for card in sqlite_utils.Database(db_file)["cards"].rows:
        kind, repo_id = split_artifact_key(card["artifact_id"])
        served = hub.data.get(kind, repo_id).card
        assert card["body"] == parse_card(kind, served.decode("utf-8", errors="replace")).body, card["artifact_id"]


def test_watermark_ignores_far_future_dates_and_next_run_fetches_only_what_changed(hostile_crawl):
    hub, _, db_file, _, first_log = hostile_crawl
    db = sqlite_utils.Database(db_file)
    [state] = [r for r in db["crawl_state"].rows if '"model"' in r["key"]]
    assert "2025-01-01" < state["high_water"] < "2999"  # the far-future repo did not freeze it
    hub.touch("model", "org00/model-00000", "2026-11-01T00:00:00.000Z")
    before = len(hub.requests())
    result = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file, env={"HUBCRAWL_BUDGETS": SHORT_WINDOW})
    assert result.code == 0, result.stderr[-2000:]
    second = hub.requests()[before:]
    cards = {r["path"].split("/resolve/")[0] for r in second if r["bucket"] == "resolvers"}
    assert cards == {"/org00/model-00000"}  # the one repo that changed, nothing else
    assert len([r for r in second if r["bucket"] == "api"]) == 1  # one listing page
    assert rows(db_file)["org00/model-00000"]["last_modified"].startswith("2026-11-01")


def test_a_rank_and_exports_survive_the_hostile_database(hostile_crawl):
    _, _, db_file, _, _ = hostile_crawl
    ranked = hubcrawl("rank", endpoint="http://127.0.0.1:9", db=db_file)
    assert ranked.code == 0, ranked.stderr
    exported = hubcrawl("export", "eval_results", endpoint="http://127.0.0.1:9", db=db_file)
    assert exported.code == 0 and exported.stdout
    for line in exported.stdout.splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


def test_rank_survives_counters_anyone_could_have_written(tmp_path):
    db_file = tmp_path / "hub.db"
    data = make_hub(20, 5, awkward=False)
    with StubHub(data) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
    db = sqlite_utils.Database(db_file)
    db.execute("update artifacts set likes = -1 where id = 'org01/model-00001'")
    db.execute("update artifacts set downloads = 'lots' where id = 'org02/model-00002'")
    db.conn.commit()
    result = hubcrawl("rank", endpoint=hub.url, db=db_file)
    assert result.code == 0, result.stderr
    assert db.execute("select count(*) from scores").fetchone()[0] == 20


# -- a hostile network -------------------------------------------------------------------------------


def test_under_5xx_and_silently_cut_bodies_every_stored_card_is_byte_for_byte_the_served_one(tmp_path):
    db_file = tmp_path / "hub.db"
    data = make_hub(400, 60, awkward=False)
    faults = Faults(error_rate=0.10, cut_rate=0.02, attempts=2, seed=3)
    with StubHub(data, faults=faults) as hub:
        for what in ("models", "datasets"):
            result = hubcrawl("crawl", what, endpoint=hub.url, db=db_file)
            assert result.code == 0, result.stderr[-2000:]
        cut = [r for r in hub.requests("resolvers") if faults.draw(r["path"], 0) == "cut"]
    assert cut, "no card body was cut: the test would prove nothing"
    db = sqlite_utils.Database(db_file)
    stored = {r["artifact_id"]: r for r in db["cards"].rows}
    assert len(stored) == 460
    for artifact_id, card in stored.items():
        kind, repo_id = split_artifact_key(artifact_id)
        served = data.get(kind, repo_id).card
        assert card["body"] == parse_card(kind, served.decode()).body
        assert json.loads(card["front_matter"]) == parse_card(kind, served.decode()).front_matter


def test_sigterm_mid_crawl_ends_in_one_line_and_an_interrupted_run(tmp_path):
    db_file = tmp_path / "hub.db"
    with StubHub(make_hub(800, 0, awkward=False), card_delay=0.1) as hub:
        for sig in (signal.SIGTERM, signal.SIGINT):
            proc = start_crawl(hub.url, db_file, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(2)  # mid-crawl: 800 cards at 100 ms, 16 at a time, take about 5 s
            proc.send_signal(sig)
            stdout, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 130, stderr
            assert "Traceback" not in stderr and "ReactorNotRunning" not in stderr and "not set yet" not in stderr, (
                stderr
            )
            assert "interrupted" in stdout
        finished = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file)
    assert finished.code == 0, finished.stderr
    statuses = [r["status"] for r in sqlite_utils.Database(db_file).query("select status from crawl_runs order by id")]
    assert statuses == ["interrupted", "interrupted", "finished"]
    assert len(rows(db_file)) == 800


def test_a_full_disk_stops_the_crawl_with_one_line(tmp_path):
    db_file = tmp_path / "hub.db"
    with StubHub(make_hub(3000, 0, awkward=False)) as hub:
        assert hubcrawl("crawl", "models", "--limit", "5", endpoint=hub.url, db=db_file).code == 0  # the file exists
        size = db_file.stat().st_size

        def small_disk():  # no file may grow past this: writes fail as on a full disk (SQLITE_FULL)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size + 200_000, size + 200_000))

        crawl = start_crawl(
            hub.url, db_file, "--full", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=small_disk
        )
        _, stderr = crawl.communicate(timeout=300)
        proc = subprocess.CompletedProcess(crawl.args, crawl.returncode, "", stderr)
        cards_fetched = len(hub.requests("resolvers"))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("database or disk is full") <= 3, proc.stderr[-3000:]  # said once, not per item
    assert cards_fetched < 2500  # fetching stopped instead of going on for nothing
    [run] = list(
        sqlite_utils.Database(db_file).query("select status, message from crawl_runs order by id desc limit 1")
    )
    assert run["status"] in ("failed", "running")  # "running" when even the ledger could not be written


def test_bad_budgets_end_at_once_with_one_line(tmp_path):
    with StubHub(make_hub(5, 0, awkward=False)) as hub:
        for budgets in ("api=abc", "api=0/0", "api=5"):
            result = hubcrawl(
                "crawl",
                "models",
                endpoint=hub.url,
                db=tmp_path / "hub.db",
                env={"HUBCRAWL_BUDGETS": budgets},
                timeout=60,
            )
            assert one_line_error(result).startswith("Error: HUBCRAWL_BUDGETS")
        scrapy_run = run_command(
            [sys.executable, "-m", "scrapy", "crawl", "models"],
            endpoint=hub.url,
            db=tmp_path / "hub.db",
            env={"HUBCRAWL_BUDGETS": "api=abc"},
            timeout=60,
        )
    no_traceback(scrapy_run)  # `scrapy crawl` exits as Scrapy does; it logs the reason once
    errors = [line for line in scrapy_run.stderr.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1 and "HUBCRAWL_BUDGETS: cannot read 'api=abc'" in errors[0]
    assert not hub.requests()  # nothing was fetched


def test_scrapy_crawl_into_a_foreign_database_says_so_once(tmp_path):
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("create table notes (x)").connection.commit()
    result = run_command([sys.executable, "-m", "scrapy", "crawl", "models"], endpoint="http://127.0.0.1:9", db=foreign)
    no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1 and "not a hubcrawl database" in errors[0]
    assert sqlite_utils.Database(foreign).table_names() == ["notes"]


def test_ids_are_checked_and_quoted(tmp_path):
    result = hubcrawl("crawl", "models", "--ids", "a/b?x=1#y", endpoint="http://127.0.0.1:9", db=tmp_path / "hub.db")
    assert "not a repo id" in one_line_error(result)


# -- readers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """A crawled, ranked database whose cards carry terminal escape sequences."""
    db_file = tmp_path_factory.mktemp("small") / "hub.db"
    data = make_hub(30, 5, awkward=False)
    evil = Repo(
        "model",
        dict(data.get("model", "org01/model-00001").record, id="evil/escapes", _id="evil"),
        "---\nlicense: mit\n---\n\n# Escapes\n\nClears \x1b[2J the screen \x1b]0;owned\x07 and the "
        "clipboard \x1b]52;c;ZWNobyBvd25lZA==\x07 then \x9b31m colours.\n".encode(),
    )
    data.add(evil)
    with StubHub(data) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        assert hubcrawl("rank", endpoint=hub.url, db=db_file).code == 0
    return db_file


def file_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def test_query_cannot_create_change_or_delete_any_file(small_db, tmp_path):
    folder = small_db.parent
    before = file_state(folder)
    for sql in [
        f"ATTACH DATABASE '{tmp_path}/x.db' AS x",
        f"VACUUM INTO '{tmp_path}/y.db'",
        "DELETE FROM artifacts",
        "UPDATE artifacts SET likes = 0",
        "DROP TABLE scores",
        "CREATE TABLE t (x)",
        "PRAGMA user_version = 9",
        "PRAGMA journal_mode = delete",
        "INSERT INTO scores (artifact_id) VALUES ('x')",
        "SELECT load_extension('x')",
        "select 1; delete from artifacts",
    ]:
        result = hubcrawl("query", sql, endpoint="http://127.0.0.1:9", db=small_db)
        assert one_line_error(result).startswith("Error: query refused"), (sql, result.stderr)
    assert list(tmp_path.iterdir()) == []
    assert file_state(folder) == before
    allowed = hubcrawl(
        "query", "pragma table_info(artifacts)", "--format", "json", endpoint="http://127.0.0.1:9", db=small_db
    )
    assert allowed.code == 0 and "repo_id" in allowed.stdout


def test_query_stops_at_its_time_limit(small_db):
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    started = time.monotonic()
    result = hubcrawl("query", endless, "--time-limit", "0.5", endpoint="http://127.0.0.1:9", db=small_db)
    assert "time limit" in one_line_error(result)
    assert time.monotonic() - started < 20


def test_card_text_reaches_the_terminal_without_control_characters(small_db):
    for args in (
        ["search", "clipboard"],
        ["show", "evil/escapes"],
        ["query", "select body from cards"],
        ["search", "clipboard", "--format", "json"],
        ["show", "evil/escapes", "--format", "json"],
    ):
        result = hubcrawl(*args, endpoint="http://127.0.0.1:9", db=small_db)
        assert result.code == 0, result.stderr
        assert not any(c in result.stdout for c in "\x1b\x07\x9b"), args
    shown = json.loads(
        hubcrawl(
            "query",
            "select body from cards where artifact_id = 'evil/escapes'",
            "--format",
            "json",
            endpoint="http://127.0.0.1:9",
            db=small_db,
        ).stdout
    )
    assert "\x1b]52;c;" in shown[0]["body"]  # JSON keeps the text, escaped, as it was written


def test_fts_syntax_in_a_search_is_text(small_db):
    for text in ['"', "C++ AND", "NEAR(", "*", "a OR"]:
        result = hubcrawl("search", text, endpoint="http://127.0.0.1:9", db=small_db)
        assert result.code == 0, (text, result.stderr)
        no_traceback(result)


def test_readers_on_files_that_are_not_hubcrawl_databases(small_db, tmp_path):
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello " * 1000)
    empty = tmp_path / "empty.db"
    empty.touch()
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("create table notes (x)").connection.commit()
    older = tmp_path / "older.db"
    older.write_bytes(small_db.read_bytes())
    sqlite3.connect(older).execute("pragma user_version = 1").connection.commit()
    expected = {
        not_sqlite: "not a SQLite database",
        empty: "not a hubcrawl database",
        foreign: "not a hubcrawl database",
        older: "hubcrawl migrate",
    }
    for path, message in expected.items():
        for verb in (["query", "select 1"], ["show", "a/b"], ["search", "x"], ["runs"], ["export", "artifacts"]):
            result = hubcrawl(*verb, endpoint="http://127.0.0.1:9", db=path)
            assert message in one_line_error(result), (path.name, verb, result.stderr)
    assert hubcrawl("migrate", endpoint="http://127.0.0.1:9", db=older).code == 0
    assert hubcrawl("runs", endpoint="http://127.0.0.1:9", db=older).code == 0


def test_writers_never_create_or_adopt_a_database_by_mistake(tmp_path):
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("create table notes (x)").connection.commit()
    before = foreign.read_bytes()
    for verb in (["rank"], ["normalize"], ["compare", "--all"], ["migrate"]):
        missing = hubcrawl(*verb, endpoint="http://127.0.0.1:9", db=tmp_path / "typo.db")
        assert "no database at" in one_line_error(missing)
        adopted = hubcrawl(*verb, endpoint="http://127.0.0.1:9", db=foreign)
        assert "not a hubcrawl database" in one_line_error(adopted)
    crawl = hubcrawl("crawl", "models", endpoint="http://127.0.0.1:9", db=foreign)
    assert "not a hubcrawl database" in one_line_error(crawl)
    assert not (tmp_path / "typo.db").exists() and foreign.read_bytes() == before


def test_output_to_a_full_device_is_one_line(small_db):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "hubcrawl", "query", "select * from artifacts", "--db", str(small_db)],
            cwd=REPO_ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "Error: cannot write the output: No space left on device"


def test_site_writes_long_and_odd_names_and_never_through_a_planted_link(tmp_path):
    from hubcrawl.crawler.items import ArtifactItem
    from hubcrawl.crawler.normalize import normalize_artifact
    from hubcrawl.db import open_db, save_artifacts

    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    names = ["o" * 48 + "/" + "n" * 47, "weird/..%2F..%2Fetc", "a/b", "A/B"]
    save_artifacts(
        db,
        [
            normalize_artifact(ArtifactItem("dataset", n, {"id": n, "downloads": 5}, "2026-01-01T00:00:00Z")).rows()
            for n in names
        ],
    )
    db.close()
    assert hubcrawl("rank", endpoint="http://127.0.0.1:9", db=db_file).code == 0
    site = tmp_path / "site"
    (site / "artifacts").mkdir(parents=True)
    target = tmp_path / "victim.html"
    target.write_text("untouched")
    from hubcrawl.crawler.render import page_file

    (site / "artifacts" / page_file("datasets/a/b")).symlink_to(target)
    result = hubcrawl("site", str(site), endpoint="http://127.0.0.1:9", db=db_file)
    assert result.code == 0, result.stderr
    assert target.read_text() == "untouched"
    pages = list((site / "artifacts").iterdir())
    assert len(pages) == 4 and not any(p.is_symlink() for p in pages)
    assert all(len(p.name.encode()) < 255 and p.parent == site / "artifacts" for p in pages)
    (site / "compare").rmdir() if (site / "compare").exists() else None
    (site / "compare").symlink_to(tmp_path)
    linked = hubcrawl("site", str(site), endpoint="http://127.0.0.1:9", db=db_file)
    assert "symbolic link" in one_line_error(linked)


def test_a_symlink_to_the_database_finds_the_same_lock(small_db, tmp_path):
    link = tmp_path / "link.db"
    link.symlink_to(small_db)
    lock = RunLock(small_db).acquire()
    try:
        result = hubcrawl("crawl", "models", endpoint="http://127.0.0.1:9", db=link)
    finally:
        lock.release()
    assert one_line_error(result) == "Error: another crawl is running on this database; use --wait to wait for it"
    statuses = {r["status"] for r in sqlite_utils.Database(small_db).query("select status from crawl_runs")}
    assert statuses == {"finished"}  # the held run was not marked interrupted


def test_sigterm_during_a_long_retry_after_wait_stops_at_once(tmp_path):
    data = make_hub(3, 0, awkward=False)
    data.get("model", "org01/model-00001").card_retry_after = "100000"  # capped, but still one whole window (300 s)
    with StubHub(data) as hub:
        proc = start_crawl(hub.url, tmp_path / "hub.db", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not any(r["status"] == 429 for r in hub.requests()) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - stopped < 10  # not the 300 s the wait had left
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
