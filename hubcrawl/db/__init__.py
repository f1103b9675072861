"""The database: schema, upserts and queries, in one place. Everything else calls these functions.

One SQLite file, written through sqlite-utils. Artifacts are keyed by their Hub URL path
(`owner/name`, `datasets/owner/name`), unique on (kind, repo_id), with the Hub's stable `_id`
kept as `hub_id`. Tables that belong to an artifact carry `artifact_id` with a foreign key.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from hubcrawl.db.schema import (
    APPLICATION_ID,
    FTS_COLUMNS,
    INDEXES,
    JSON_COLUMNS,
    LEGACY_TABLES,
    SCHEMA,
    SCHEMA_VERSION,
    column_types,
)

# What a reader may do (sqlite3's authorizer): read, call functions, recurse, and a few pragmas
# that only report. Anything else (ATTACH, which VACUUM INTO uses too, any write, a pragma that
# sets a value) is refused before SQLite touches a file.
# Transaction control stays allowed: sqlite-utils wraps each query in a savepoint, and on a
# read-only connection a transaction can change nothing.
READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
    sqlite3.SQLITE_TRANSACTION,
    sqlite3.SQLITE_SAVEPOINT,
}
# Pragmas whose argument names a table or an index (reading), and pragmas that only report
# when they have no argument (with one, they would set a value).
NAMING_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}
REPORTING_PRAGMAS = {
    "table_list",
    "function_list",
    "collation_list",
    "compile_options",
    "user_version",
    "application_id",
    "schema_version",
    "data_version",
    "page_count",
    "page_size",
    "freelist_count",
    "encoding",
}
# FTS5 and table-valued pragmas read the schema through an UPDATE-authorized look at sqlite_master;
# on a file opened read-only it cannot write.
SCHEMA_TABLES = {"sqlite_master", "sqlite_temp_master", "sqlite_schema"}
DENIED_FUNCTIONS = {"load_extension", "fts3_tokenizer"}


class DatabaseError(RuntimeError):
    """The database cannot be opened or used; the message is meant for the user as is."""


class QueryTimeout(DatabaseError):
    """A reader's statement ran past its time limit."""


def is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


# Another writer (a user's `sqlite-utils insert`, a Datasette plugin) can hold the database longer
# than busy_timeout: a write then waits and tries again instead of failing the crawl. Every write
# below is one transaction of idempotent upserts, so trying again is safe.
retry_when_locked = retry(
    retry=retry_if_exception(is_locked),
    stop=stop_after_attempt(6),
    wait=wait_exponential(multiplier=0.5, max=8),
    reraise=True,
)


def open_db(path: str | Path, *, create: bool = False, busy_timeout: float = 30.0) -> sqlite_utils.Database:
    """Open a writable hubcrawl database with its schema up to date and WAL on.

    Only `create=True` (a crawl) makes a new file. Any other SQLite file is refused, never given
    hubcrawl's tables, so a mistyped `--db` is an error rather than a new empty database.
    """
    path = Path(path)
    if not create and not path.is_file():
        raise DatabaseError(f"no database at {path}: crawl into it first (hubcrawl crawl), or give --db PATH")
    try:
        db = sqlite_utils.Database(sqlite3.connect(path))
        check_identity(db, path, new_ok=create)
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        db.enable_wal()
        ensure_schema(db)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}") from None
    except OSError as exc:
        raise DatabaseError(f"cannot open database {path}: {exc.strerror or exc}") from None
    return db


def close_db(db: sqlite_utils.Database) -> None:
    """Close a writer's connection. The last writer out turns WAL off again: an idle database is then
    one file, and readers need no write access to its folder and create no -wal/-shm files. While
    anyone else has it open the switch is refused at once (busy timeout 0) and WAL stays."""
    try:
        db.execute("PRAGMA busy_timeout = 0")
        db.execute("PRAGMA journal_mode = delete")
    except sqlite3.Error:
        pass
    db.close()


