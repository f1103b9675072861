"""The match graph and the ranking pass, in SQL: SQLite joins, groups and sorts on disk, so a pass over the
whole Hub holds one batch of rows in Python, not the graph. `crawler/ranking.py` says what the weights
and rules are; this module only runs them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import sqlite_utils

from hubcrawl.db.connection import chunked, decode_row
from hubcrawl.db.read import ensure_vocab_tables

BUILT_ON_KINDS = ("trained_on", "fine_tuned_from")  # edges that say a model is built on their target
SIGNAL_COLUMNS = ("adoption", "quality", "ecosystem_own", "spaces", "built_on", "graph")


def ensure_sqrt(db: sqlite_utils.Database) -> None:
    """SQLite's math functions are a compile-time option: Python's sqrt when this build lacks them."""
    try:
        db.execute("select sqrt(4)")
    except Exception:  # noqa: BLE001 - sqlite3.OperationalError: no such function
        db.conn.create_function("sqrt", 1, math.sqrt, deterministic=True)


def save_match_graph(db: sqlite_utils.Database, weights: dict, similar: dict) -> int:
    """Rebuild `edges` from the stored artifacts, eval results and search index. Returns the edge count.

    Names resolve to ids through an index of repo ids, plus bare names that only one repo of a kind has
    (legacy ids like `squad`). Two artifacts of the same kind and task are similar when their capability
    text shares at least `min_shared` rare terms (in 2..`max_df` artifacts): similarity is shared terms
    over sqrt(rare terms of each); each keeps its strongest `per_artifact`, weighted up to `similar_max`.
    """
    ensure_sqrt(db)
    ensure_vocab_tables(db)
    script = """
        drop table if exists temp.graph_names;
        drop table if exists temp.graph_edges;
        drop table if exists temp.graph_terms;
        drop table if exists temp.graph_doc_terms;
        create temp table graph_names (kind text, name text, id text, primary key (kind, name)) without rowid;
        create temp table graph_edges (source text, target text, kind text, weight real);
        create temp table graph_terms (term text, doc integer, primary key (term, doc)) without rowid;
        create temp table graph_doc_terms (doc integer primary key, terms integer);
    """
    db.conn.executescript(script)
    with db.atomic():
        db.execute("insert or ignore into temp.graph_names select kind, lower(repo_id), id from artifacts order by id")
        db.execute(
            """insert or ignore into temp.graph_names
               select kind, name, min(id) from
                 (select kind, lower(substr(repo_id, instr(repo_id, '/') + 1)) as name, id from artifacts)
               group by kind, name having count(*) = 1"""
        )
        for column, kind in (("datasets", "trained_on"), ("base_models", "fine_tuned_from")):
            target_kind = "dataset" if column == "datasets" else "model"
            # Anyone can write to the database: a column that is not a JSON list links to nothing.
            # (CROSS JOIN fixes the order: each artifact's names looked up, never every name tried.)
            db.execute(
                f"""insert into temp.graph_edges
                    select a.id, n.id, ?, ? from artifacts a
                    cross join json_each(case when json_valid(a.{column}) and json_type(a.{column}) = 'array'
                                              then a.{column} else '[]' end) j
                    cross join temp.graph_names n on n.kind = ? and n.name = lower(j.value)
                    where a.kind = 'model'""",
                [kind, weights[kind], target_kind],
            )
        # A result without its dataset (a card's `Docs / Sec` column) is evidence of nothing to link to.
        db.execute(
            """insert into temp.graph_edges
               select distinct e.artifact_id, n.id, 'evaluated_on', ? from eval_results e
               join temp.graph_names n on n.kind = 'dataset' and n.name = lower(e.dataset)
               where e.dataset is not null and e.dataset != ''""",
            [weights["evaluated_on"]],
        )
        save_similar_edges(db, weights["similar_max"], similar)
        db.execute("delete from edges")
        db.execute(
            """insert into edges (source, target, kind, weight)
               select source, target, kind, round(max(weight), 4) from temp.graph_edges
               where target is not null and source != target
               group by source, target, kind order by source, target, kind"""
        )
    return db.execute("select count(*) from edges").fetchone()[0]


def save_similar_edges(db: sqlite_utils.Database, similar_max: float, similar: dict) -> None:
    db.execute(
        """insert or ignore into temp.graph_terms
           select term, doc from temp.cap_instances where col = 'capability_text'
           and term in (select term from temp.cap_terms where doc between 2 and ?)""",
        [similar["max_df"]],
    )
    db.execute("insert into temp.graph_doc_terms select doc, count(*) from temp.graph_terms group by doc")
    db.execute(
        """insert into temp.graph_edges
           with shared as (
             select t1.doc as a, t2.doc as b, count(*) as n from temp.graph_terms t1
             join temp.graph_terms t2 on t2.term = t1.term and t2.doc > t1.doc
             join artifacts x on x.rowid = t1.doc join artifacts y on y.rowid = t2.doc
             where x.task is not null and x.task != '' and y.kind = x.kind and y.task = x.task
             group by t1.doc, t2.doc having count(*) >= ?),
           scored as (
             select x.id as a, y.id as b, shared.n * 1.0 / sqrt(ca.terms * cb.terms) as similarity from shared
             join temp.graph_doc_terms ca on ca.doc = shared.a join temp.graph_doc_terms cb on cb.doc = shared.b
             join artifacts x on x.rowid = shared.a join artifacts y on y.rowid = shared.b),
           directed as (select a as source, b as target, similarity from scored
                        union all select b, a, similarity from scored),
           kept as (select source, target, similarity,
                      row_number() over (partition by source order by similarity desc, target) as place
                    from directed)
           select min(source, target), max(source, target), 'similar', similarity * ? from kept where place <= ?""",
        [similar["min_shared"], similar_max, similar["per_artifact"]],
    )


def iter_rank_inputs(db: sqlite_utils.Database, columns: Iterable[str]) -> Iterator[dict]:
    """Each artifact's columns, decoded, with its weighted degree in the match graph (`graph_degree`) and the
    number of models built on it by an edge (`graph_built_on`), one row at a time."""
    db.conn.executescript(
        f"""drop table if exists temp.rank_graph;
            create temp table rank_graph (id text primary key, degree real, built_on integer) without rowid;
            insert into temp.rank_graph
              select id, sum(weight), sum(built) from
                (select source as id, weight, 0 as built from edges
                 union all select target, weight, kind in {BUILT_ON_KINDS} from edges)
              group by id;"""
    )
    selected = ", ".join(f"a.{c}" for c in columns)
    sql = f"""select {selected}, coalesce(g.degree, 0) as graph_degree, coalesce(g.built_on, 0) as graph_built_on
              from artifacts a left join temp.rank_graph g on g.id = a.id order by a.id"""
    for row in db.query(sql):
        yield decode_row("artifacts", row)


def stage_rank_signals(db: sqlite_utils.Database, rows: Iterable[dict]) -> int:
    """Each artifact's raw signals, kept in a temporary table for the scales and the scores."""
    db.conn.executescript(
        f"""drop table if exists temp.rank_signals;
            create temp table rank_signals (artifact_id text, kind text, {", ".join(f"{c} real" for c in SIGNAL_COLUMNS)});"""
    )
    columns = ("artifact_id", "kind", *SIGNAL_COLUMNS)
    sql = f"insert into temp.rank_signals ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
    with db.atomic():
        for batch in chunked(rows, 5000):
            db.conn.executemany(sql, [[row[c] for c in columns] for row in batch])
    return db.execute("select count(*) from temp.rank_signals").fetchone()[0]


def count_nonzero_signals(db: sqlite_utils.Database, kind: str, signal: str) -> int:
    assert signal in SIGNAL_COLUMNS
    return db.execute(f"select count(*) from temp.rank_signals where kind = ? and {signal} > 0", [kind]).fetchone()[0]


def nth_nonzero_signal(db: sqlite_utils.Database, kind: str, signal: str, index: int) -> float:
    """The index-th (from 0) smallest non-zero value of a signal within a kind."""
    assert signal in SIGNAL_COLUMNS
    return db.execute(
        f"select {signal} from temp.rank_signals where kind = ? and {signal} > 0 order by {signal} limit 1 offset ?",
        [kind, index],
    ).fetchone()[0]


def iter_rank_signals(db: sqlite_utils.Database) -> Iterator[dict]:
    yield from db.query("select * from temp.rank_signals order by artifact_id")
