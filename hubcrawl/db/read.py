"""Every read the crawl, ranking, comparisons and the CLI make."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import sqlite_utils

from hubcrawl.db.connection import DatabaseError, QueryTimeout, chunked, decode_row


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


def stored_sources(db: sqlite_utils.Database, artifact_ids: Iterable[str] | None = None, batch_size: int = 500):
    """(artifact, card, page, files) rows as stored, decoded (files: {path: row}); every artifact when
    no ids are given."""
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
        files = {}
        for r in db.query(f"select * from repo_files where artifact_id in ({marks})", chunk):
            files.setdefault(r["artifact_id"], {})[r["path"]] = decode_row("repo_files", r)
        for artifact_id in chunk:
            if artifact_id in artifacts:
                yield artifacts[artifact_id], cards.get(artifact_id), pages.get(artifact_id), files.get(artifact_id, {})


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


def stored_files(db: sqlite_utils.Database, artifact_id: str) -> dict[str, dict]:
    """An artifact's stored config files, {path: row}."""
    rows = db.query("select * from repo_files where artifact_id = ?", [artifact_id])
    return {r["path"]: decode_row("repo_files", r) for r in rows}


def models_for_details(
    db: sqlite_utils.Database,
    paths: Iterable[str],
    limit: int | None,
    due_only: bool = True,
    repo_ids: Iterable[str] = (),
):
    """Models whose file list has any of these paths, most adopted first, with those paths; with
    `due_only`, only the paths not yet fetched at the model's current commit; with `repo_ids`, those only."""
    paths, repo_ids = list(paths), list(repo_ids)
    marks = ",".join("?" * len(paths))
    only = f"and a.repo_id in ({','.join('?' * len(repo_ids))})" if repo_ids else ""
    due = """not exists (select 1 from repo_files f where f.artifact_id = a.id
                         and f.path = json_extract(s.value, '$.rfilename') and f.sha = a.sha)"""
    sql = f"""
        select a.repo_id, a.sha, json_group_array(json_extract(s.value, '$.rfilename')) as paths
        from artifacts a, json_each(a.record, '$.siblings') s
        where a.kind = 'model' and a.gone_at is null and a.sha is not null and json_valid(a.record)
          and json_extract(s.value, '$.rfilename') in ({marks}) {"and " + due if due_only else ""} {only}
        group by a.id
        order by coalesce(a.downloads, 0) desc, coalesce(a.likes, 0) desc, a.id
        {"limit ?" if limit else ""}"""
    rows = db.query(sql, [*paths, *repo_ids] + ([limit] if limit else []))
    return [{"repo_id": r["repo_id"], "sha": r["sha"], "paths": json.loads(r["paths"])} for r in rows]


def find_artifacts(db: sqlite_utils.Database, repo_id: str, kind: str | None = None) -> list[dict]:
    """Artifacts with this repo id, of one kind or of either (models first)."""
    if kind:
        rows = db.query("select * from artifacts where kind = ? and repo_id = ?", [kind, repo_id])
    else:
        rows = db.query("select * from artifacts where repo_id = ? order by kind desc", [repo_id])
    return [decode_row("artifacts", r) for r in rows]


def get_artifact(db: sqlite_utils.Database, artifact_id: str) -> dict:
    """One artifact by its key (`owner/name`, `datasets/owner/name`): never ambiguous, unlike a bare name."""
    return decode_row("artifacts", db["artifacts"].get(artifact_id))


def ensure_vocab_tables(db: sqlite_utils.Database) -> None:
    """FTS5's own views of the search index: terms with their document counts, and term instances."""
    db.execute("create virtual table if not exists temp.cap_terms using fts5vocab(main, artifacts_fts, 'row')")
    db.execute("create virtual table if not exists temp.cap_instances using fts5vocab(main, artifacts_fts, 'instance')")