def check_identity(db: sqlite_utils.Database, path: Path, *, new_ok: bool) -> None:
    """hubcrawl's own database (or an empty file, where a new one is wanted), or an error."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    tables = set(db.table_names())
    if app_id == 0 and not tables and new_ok:
        return
    if app_id == 0 and LEGACY_TABLES <= tables:
        return  # made by hubcrawl before it marked its files
    raise DatabaseError(f"{path} is not a hubcrawl database; hubcrawl will not write its tables into it")


def open_readonly(path: str | Path, time_limit: float | None = None) -> sqlite_utils.Database:
    """Open an existing hubcrawl database so that no statement can change it or create a file.

    SQLite enforces it twice: the file is opened read-only, and an authorizer refuses anything
    but reading. A database in a folder the reader cannot write is opened immutable. With
    `time_limit`, a statement running longer is stopped (a progress handler, as Datasette does).
    """
    path = Path(path)
    if not path.is_file():
        raise DatabaseError(f"no database at {path}")
    conn = None
    for flags in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
            version, app_id = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("user_version", "application_id"))
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
            break
        except sqlite3.OperationalError as exc:  # e.g. no -shm file and no right to make one
            error = exc
        except sqlite3.DatabaseError:
            raise DatabaseError(f"{path} is not a SQLite database") from None
    else:
        raise DatabaseError(f"cannot open database {path}: {error}")
    if app_id != APPLICATION_ID and not (app_id == 0 and LEGACY_TABLES <= tables):
        raise DatabaseError(f"{path} is not a hubcrawl database")
    if version < SCHEMA_VERSION:
        raise DatabaseError(
            f"{path} has an older hubcrawl schema (version {version}); "
            f"bring it up to date with: hubcrawl migrate --db {path}"
        )
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"{path} was written by a newer hubcrawl (schema {version}); upgrade hubcrawl to read it")
    db = sqlite_utils.Database(conn)  # it sets a pragma on the way in: the authorizer comes after
    conn.set_authorizer(read_only_authorizer)
    if time_limit:
        limit_statements(conn, time_limit)
    return db


def read_only_authorizer(action: int, arg1, arg2, _db, _trigger) -> int:
    if action in READ_ACTIONS and not (action == sqlite3.SQLITE_FUNCTION and arg2 in DENIED_FUNCTIONS):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = str(arg1).lower()
        if name in NAMING_PRAGMAS or (name in REPORTING_PRAGMAS and arg2 is None):
            return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 in SCHEMA_TABLES:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def limit_statements(conn: sqlite3.Connection, seconds: float) -> None:
    """Stop any statement on this connection after `seconds` (checked every few thousand VM steps)."""
    state = {"deadline": None}

    def trace(_statement):  # each statement starts its own clock
        state["deadline"] = time.monotonic() + seconds

    def over_time() -> bool:
        return state["deadline"] is not None and time.monotonic() > state["deadline"]

    conn.set_trace_callback(trace)
    conn.set_progress_handler(over_time, 10_000)


def run_query(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> tuple[list[str], list[tuple]]:
    """A reader's statement: its columns and rows, or a one-line DatabaseError."""
    try:
        cursor = db.execute(sql, list(params))
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    except sqlite3.Warning:  # e.g. two statements at once
        raise DatabaseError("query refused: one statement at a time") from None
    except sqlite3.Error as exc:
        message = str(exc)
        if message == "interrupted":
            raise QueryTimeout("query stopped: it ran past its time limit (--time-limit)") from None
        if message == "not authorized" or "readonly" in message:
            message = "the database is read-only here: only reading statements are allowed"
        raise DatabaseError(f"query refused: {message}") from None


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Tables, columns, indexes and search indexes as SCHEMA states them; then the file's identity."""
    for name, spec in SCHEMA.items():
        table, types = db[name], column_types(name)
        if not table.exists():
            table.create(types, pk=spec["pk"], foreign_keys=spec.get("foreign_keys"))
        else:
            for column, col_type in types.items():
                if column not in table.columns_dict:
                    table.add_column(column, col_type)
    for name, columns, unique in INDEXES:
        db[name].create_index(columns, unique=unique, if_not_exists=True)
    for table, columns in FTS_COLUMNS.items():
        if not db[f"{table}_fts"].exists():
            db[table].enable_fts(columns, fts_version="FTS5", create_triggers=True, tokenize="porter")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


