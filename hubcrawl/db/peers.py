"""Peer statistics in SQL, for one comparison pass: every artifact's measured values and listed names are
staged in temporary tables with their order statistics, so a line's median, rank, counts and nearest
peers are index lookups and nothing grows in memory with the database. `crawler/peers.py` says which
values an artifact contributes; this module stores and looks them up.

Tables (temporary, this connection only): `peer_values` (kind, task, measure, value, artifact_id, with
`below`: values under it, and `from_top`: its place from the top), `peer_middles` (the values around
each group's median), `peer_names` and `peer_counts` (names listed: formats, datasets, sections …).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from hubcrawl.db.connection import chunked

# An eval result is measured per dataset and metric, as "eval␟dataset␟metric" (the SQL below builds the same).
EVAL_PREFIX = "eval\x1f"

STAGE_SCRIPT = """
    drop table if exists temp.peer_raw;
    drop table if exists temp.peer_values;
    drop table if exists temp.peer_middles;
    drop table if exists temp.peer_names;
    drop table if exists temp.peer_counts;
    create temp table peer_raw (kind text, task text, measure text, value, artifact_id text);  -- value as given: ints stay ints
    create temp table peer_names (kind text, task text, measure text, name text, downloads integer, artifact_id text);
"""

INDEX_SCRIPT = """
    create temp table peer_values as
      select kind, task, measure, value, artifact_id,
             rank() over (partition by kind, task, measure order by value) - 1 as below,
             rank() over (partition by kind, task, measure order by value desc) as from_top
      from temp.peer_raw;
    drop table temp.peer_raw;
    create index temp.peer_values_order on peer_values (kind, task, measure, value, artifact_id);
    create index temp.peer_values_own on peer_values (artifact_id, measure);
    create temp table peer_middles as
      select kind, task, measure, n, pos, value from (
        select kind, task, measure, value,
               row_number() over (partition by kind, task, measure order by value) - 1 as pos,
               count(*) over (partition by kind, task, measure) as n
        from temp.peer_values)
      where pos between (n - 1) / 2 - 1 and (n - 1) / 2 + 1;
    create index temp.peer_middles_group on peer_middles (kind, task, measure);
    create index temp.peer_names_top on peer_names (kind, task, measure, name, downloads desc, artifact_id);
    create temp table peer_counts as
      select kind, task, measure, name, count(*) as n from temp.peer_names group by kind, task, measure, name;
    create index temp.peer_counts_name on peer_counts (kind, task, measure, name);
"""


def eval_measure(dataset: str, metric: str | None) -> str:
    return f"{EVAL_PREFIX}{dataset}\x1f{metric or ''}"


def is_eval_measure(measure: str) -> bool:
    return measure.startswith(EVAL_PREFIX)


def stage_peers(db: sqlite_utils.Database, members: Iterable[tuple[list, list]], excluded_split: str) -> None:
    """Stage a pass's peer statistics. `members` yields, per artifact, its values as (kind, task, measure,
    value, artifact_id) and its names as (kind, task, measure, name, downloads, artifact_id). Eval results
    are staged from `eval_results`: per artifact, dataset and metric the first it reports, a result of
    `excluded_split` (training numbers are not evaluation) or without its dataset left out."""
    db.conn.executescript(STAGE_SCRIPT)
    with db.atomic():
        for batch in chunked(members, 2000):
            db.conn.executemany("insert into temp.peer_raw values (?, ?, ?, ?, ?)", [v for m in batch for v in m[0]])
            db.conn.executemany(
                "insert into temp.peer_names values (?, ?, ?, ?, ?, ?)", [n for m in batch for n in m[1]]
            )
        db.execute(
            """insert into temp.peer_raw
               select kind, task, 'eval' || char(31) || dataset || char(31) || coalesce(metric, ''), value, artifact_id
               from (select a.kind, a.task, e.dataset, e.metric, e.value, e.artifact_id,
                            row_number() over (partition by e.artifact_id, e.dataset, e.metric order by e.id) as place
                     from eval_results e join artifacts a on a.id = e.artifact_id
                     where e.dataset is not null and e.dataset != '' and lower(coalesce(e.split, '')) != ?
                       and typeof(e.value) in ('integer', 'real'))
               where place = 1""",
            [excluded_split],
        )
    db.conn.executescript(INDEX_SCRIPT)


def peer_middle(db: sqlite_utils.Database, kind: str, task: str | None, measure: str) -> tuple[int, dict[int, float]]:
    """How many values a group has for a measure, and the values around its median, by position."""
    rows = db.execute(
        "select n, pos, value from temp.peer_middles where kind = ? and task is ? and measure = ?",
        [kind, task, measure],
    ).fetchall()
    return (rows[0][0] if rows else 0), {pos: value for _, pos, value in rows}


def peer_place(db: sqlite_utils.Database, artifact_id: str, measure: str) -> tuple[float, int, int] | None:
    """An artifact's own value of a measure, how many values of its group are below it, and its place from
    the top (1 + how many are above it)."""
    return db.execute(
        "select value, below, from_top from temp.peer_values where artifact_id = ? and measure = ?",
        [artifact_id, measure],
    ).fetchone()


def count_peer_values_below(db: sqlite_utils.Database, kind: str, task: str | None, measure: str, value: float) -> int:
    return db.execute(
        "select count(*) from temp.peer_values where kind = ? and task is ? and measure = ? and value < ?",
        [kind, task, measure, value],
    ).fetchone()[0]


def peer_neighbours(
    db: sqlite_utils.Database, kind: str, task: str | None, measure: str, value: float, k: int
) -> list[tuple[float, str]]:
    """The k+1 (value, id) pairs just below `value` and the k+1 from it up, ascending."""
    where = "kind = ? and task is ? and measure = ?"
    below = db.execute(
        f"select value, artifact_id from temp.peer_values where {where} and value < ? "
        "order by value desc, artifact_id desc limit ?",
        [kind, task, measure, value, k + 1],
    ).fetchall()
    above = db.execute(
        f"select value, artifact_id from temp.peer_values where {where} and value >= ? "
        "order by value, artifact_id limit ?",
        [kind, task, measure, value, k + 1],
    ).fetchall()
    return [(v, i) for v, i in reversed(below)] + [(v, i) for v, i in above]


def count_peer_names(db: sqlite_utils.Database, kind: str, task: str | None, measure: str, name: str | None) -> int:
    row = db.execute(
        "select n from temp.peer_counts where kind = ? and task is ? and measure = ? and name is ?",
        [kind, task, measure, name],
    ).fetchone()
    return row[0] if row else 0


def top_name_holders(
    db: sqlite_utils.Database, kind: str, task: str | None, measure: str, name: str, k: int
) -> list[str]:
    """The ids of the k most downloaded members of a group listing a name (ties: by id)."""
    rows = db.execute(
        "select artifact_id from temp.peer_names where kind = ? and task is ? and measure = ? and name = ? "
        "order by downloads desc, artifact_id limit ?",
        [kind, task, measure, name, k],
    ).fetchall()
    return [r[0] for r in rows]