def iter_artifact_rows(db: sqlite_utils.Database, columns: Iterable[str]) -> Iterator[dict]:
    """These columns of every artifact, decoded, one row at a time (nothing held)."""
    for r in db.query(f"select {', '.join(columns)} from artifacts order by id"):
        yield decode_row("artifacts", r)


def artifact_row(db: sqlite_utils.Database, artifact_id: str, columns: Iterable[str]) -> dict | None:
    rows = list(db.query(f"select {', '.join(columns)} from artifacts where id = ?", [artifact_id]))
    return decode_row("artifacts", rows[0]) if rows else None


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


def capability_rows(db: sqlite_utils.Database, artifact_id: str) -> list[dict]:
    """What comparisons read of an artifact's capabilities; the evidence only of results (their lines
    measure the datasets and metrics it names), decoded."""
    sql = """select aspect, title, text, case when aspect = 'evals' then evidence end as evidence
             from capabilities where artifact_id = ? order by position"""
    return [decode_row("capabilities", r) for r in db.query(sql, [artifact_id])]


def count_capabilities(db: sqlite_utils.Database, artifact_id: str) -> int:
    return db.execute("select count(*) from capabilities where artifact_id = ?", [artifact_id]).fetchone()[0]


# Each artifact's K strongest match-graph neighbours (several edge kinds between two artifacts add up), as
# unordered pairs: SQLite sorts and ranks them on disk, so a pass over the whole Hub holds none of it.
STRONGEST_PAIRS_SQL = """
with both as (select source as x, target as y, weight as w from edges
              union all select target, source, weight from edges),
     summed as (select x, y, sum(w) as w from both group by x, y),
     ranked as (select x, y, row_number() over (partition by x order by w desc, y) as r from summed)
select distinct min(x, y), max(x, y) from ranked where r <= ?"""


def stage_pairs(db: sqlite_utils.Database, per_artifact: int) -> int:
    """Put this pass's pairs in the connection's temporary table `pass_pairs`; returns how many. (The
    temporary table is the connection's own: the database file is not written.)"""
    with db.atomic():  # committed here, so the pass's own writes keep their own transactions
        db.execute("drop table if exists temp.pass_pairs")
        db.execute("create temp table pass_pairs (a text, b text, primary key (a, b)) without rowid")
        db.execute(f"insert into temp.pass_pairs (a, b) {STRONGEST_PAIRS_SQL}", [per_artifact])
        db.execute("create index temp.pass_pairs_b on pass_pairs (b)")
        db.execute("drop table if exists temp.pass_sides")
        db.execute("create temp table pass_sides (artifact_id text primary key) without rowid")
    return db.execute("select count(*) from temp.pass_pairs").fetchone()[0]


def first_time_in_pass(db: sqlite_utils.Database, artifact_id: str) -> bool:
    """True the first time a pass asks about an artifact (its side is then written once): the pass's own
    temporary table remembers, not a set in memory as large as the database."""
    with db.atomic():  # its own transaction: the pass's writes must not end up inside an open one
        return db.execute("insert or ignore into temp.pass_sides values (?)", [artifact_id]).rowcount == 1


def staged_pairs(db: sqlite_utils.Database, size: int = 2000) -> Iterator[tuple[str, str]]:
    """The staged pairs in order, read a page of `size` at a time (the pass writes between pages)."""
    sql = "select a, b from temp.pass_pairs where (a, b) > (?, ?) order by a, b limit ?"
    page = db.execute(sql, ["", "", size]).fetchall()
    while page:
        yield from (tuple(r) for r in page)
        page = db.execute(sql, [*page[-1], size]).fetchall()


def times_matched_after_pass(db: sqlite_utils.Database, artifact_id: str) -> int:
    """How many stored records an artifact will be in once the staged pairs are stored too."""
    sql = """select count(*) from (select id from comparisons where a_id = ?1 or b_id = ?1
                                   union select a || '|' || b from temp.pass_pairs where a = ?1 or b = ?1)"""
    return db.execute(sql, [artifact_id]).fetchone()[0]


