"""Verbs that derive from what is stored: `normalize`, `rank`, `compare`, `migrate`."""

from __future__ import annotations

import time

import click

from hubcrawl.cli.options import db_option, format_option, one_line_errors
from hubcrawl.cli.output import emit, json_text
from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.config import db_path, hub_endpoint
from hubcrawl.crawler.items import parse_identifier
from hubcrawl.db import (
    artifact_id_batches,
    clear_watermark,
    close_db,
    find_artifacts,
    first_time_in_pass,
    get_watermark,
    open_db,
    open_readonly,
    optimize_search_indexes,
    save_artifacts,
    save_comparisons,
    save_watermark,
    stage_pairs,
    staged_pairs,
    stored_sources,
    times_matched_after_pass,
)

NORMALIZE_BATCH = 500  # artifacts per transaction
COMPARE_BATCH = 2000  # comparison records per transaction


NORMALIZE_MARK = "normalize"  # crawl_state key: the last artifact id an interrupted pass saved
PROGRESS_EVERY = 10.0  # seconds between progress lines


@click.command()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes deriving in parallel [default: one per core].",
)
@click.option("--restart", is_flag=True, help="Begin at the first artifact even if an interrupted pass left a mark.")
@db_option
@one_line_errors
def normalize(workers, restart, db):
    """Re-derive every artifact's fields, capabilities and eval results from the stored raw data (no crawl).

    Uses every core, in batches, each saved in its own transaction; a pass that is killed resumes after
    its last saved batch."""
    import multiprocessing
    import os

    path = db_path(db)
    database = open_db(path)
    after = None if restart else get_watermark(database, NORMALIZE_MARK)
    if after:
        click.echo(f"resuming after {after} (a pass was interrupted there; --restart begins again)", err=True)
    batches = artifact_id_batches(database, after, NORMALIZE_BATCH)
    total = sum(len(b) for b in batches)
    started, done, shown = time.monotonic(), 0, time.monotonic()
    # spawn, not fork: a worker must not inherit the parent's open SQLite connection.
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        workers or os.cpu_count() or 1, initializer=open_source, initargs=(str(path), hub_endpoint())
    ) as pool:
        for rows in pool.imap(derive_batch, batches):
            done += save_artifacts(database, rows)
            if rows:
                save_watermark(database, NORMALIZE_MARK, rows[-1]["artifact"]["id"], None, now_iso())
            if time.monotonic() - shown >= PROGRESS_EVERY:
                shown = time.monotonic()
                rate = done / (shown - started)
                click.echo(f"normalized {done:,}/{total:,} ({rate:,.0f} per second)", err=True)
    clear_watermark(database, NORMALIZE_MARK)
    optimize_search_indexes(database)
    close_db(database)
    emit(f"normalized {done} artifacts in {time.monotonic() - started:.1f}s")


WORKER: dict = {}  # a normalize worker's read-only database and endpoint


def open_source(path: str, endpoint: str) -> None:
    WORKER.update(db=open_readonly(path), endpoint=endpoint)


def derive_batch(artifact_ids: list[str]) -> list[dict]:
    """In a worker: read a batch's stored sources and derive their rows (the parent writes them)."""
    from hubcrawl.crawler.normalize import derive_artifact, sources_from_rows

    return [
        derive_artifact(sources_from_rows(*stored, WORKER["endpoint"])).rows()
        for stored in stored_sources(WORKER["db"], artifact_ids)
    ]


@click.command()
@db_option
@one_line_errors
def migrate(db):
    """Bring a database written by an older hubcrawl up to this version's schema (writers do it on their own)."""
    database = open_db(db_path(db))
    version = database.execute("PRAGMA user_version").fetchone()[0]
    close_db(database)
    emit(f"{db_path(db)}: schema version {version}")