CARD_TEXT_WEIGHT = 0.5  # a match in the card's own words counts half a match in its name or capabilities


def to_json(value: Any) -> str | None:
    """JSON for a column; YAML front matter may hold dates, which become ISO strings."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def encode_row(table: str, row: dict) -> dict:
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if column in out:
            out[column] = to_json(out[column])
    return out


@retry_when_locked
def save_artifacts(db: sqlite_utils.Database, batch: Iterable[Any]) -> int:
    """Upsert a batch of normalized artifacts, with their cards, capabilities and eval results, in one
    transaction. An artifact's capabilities and eval results are replaced as a whole."""
    artifacts, cards, capabilities, evals = [], [], [], []
    for normalized in batch:
        artifact_id = normalized.artifact["id"]
        artifacts.append(encode_row("artifacts", normalized.artifact))
        if normalized.card is not None:
            cards.append(encode_row("cards", normalized.card))
        for position, cap in enumerate(normalized.capabilities):
            capabilities.append(encode_row("capabilities", dict(cap, artifact_id=artifact_id, position=position)))
        evals.extend(dict(e, artifact_id=artifact_id) for e in normalized.eval_results)
    ids = [a["id"] for a in artifacts]
    with db.atomic():
        db["artifacts"].upsert_all(artifacts, pk="id")
        if cards:
            db["cards"].upsert_all(cards, pk="artifact_id")
        for table in ("capabilities", "eval_results"):
            for chunk in chunked(ids, 500):
                db.execute(f"delete from {table} where artifact_id in ({','.join('?' * len(chunk))})", chunk)
        if capabilities:
            db["capabilities"].insert_all(capabilities)
        if evals:
            db["eval_results"].insert_all(evals)
    return len(artifacts)


@retry_when_locked
def save_page(db: sqlite_utils.Database, page: dict) -> None:
    with db.atomic():
        db["pages"].upsert(encode_row("pages", page), pk="artifact_id")


def stored_sources(db: sqlite_utils.Database, artifact_ids: Iterable[str] | None = None, batch_size: int = 500):
    """(artifact, card, page) rows as stored, decoded; every artifact when no ids are given."""
    if artifact_ids is None:
        ids = [r["id"] for r in db.query("select id from artifacts order by id")]
    else:
        ids = list(artifact_ids)
    for chunk in chunked(ids, batch_size):
        marks = ",".join("?" * len(chunk))
        artifacts = {
            r["id"]: decode_row("artifacts", r)
            for r in db.query(f"select * from artifacts where id in ({marks})", chunk)
        }
        cards = {
            r["artifact_id"]: decode_row("cards", r)
            for r in db.query(f"select * from cards where artifact_id in ({marks})", chunk)
        }
        pages = {
            r["artifact_id"]: decode_row("pages", r)
            for r in db.query(f"select * from pages where artifact_id in ({marks})", chunk)
        }
        for artifact_id in chunk:
            if artifact_id in artifacts:
                yield artifacts[artifact_id], cards.get(artifact_id), pages.get(artifact_id)


def artifacts_for_pages(
    db: sqlite_utils.Database, kind: str | None, limit: int | None, due_only: bool = True
) -> list[dict]:
    """Which pages to visit: never visited or changed since the visit (all, with `due_only=False`),
    most adopted first."""
    due = "(p.fetched_at is null or a.last_modified > p.fetched_at)"
    conditions = [c for c in ("a.kind = ?" if kind else "", due if due_only else "", "a.gone_at is null") if c]
    sql = f"""
        select a.kind, a.repo_id from artifacts a left join pages p on p.artifact_id = a.id
        where {" and ".join(conditions)}
        order by {due} desc, coalesce(a.downloads, 0) desc, coalesce(a.likes, 0) desc, a.id
        {"limit ?" if limit else ""}"""
    params = ([kind] if kind else []) + ([limit] if limit else [])
    return list(db.query(sql, params))


def get_capabilities(db: sqlite_utils.Database, artifact_id: str) -> list[dict]:
    rows = db.query(
        "select title, text, evidence from capabilities where artifact_id = ? order by position", [artifact_id]
    )
    return [decode_row("capabilities", r) for r in rows]