def comparison_stands(db: sqlite_utils.Database, pair_id: str) -> bool:
    """Whether a stored record was made from its sides' current commits and scores, by the scores' method."""
    sql = """select 1 from comparisons c
               join artifacts a on a.id = c.a_id join artifacts b on b.id = c.b_id
               join scores sa on sa.artifact_id = c.a_id join scores sb on sb.artifact_id = c.b_id
             where c.id = ? and c.a_sha is a.sha and c.b_sha is b.sha and c.a_overall = sa.overall
               and c.b_overall = sb.overall and c.method_version = sa.method_version"""
    return db.execute(sql, [pair_id]).fetchone() is not None


def comparison_state(db: sqlite_utils.Database, pair_id: str) -> dict | None:
    """What a stored record was made from (to know whether it must be written again)."""
    sql = "select a_sha, b_sha, a_overall, b_overall, method_version from comparisons where id = ?"
    rows = list(db.query(sql, [pair_id]))
    return rows[0] if rows else None


def times_matched(db: sqlite_utils.Database, artifact_id: str) -> int:
    sql = "select count(*) from comparisons where a_id = ? or b_id = ?"
    return db.execute(sql, [artifact_id, artifact_id]).fetchone()[0]


def artifact_id_batches(db: sqlite_utils.Database, after: str | None, size: int) -> list[list[str]]:
    """Every artifact id above `after`, in order, in batches (a pass resumes after its last saved batch)."""
    ids = [r[0] for r in db.execute("select id from artifacts where id > ? order by id", [after or ""])]
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def get_watermark(db: sqlite_utils.Database, key: str) -> str | None:
    rows = list(db.query("select high_water from crawl_state where key = ?", [key]))
    return rows[0]["high_water"] if rows else None


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
    sql = """select a.id, a.kind, a.repo_id, a.task, a.downloads, a.license, s.overall
               from artifacts a join scores s on s.artifact_id = a.id
              order by s.overall desc, a.id limit ?"""
    return [dict(r) for r in db.query(sql, [limit])]


def counter_history(db: sqlite_utils.Database, artifact_id: str) -> list[dict]:
    """What each crawl run saw of an artifact's downloads and likes, oldest first."""
    sql = """select run_id, seen_at, downloads, downloads_all_time, likes from counter_history
              where artifact_id = ? order by run_id"""
    return [dict(r) for r in db.query(sql, [artifact_id])]


def lineage_edges(db: sqlite_utils.Database, artifact_id: str, per_kind: int = 12) -> list[dict]:
    """The artifact's lineage in the match graph (every edge but `similar`), both directions: what it was
    fine-tuned from, trained and evaluated on, and what was made from it; the most downloaded first, at most
    `per_kind` per kind and direction."""
    sql = """select * from (
               select e.kind, e.source = :id as outgoing, o.id, o.repo_id, o.kind as other_kind, o.downloads,
                      row_number() over (partition by e.kind, e.source = :id order by o.downloads desc, o.id) as n
                 from edges e join artifacts o on o.id = case when e.source = :id then e.target else e.source end
                where (e.source = :id or e.target = :id) and e.kind != 'similar')
              where n <= :per_kind order by kind, outgoing desc, n"""
    return [dict(r) for r in db.query(sql, {"id": artifact_id, "per_kind": per_kind})]


def comparison_records(db: sqlite_utils.Database, artifact_ids: list[str]) -> list[dict]:
    """Stored comparison records in which any of these artifacts appears."""
    out = []
    for chunk in chunked(artifact_ids, 400):
        marks = ",".join("?" * len(chunk))
        sql = f"select id, record from comparison_records where a_id in ({marks}) or b_id in ({marks}) order by id"
        out += [decode_row("comparisons", r) for r in db.query(sql, chunk + chunk)]
    return list({r["id"]: r for r in out}.values())
