"""Opening and closing hubcrawl databases: the file's identity, the schema brought up to date,
writers waiting out other writers, and readers that can only read."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from hubcrawl.db.migrations import migrate
from hubcrawl.db.schema import (
    APPLICATION_ID,
    FTS_COLUMNS,
    INDEXES,
    JSON_COLUMNS,
    LEGACY_TABLES,
    SCHEMA,
    SCHEMA_VERSION,
    SEARCH_FTS_SQL,
    VIEWS,
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


PAGE_SIZE = 8192  # bytes per page of a new database


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
        if not db.table_names():
            # Set before the first table (and WAL) or never: records of 1-4 KB (artifacts, comparisons)
            # leave half of every 4 KB page empty; 8 KB pages hold them about a quarter smaller.
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
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


def is_hubcrawl_file(app_id: int, tables: set[str]) -> bool:
    """Marked as hubcrawl's, or made by hubcrawl before it marked its files."""
    return app_id == APPLICATION_ID or (app_id == 0 and LEGACY_TABLES <= tables)


def check_identity(db: sqlite_utils.Database, path: Path, *, new_ok: bool) -> None:
    """hubcrawl's own database (or an empty file, where a new one is wanted), or an error."""
    app_id, tables = db.execute("PRAGMA application_id").fetchone()[0], set(db.table_names())
    if is_hubcrawl_file(app_id, tables) or (new_ok and app_id == 0 and not tables):
        return
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
    if not is_hubcrawl_file(app_id, tables):
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


def ensure_schema(db: sqlite_utils.Database) -> None:
    """The numbered migrations an older file lacks, then tables, columns, indexes and search indexes
    as SCHEMA states them; then the file's identity."""
    migrate(db)
    for name, spec in SCHEMA.items():
        table, types = db[name], column_types(name)
        if not table.exists():
            table.create(types, pk=spec["pk"], foreign_keys=spec.get("foreign_keys"))
        else:
            existing = table.columns_dict  # read once: each read is a PRAGMA and a parse of every column
            for column, col_type in types.items():
                if column not in existing:
                    table.add_column(column, col_type)
    for name, columns, unique in INDEXES:
        db[name].create_index(columns, unique=unique, if_not_exists=True)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, ignore=True)  # a changed view is a numbered migration's job
    for table, columns in FTS_COLUMNS.items():
        index = db[f"{table}_fts"]
        if not index.exists() or [c.name for c in index.columns] != columns:
            # New, or its columns changed: (re)built from the rows, with the triggers that keep it current.
            db[table].enable_fts(columns, fts_version="FTS5", create_triggers=True, tokenize="porter", replace=True)
    db.execute(SEARCH_FTS_SQL)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def to_json(value: Any) -> str | None:
    """JSON for a column, without the spaces after separators (a tenth of a JSON column's bytes); YAML front
    matter may hold dates, which become ISO strings."""
    if value is None:
        return None
    return json.dumps(
        value,
        ensure_ascii=False,
        separators=(",", ":"),
        default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v),
    )


def encode_row(table: str, row: dict) -> dict:
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if column in out:
            out[column] = to_json(out[column])
    return out


def decode_row(table: str, row: dict) -> dict:
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if isinstance(out.get(column), str):
            out[column] = json.loads(out[column])
    return out


def chunked(values: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items of any iterable (a stream is read one batch at a time)."""
    items = iter(values)
    while batch := list(itertools.islice(items, size)):
        yield batch