def chunked(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def start_run(db: sqlite_utils.Database, *, spiders: list[str], endpoint: str, arguments: dict, started_at: str) -> int:
    table = db["crawl_runs"]
    with db.atomic():
        table.insert(
            encode_row(
                "crawl_runs",
                {
                    "started_at": started_at,
                    "status": "running",
                    "spiders": ",".join(spiders),
                    "endpoint": endpoint,
                    "arguments": arguments,
                    "requests": 0,
                    "listing_pages": 0,
                    "items": 0,
                    "cards": 0,
                    "pages": 0,
                    "errors": 0,
                    "errors_by_kind": {},
                },
            )
        )
    return table.last_pk


@retry_when_locked
def add_run_counts(
    db: sqlite_utils.Database, run_id: int, counts: dict[str, int], errors_by_kind: dict[str, int]
) -> None:
    """Add what one spider did since its last report to a run (a `crawl all` run is several spiders).
    `items` is not added but counted: the distinct repos this run stored, however often listed."""
    with db.atomic():
        run = db["crawl_runs"].get(run_id)
        merged = json.loads(run["errors_by_kind"] or "{}")
        for kind, n in errors_by_kind.items():
            merged[kind] = merged.get(kind, 0) + n
        update = {k: (run[k] or 0) + v for k, v in counts.items() if k != "items"}
        update["items"] = db.execute("select count(*) from artifacts where run_id = ?", [run_id]).fetchone()[0]
        update["errors"] = sum(merged.values())
        update["errors_by_kind"] = to_json(merged)
        db["crawl_runs"].update(run_id, update)


def finish_run(
    db: sqlite_utils.Database, run_id: int, *, status: str, finished_at: str, message: str | None = None
) -> dict:
    with db.atomic():
        db["crawl_runs"].update(run_id, {"status": status, "finished_at": finished_at, "message": message})
    return get_run(db, run_id)


def get_run(db: sqlite_utils.Database, run_id: int) -> dict:
    return decode_row("crawl_runs", db["crawl_runs"].get(run_id))


def list_runs(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    rows = db.query("select * from crawl_runs order by id desc limit ?", [limit])
    return [decode_row("crawl_runs", r) for r in rows]


def decode_row(table: str, row: dict) -> dict:
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if isinstance(out.get(column), str):
            out[column] = json.loads(out[column])
    return out


def find_artifacts(db: sqlite_utils.Database, identifier: str) -> list[dict]:
    """Artifacts an identifier names: `datasets/a/b` is a dataset; bare `a/b` may be either kind."""
    if identifier.startswith("datasets/"):
        rows = db.query("select * from artifacts where kind = 'dataset' and repo_id = ?", [identifier[9:]])
    else:
        rows = db.query("select * from artifacts where repo_id = ? order by kind desc", [identifier])
    return [decode_row("artifacts", r) for r in rows]


def get_artifact(db: sqlite_utils.Database, artifact_id: str) -> dict:
    """One artifact by its key (`owner/name`, `datasets/owner/name`): never ambiguous, unlike a bare name."""
    return decode_row("artifacts", db["artifacts"].get(artifact_id))


@retry_when_locked
def replace_edges(db: sqlite_utils.Database, edges: list[dict]) -> None:
    with db.atomic():
        db.execute("delete from edges")
        db["edges"].insert_all(edges, batch_size=5000)


@retry_when_locked
def replace_scores(db: sqlite_utils.Database, scores: list[dict]) -> None:
    with db.atomic():
        db.execute("delete from scores")
        db["scores"].insert_all(scores, batch_size=5000)


@retry_when_locked
def save_comparisons(db: sqlite_utils.Database, rows: list[dict]) -> None:
    with db.atomic():
        db["comparisons"].upsert_all(rows, pk="id", batch_size=2000)


def rare_term_postings(db: sqlite_utils.Database, max_df: int) -> dict[str, set[int]]:
    """Rare terms of the capability text (in 2..max_df artifacts) and the artifacts (rowids) they occur in.

    SQLite's FTS5 does the tokenizing and the counting (fts5vocab over the search index): no index of
    our own. Shared rare terms are what the match graph's similarity edges are made of.
    """
    ensure_vocab_tables(db)
    sql = """
        select term, doc from temp.cap_instances
        where col = 'capability_text' and term in (select term from temp.cap_terms where doc between 2 and ?)"""
    postings: dict[str, set[int]] = {}
    for term, doc in db.execute(sql, [max_df]):
        postings.setdefault(term, set()).add(doc)
    return postings


def ensure_vocab_tables(db: sqlite_utils.Database) -> None:
    """FTS5's own views of the search index: terms with their document counts, and term instances."""
    db.execute("create virtual table if not exists temp.cap_terms using fts5vocab(main, artifacts_fts, 'row')")
    db.execute("create virtual table if not exists temp.cap_instances using fts5vocab(main, artifacts_fts, 'instance')")


# -- reads for ranking, comparisons and `show` ------------------------------------------------------


def artifact_rows(db: sqlite_utils.Database, columns: Iterable[str]) -> list[dict]:
    """These columns of every artifact (plus its `_rowid`, which the search index refers to), decoded."""
    rows = db.query(f"select rowid as _rowid, {', '.join(columns)} from artifacts order by id")
    return [decode_row("artifacts", r) for r in rows]


def score_rows(db: sqlite_utils.Database) -> dict[str, dict]:
    return {r["artifact_id"]: r for r in db.query("select * from scores")}


def get_scores(db: sqlite_utils.Database, artifact_id: str) -> dict | None:
    rows = list(
        db.query(
            "select overall, adoption, quality, ecosystem, match_graph, method_version "
            "from scores where artifact_id = ?",
            [artifact_id],
        )
    )
    return rows[0] if rows else None


def eval_rows(db: sqlite_utils.Database, artifact_id: str | None = None) -> list[dict]:
    """Eval results in the order they were reported (all, or one artifact's)."""
    where, params = ("where artifact_id = ?", [artifact_id]) if artifact_id else ("", [])
    sql = f"select artifact_id, source, dataset, dataset_name, config, split, metric, value, verified from eval_results {where} order by id"
    return [dict(r) for r in db.query(sql, params)]


def capability_rows(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("select artifact_id, aspect, title, text from capabilities order by artifact_id, position"))


def edge_rows(db: sqlite_utils.Database) -> list[tuple[str, str, float]]:
    return db.execute("select source, target, weight from edges").fetchall()


def comparison_states(db: sqlite_utils.Database) -> dict[str, dict]:
    """Stored comparison records: what each was made from (to know whether it must be written again)."""
    sql = "select id, a_id, b_id, a_sha, b_sha, a_overall, b_overall, method_version from comparisons"
    return {r["id"]: r for r in db.query(sql)}


def times_matched(db: sqlite_utils.Database, artifact_id: str) -> int:
    sql = "select count(*) from comparisons where a_id = ? or b_id = ?"
    return db.execute(sql, [artifact_id, artifact_id]).fetchone()[0]


# -- incremental runs ---------------------------------------------------------------------------------


def get_watermark(db: sqlite_utils.Database, key: str) -> str | None:
    rows = list(db.query("select high_water from crawl_state where key = ?", [key]))
    return rows[0]["high_water"] if rows else None


@retry_when_locked
def save_watermark(db: sqlite_utils.Database, key: str, high_water: str, run_id: int | None, updated_at: str) -> None:
    with db.atomic():
        db["crawl_state"].upsert(
            {"key": key, "high_water": high_water, "run_id": run_id, "updated_at": updated_at}, pk="key"
        )


def stored_states(db: sqlite_utils.Database, kind: str, repo_ids: list[str]) -> dict[str, dict]:
    """What is stored for these repos: their commit, whether a card is stored, and the fetch errors."""
    out = {}
    for chunk in chunked(repo_ids, 500):
        marks = ",".join("?" * len(chunk))
        sql = f"""select a.repo_id, a.sha, a.fetch_errors, a.run_id, c.artifact_id is not null as has_card
                  from artifacts a left join cards c on c.artifact_id = a.id
                  where a.kind = ? and a.repo_id in ({marks})"""
        for r in db.query(sql, [kind, *chunk]):
            out[r["repo_id"]] = {
                "sha": r["sha"],
                "has_card": bool(r["has_card"]),
                "run_id": r["run_id"],
                "fetch_errors": json.loads(r["fetch_errors"] or "[]"),
            }
    return out


@retry_when_locked
def save_history(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Counters seen in a run, one row per artifact and run (adoption over time)."""
    if rows:
        with db.atomic():
            db["counter_history"].upsert_all(rows, pk=("artifact_id", "run_id"))


@retry_when_locked
def update_counters(db: sqlite_utils.Database, rows: list[dict]) -> int:
    """Refresh only the adoption counters of stored artifacts (`crawl --counters`)."""
    with db.atomic():
        db.conn.executemany(
            "update artifacts set downloads = :downloads, downloads_all_time = :downloads_all_time, likes = :likes, "
            "trending_score = :trending_score, run_id = :run_id where id = :id",
            rows,
        )
    return len(rows)


def renamed_artifacts(db: sqlite_utils.Database, artifacts: list[dict]) -> list[tuple[str, str]]:
    """(old id, new id) for artifacts stored under another name with the same Hub `_id` (a rename)."""
    by_hub_id = {a["hub_id"]: a for a in artifacts if a.get("hub_id")}
    renames = []
    for chunk in chunked(list(by_hub_id), 500):
        sql = f"select id, kind, hub_id from artifacts where hub_id in ({','.join('?' * len(chunk))})"
        for r in db.query(sql, chunk):
            new = by_hub_id[r["hub_id"]]
            if r["id"] != new["id"] and r["kind"] == new["kind"]:
                renames.append((r["id"], new["id"]))
    return renames


# Every column that refers to an artifact id: a rename moves them all.
ARTIFACT_REFERENCES = [
    ("cards", "artifact_id"),
    ("capabilities", "artifact_id"),
    ("eval_results", "artifact_id"),
    ("pages", "artifact_id"),
    ("scores", "artifact_id"),
    ("counter_history", "artifact_id"),
    ("edges", "source"),
    ("edges", "target"),
    ("comparisons", "a_id"),
    ("comparisons", "b_id"),
]


@retry_when_locked
def rename_artifact(db: sqlite_utils.Database, old_id: str, new_id: str) -> None:
    """Move an artifact and everything that refers to it to its new name; its history stays with it."""
    with db.atomic():
        if db.execute("select 1 from artifacts where id = ?", [new_id]).fetchone():
            db.execute("delete from artifacts where id = ?", [new_id])  # a row the new name got meanwhile
        previous = json.loads(
            db.execute("select coalesce(previous_ids, '[]') from artifacts where id = ?", [old_id]).fetchone()[0]
        )
        new_repo_id = new_id.removeprefix("datasets/")
        db.execute(
            "update artifacts set id = ?, repo_id = ?, previous_ids = ? where id = ?",
            [new_id, new_repo_id, json.dumps(previous + [old_id]), old_id],
        )
        for table, column in ARTIFACT_REFERENCES:
            db.execute(f"update or replace {table} set {column} = ? where {column} = ?", [new_id, old_id])


@retry_when_locked
def mark_gone(db: sqlite_utils.Database, gone_ids: list[str], present_ids: list[str], when: str) -> None:
    """Repos the Hub no longer has keep their row, dated `gone_at` (first seen gone); ones seen again lose it."""
    with db.atomic():
        for chunk in chunked(gone_ids, 500):
            db.execute(
                f"update artifacts set gone_at = coalesce(gone_at, ?) where id in ({','.join('?' * len(chunk))})",
                [when, *chunk],
            )
        for chunk in chunked(present_ids, 500):
            db.execute(
                f"update artifacts set gone_at = null where gone_at is not null and id in ({','.join('?' * len(chunk))})",
                chunk,
            )


def interrupt_stale_runs(db: sqlite_utils.Database, finished_at: str) -> int:
    """Runs still marked running when a new run holds the lock were killed: say so in the ledger."""
    with db.atomic():
        cursor = db.execute(
            "update crawl_runs set status = 'interrupted', finished_at = coalesce(finished_at, ?) "
            "where status = 'running'",
            [finished_at],
        )
    return cursor.rowcount


def search_artifacts(db: sqlite_utils.Database, text: str, kind: str | None = None, limit: int = 20) -> list[dict]:
    """Full-text search over names, capabilities and card text, best first.

    Each FTS5 index gives its best matches by bm25 (`order by rank`, which FTS5 answers without
    ranking every row); an artifact's score is its names-and-capabilities score plus half its
    card-text score (higher is better). Snippets are made for the final hits only.
    """
    query = db.quote_fts(text)  # every word quoted: no FTS syntax reaches the index
    if not query.strip('" '):
        return []
    depth = limit * (20 if kind else 5)  # a kind filter discards candidates: look deeper
    scores: dict[int, float] = {}
    by_card: dict[int, int] = {}
    for rowid, rank in db.execute(
        "select rowid, rank from artifacts_fts where artifacts_fts match ? order by rank limit ?", [query, depth]
    ):
        scores[rowid] = -rank
    card_hits = db.execute(
        """select a.rowid, c.rowid, f.rank from (select rowid, rank from cards_fts where cards_fts match ? order by rank limit ?) f
           join cards c on c.rowid = f.rowid join artifacts a on a.id = c.artifact_id""",
        [query, depth],
    ).fetchall()
    for artifact_rowid, card_rowid, rank in card_hits:
        scores[artifact_rowid] = scores.get(artifact_rowid, 0.0) - rank * CARD_TEXT_WEIGHT
        by_card[artifact_rowid] = card_rowid
    hits = []
    for rowid in sorted(scores, key=lambda r: -scores[r]):
        [row] = db.execute("select kind, repo_id from artifacts where rowid = ?", [rowid]).fetchall()
        if kind and row[0] != kind:
            continue
        hits.append(
            {
                "kind": row[0],
                "repo_id": row[1],
                "score": round(scores[rowid], 4),
                "snippet": search_snippet(db, query, rowid, by_card.get(rowid)),
            }
        )
        if len(hits) == limit:
            break
    return hits


def search_snippet(db: sqlite_utils.Database, query: str, artifact_rowid: int, card_rowid: int | None) -> str:
    """The matching passage, from the names and capabilities if they match, else from the card."""
    for table, rowid in (("artifacts_fts", artifact_rowid), ("cards_fts", card_rowid)):
        if rowid is not None:
            row = db.execute(
                f"select snippet({table}, -1, '[', ']', '…', 16) from {table} where {table} match ? and rowid = ?",
                [query, rowid],
            ).fetchone()
            if row:
                return row[0]
    return ""


EXPORTABLE = (
    "artifacts",
    "capabilities",
    "comparisons",
    "scores",
    "eval_results",
    "edges",
    "counter_history",
    "crawl_runs",
)


def export_rows(db: sqlite_utils.Database, table: str, decode_json: bool):
    """Every row of an exportable table, in primary-key order, streamed; JSON columns decoded on request."""
    if table not in EXPORTABLE:
        raise DatabaseError(f"cannot export {table!r}: choose one of {', '.join(EXPORTABLE)}")
    for row in db[table].rows_where(order_by="rowid"):
        yield decode_row(table, row) if decode_json else row


def ranked_artifacts(db: sqlite_utils.Database, limit: int) -> list[dict]:
    """The best-scored artifacts first (for the static site's index)."""
    sql = """select a.id, a.kind, a.repo_id, a.task, s.overall from artifacts a join scores s on s.artifact_id = a.id
             order by s.overall desc, a.id limit ?"""
    return [dict(r) for r in db.query(sql, [limit])]


def comparison_records(db: sqlite_utils.Database, artifact_ids: list[str]) -> list[dict]:
    """Stored comparison records in which any of these artifacts appears."""
    out = []
    for chunk in chunked(artifact_ids, 400):
        marks = ",".join("?" * len(chunk))
        sql = f"select id, record from comparisons where a_id in ({marks}) or b_id in ({marks}) order by id"
        out += [decode_row("comparisons", r) for r in db.query(sql, chunk + chunk)]
    return list({r["id"]: r for r in out}.values())
