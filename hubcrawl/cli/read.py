"""Verbs that only read: `show`, `search`, `query`, `export`, `runs`, `metadata`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click
from tabulate import tabulate

from hubcrawl.cli.build import resolve_identifier
from hubcrawl.cli.options import READER_TIME_LIMIT, db_option, format_option, one_line_errors
from hubcrawl.cli.output import emit, json_text, printable, render_rows
from hubcrawl.crawler.config import db_path, hub_endpoint
from hubcrawl.crawler.items import artifact_key
from hubcrawl.db import EXPORTABLE, export_rows, list_runs, open_readonly, run_query, search_artifacts

RUN_COLUMNS = ("id", "started_at", "finished_at", "status", "spiders", "requests", "items", "cards", "pages", "errors")


@click.command()
@click.argument("identifier")
@format_option()
@db_option
@one_line_errors
def show(identifier, fmt, db):
    """One artifact: fields, capabilities, scores, errors. ID is `owner/name` or `datasets/owner/name`."""
    from hubcrawl.crawler.render import render_artifact_text
    from hubcrawl.crawler.views import artifact_view

    database = open_readonly(db_path(db))
    view = artifact_view(database, resolve_identifier(database, identifier), hub_endpoint())
    if fmt == "json":
        emit(json_text(view))
        return
    for line in render_artifact_text(view):
        emit(line)


@click.command()
@click.argument("text")
@click.option("--kind", type=click.Choice(["model", "dataset"]), help="Only models or only datasets.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@format_option()
@db_option
@one_line_errors
def search(text, kind, limit, fmt, db):
    """Full-text search over names, capabilities and card text, best first by text and score."""
    hits = search_artifacts(open_readonly(db_path(db), READER_TIME_LIMIT), text, kind, limit)
    if fmt == "json":
        emit(json_text(hits))
        return
    if not hits:
        click.echo(f"no artifact holds every word of {text!r}", err=True)
    for hit in hits:
        emit(f"{hit['score']:8.3f}  {artifact_key(hit['kind'], hit['repo_id'])}\n          {hit['snippet']}")


@click.command()
@click.argument("sql")
@format_option("csv")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    default=READER_TIME_LIMIT,
    show_default=True,
    help="Stop the query after this many seconds (0: no limit).",
)
@db_option
@one_line_errors
def query(sql, fmt, time_limit, db):
    """Read-only SQL over the database: only reading statements run (SQLite's authorizer refuses
    writes, ATTACH and VACUUM INTO), and each stops at its time limit."""
    columns, rows = run_query(open_readonly(db_path(db), time_limit or None), sql)
    emit(render_rows(columns, rows, fmt), data=fmt == "csv", nl=fmt != "csv")


@click.command()
@click.argument("table", type=click.Choice(EXPORTABLE), default="artifacts")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default: stdout)."
)
@db_option
@one_line_errors
def export(table, fmt, output, db):
    """Export a table as JSON Lines (JSON columns as nested values) or CSV (JSON columns as text)."""
    rows = export_rows(open_readonly(db_path(db)), table, decode_json=fmt == "jsonl")
    if fmt == "jsonl":
        for row in rows:
            output.write(json_text(row, indent=None) + "\n")
        return
    to_terminal = output.isatty()
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(output, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({k: printable(v) if to_terminal and isinstance(v, str) else v for k, v in row.items()})


@click.command()
@format_option()
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@db_option
@one_line_errors
def runs(fmt, limit, db):
    """The crawl-run ledger, newest first."""
    rows = list_runs(open_readonly(db_path(db)), limit)
    if fmt == "json":
        emit(json_text(rows))
        return
    emit(tabulate([[r[c] for c in RUN_COLUMNS] for r in rows], headers=RUN_COLUMNS))


@click.command()
@db_option
def metadata(db):
    """Datasette metadata describing the tables and columns: `datasette hub.db -m <(hubcrawl metadata)`."""
    from hubcrawl.db.schema import datasette_metadata

    click.echo(
        json.dumps(datasette_metadata(Path(db_path(db)).stem), indent=2)
    )  # Datasette names a database after its file