@click.command()
@db_option
@one_line_errors
def rank(db):
    """Rebuild the match graph and score every artifact (0-100; see docs/ranking.md)."""
    from hubcrawl.crawler.ranking import rank as rank_database

    database = open_db(db_path(db))
    started = time.monotonic()
    counts = rank_database(database)
    close_db(database)
    emit(
        f"ranked {counts['artifacts']} artifacts, {counts['edges']} match-graph edges in {time.monotonic() - started:.1f}s"
    )


@click.command()
@click.argument("identifiers", nargs=-1)
@click.option(
    "--all", "compare_all", is_flag=True, help="Records for each artifact's strongest match-graph neighbours."
)
@click.option(
    "--per-artifact",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="With --all: neighbours per artifact.",
)
@format_option("html")
@db_option
@one_line_errors
def compare(identifiers, compare_all, per_artifact, fmt, db):
    """One comparison record, `compare A B`, or `compare --all`; records are stored in `comparisons`."""
    from hubcrawl.crawler.compare import Comparator, render_markdown

    if compare_all == bool(identifiers):
        raise click.ClickException("give two artifacts (compare A B) or --all")
    if not compare_all and len(identifiers) != 2:
        raise click.ClickException("compare takes exactly two artifacts: compare A B")
    database = open_db(db_path(db))
    try:
        if compare_all:
            started = time.monotonic()
            pairs, written = compare_pairs(database, Comparator(database), per_artifact)
            emit(
                f"{pairs} pairs: {written} records written, {pairs - written} unchanged, "
                f"in {time.monotonic() - started:.1f}s"
            )
            return
        a_id, b_id = (resolve_identifier(database, i)["id"] for i in identifiers)
        if a_id == b_id:
            raise click.ClickException("an artifact cannot be compared with itself")
        comparator = Comparator(database)
        pair = tuple(sorted((a_id, b_id)))  # one stored record per unordered pair, `compare B A` included
        matched = comparator.times_matched_after([pair])
        save_comparisons(
            database, [comparator.stored_row(comparator.record(*pair, matched))], [comparator.side_row(i) for i in pair]
        )
        record = comparator.record(a_id, b_id, matched)  # shown as asked
    finally:
        close_db(database)
    if fmt == "html":
        from hubcrawl.crawler.render import render_compare

        emit(render_compare(record, hub_endpoint()), data=True)
    else:
        emit(json_text(record) if fmt == "json" else render_markdown(record))


def compare_pairs(database, comparator, per_artifact: int) -> tuple[int, int]:
    """Store a record for every pair of this pass whose stored one no longer stands, a page of pairs at a time;
    returns how many pairs there were and how many records were written."""
    from hubcrawl.crawler.compare import RowCache

    total = stage_pairs(database, per_artifact)
    matched = RowCache(lambda artifact_id: times_matched_after_pass(database, artifact_id))
    batch, pending, written = [], [], 0
    for a_id, b_id in staged_pairs(database):
        if comparator.is_current(a_id, b_id):
            continue  # neither side changed: the stored record stands
        for artifact_id in (a_id, b_id):
            if first_time_in_pass(database, artifact_id):  # each side once per pass, however many records it is in
                pending.append(comparator.side_row(artifact_id))
        batch.append(comparator.stored_row(comparator.record(a_id, b_id, matched, capabilities=False)))
        if len(batch) >= COMPARE_BATCH:
            save_comparisons(database, batch, pending)
            written, batch, pending = written + len(batch), [], []
    save_comparisons(database, batch, pending)
    return total, written + len(batch)


def resolve_identifier(database, identifier: str) -> dict:
    """The one artifact a user's `owner/name` or `datasets/owner/name` names."""
    kind, repo_id = parse_identifier(identifier)
    matches = find_artifacts(database, repo_id, kind)
    if not matches:
        raise click.ClickException(f"no artifact {identifier!r} in the database")
    if len(matches) > 1:
        # The contract makes it an error; its message must not offer the same ambiguous name back.
        raise click.ClickException(
            f"{identifier!r} names both a model and a dataset: the dataset is datasets/{repo_id}; "
            f"the model's record is `hubcrawl query \"select * from artifacts where id = '{repo_id}'\"`"
        )
    return matches[0]
