"""`hubcrawl`: crawl the Hub into SQLite and explore what landed. One verb per job."""

from __future__ import annotations

import csv
import functools
import io
import json
import sqlite3
import sys
import time
from pathlib import Path

import click
from tabulate import tabulate

from crawler.config import ConfigError, db_path, hub_budgets, hub_endpoint
from crawler.items import URL_PREFIX
from crawler.normalize import now_iso
from crawler.runlock import CrawlLocked, RunLock
from db import (
    EXPORTABLE,
    comparison_records,
    export_rows,
    ranked_artifacts,
    DatabaseError,
    find_artifacts,
    finish_run,
    eval_rows,
    get_artifact,
    get_capabilities,
    get_scores,
    interrupt_stale_runs,
    get_run,
    list_runs,
    open_db,
    open_readonly,
    run_query,
    save_artifacts,
    save_comparisons,
    search_artifacts,
    start_run,
    stored_sources,
    times_matched,
)

SCORE_KEYS = ("overall", "adoption", "quality", "ecosystem", "match_graph")
SPIDERS = {
    "models": "spiders.models.ModelsSpider",
    "datasets": "spiders.datasets.DatasetsSpider",
    "pages": "spiders.pages.PagesSpider",
}


def db_option(command):
    return click.option("--db", "db", metavar="PATH", help="SQLite file (default: $HUBCRAWL_DB or ./hub.db).")(command)


def one_line_errors(command):
    """Bad input ends in one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ConfigError, DatabaseError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group()
@click.version_option(package_name="hubcrawl")
def cli():
    """Crawl Hugging Face Hub models and datasets into one SQLite file, and explore it."""


@cli.command()
@click.argument("what", type=click.Choice(["all", *SPIDERS]), default="all")
@click.option("--search", help="Substring of repo ids to crawl.")
@click.option("--author", help="Only repos of this user or organisation.")
@click.option("--filter", "filters", multiple=True, help="Hub tag filter (repeatable; all must match).")
@click.option("--ids", help="Explicit repos, comma-separated (per-repo info endpoint).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many repos per kind (pages: in all).")
@click.option("--full", is_flag=True, help="A complete pass: the whole listing, every card fetched again.")
@click.option("--counters", is_flag=True, help="Only refresh downloads and likes of all repos (listing pages, no cards).")
@click.option("--wait", is_flag=True, help="If another crawl holds the database, wait for it instead of exiting.")
@db_option
@one_line_errors
def crawl(what, search, author, filters, ids, limit, full, counters, wait, db):
    """One crawl run: list repos, fetch their cards (and pages), store them; prints progress and a summary.

    `all` crawls models and datasets, then visits the pages of the artifacts that most need it: as many
    as --limit, or one window of the Hub's pages budget (100 anonymous).
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object
    from scrapy.utils.project import get_project_settings
    from twisted.internet import defer

    endpoint = hub_endpoint()
    path = db_path(db)
    database = open_db(path)
    try:
        lock = RunLock(path).acquire(wait=wait)
    except CrawlLocked as exc:
        raise click.ClickException(str(exc)) from None
    interrupt_stale_runs(database, now_iso())  # we hold the lock: a run still "running" was killed
    names = ["models", "datasets", "pages"] if what == "all" else [what]
    if counters:
        names = [n for n in names if n != "pages"]
    arguments = {k: v for k, v in dict(search=search, author=author, filter=list(filters), ids=ids, limit=limit,
                                       full=full, counters=counters).items() if v}
    run_id = start_run(database, spiders=names, endpoint=endpoint, arguments=arguments, started_at=now_iso())

    settings = scrapy_settings(get_project_settings())
    settings.setdict({"HUBCRAWL_DB": path, "HUBCRAWL_RUN_ID": run_id, "HUBCRAWL_PROGRESS_STDERR": True,
                      "LOG_LEVEL": "WARNING"}, priority="cmdline")  # fmt: skip
    process = CrawlerProcess(settings)
    started = time.monotonic()
    spider_args = {
        name: args for name in names
        if (args := spider_arguments(name, what, search=search, author=author, filters=filters, ids=ids, limit=limit,
                                     full=full, counters=counters))
    }  # fmt: skip
    crawlers = {name: process.create_crawler(load_object(SPIDERS[name])) for name in spider_args}  # the process forgets them

    # Listings first (models and datasets side by side), then pages: they visit what the listings stored.
    listings = [process.crawl(c, **spider_args[n]) for n, c in crawlers.items() if n != "pages"]
    chain = defer.DeferredList(listings) if listings else defer.succeed(None)
    if "pages" in crawlers:
        def crawl_pages(_):
            if all(c.stats.get_value("finish_reason") == "finished" for n, c in crawlers.items() if n != "pages"):
                return process.crawl(crawlers["pages"], **spider_args["pages"])
        chain.addCallback(crawl_pages)
    chain.addBoth(stop_reactor)
    process.start(stop_after_crawl=False)

    ran = [c for c in crawlers.values() if c.stats.get_value("finish_reason")]
    reasons = [c.stats.get_value("finish_reason") for c in ran]
    listing_errors = [c.stats.get_value("hubcrawl/last_listing_error") for c in ran]
    run = get_run(database, run_id)
    status = "interrupted" if any(r != "finished" for r in reasons) or len(ran) < len(crawlers) else "finished"
    message = None
    if status == "finished" and run["listing_pages"] == 0 and run["items"] == 0 and any(listing_errors):
        status = "failed"
        message = f"the Hub at {endpoint} did not answer the listing ({next(e for e in listing_errors if e)})"
    run = finish_run(database, run_id, status=status, finished_at=now_iso(), message=message)
    lock.release()
    click.echo(summary_line(run, time.monotonic() - started))
    if status == "failed":
        raise click.ClickException(message)
    if status == "interrupted":
        sys.exit(130)


def stop_reactor(_=None) -> None:
    # Imported here: importing the reactor earlier would install Twisted's default one, not Scrapy's asyncio reactor.
    from twisted.internet import reactor

    if reactor.running:
        reactor.stop()


def spider_arguments(name: str, what: str, *, search, author, filters, ids, limit, full=False, counters=False) -> dict | None:
    """One spider's arguments; None when it has nothing to do in this run.

    With --ids, `datasets/a/b` goes to the datasets spider and a bare `a/b` to the models spider
    (or to whichever spider was named). Pages under `all` are bounded by one window of the budget.
    """
    id_list = [i.strip() for i in (ids or "").split(",") if i.strip()]
    if name == "pages":
        if what == "pages":
            return {"ids": ids, "limit": limit, "full": full}
        return {"ids": ids, "limit": limit or hub_budgets()["pages"][0], "full": full}
    if id_list:
        is_dataset = [i.startswith("datasets/") for i in id_list]
        mine = [i.removeprefix("datasets/") for i, d in zip(id_list, is_dataset) if what != "all" or d == (name == "datasets")]
        return {"ids": ",".join(mine), "limit": limit} if mine else None
    return {"search": search, "author": author, "filter": list(filters), "limit": limit, "full": full, "counters": counters}


def scrapy_settings(settings):
    """Project settings even when run outside the repository (no scrapy.cfg in sight)."""
    if not settings.get("BOT_NAME") == "hubcrawl":
        settings.setmodule("crawler.settings", priority="project")
    return settings


def summary_line(run: dict, seconds: float) -> str:
    repos = run["items"] or 0
    requests = run["requests"] or 0
    errors = ", ".join(f"{k} {v}" for k, v in sorted(run["errors_by_kind"].items(), key=lambda kv: -kv[1]))
    pages = run["pages"] or 0
    per_repo = f" ({(requests - pages) / repos:.2f} per repo, besides pages)" if repos else ""
    return (
        f"run {run['id']} {run['status']} in {seconds:.1f}s: {repos} repos stored, {run['cards']} cards, "
        f"{pages} pages, "
        f"{run['errors']} errors{f' ({errors})' if errors else ''}, {requests} requests{per_repo}, "
        f"{repos / max(seconds, 1e-6):.1f} repos/s"
    )


@cli.command()
@db_option
@one_line_errors
def normalize(db):
    """Re-derive every artifact's fields, capabilities and eval results from the stored raw data (no crawl)."""
    from crawler.normalize import derive_artifact, sources_from_rows

    database = open_db(db_path(db))
    started, done, batch = time.monotonic(), 0, []
    for stored in stored_sources(database):
        batch.append(derive_artifact(sources_from_rows(*stored)))
        if len(batch) >= 500:
            done += save_artifacts(database, batch)
            batch = []
    done += save_artifacts(database, batch)
    click.echo(f"normalized {done} artifacts in {time.monotonic() - started:.1f}s")


@cli.command()
@db_option
@one_line_errors
def rank(db):
    """Rebuild the match graph and score every artifact (0-100; see docs/ranking.md)."""
    from crawler.ranking import rank as rank_database

    database = open_db(db_path(db))
    started = time.monotonic()
    counts = rank_database(database)
    click.echo(f"ranked {counts['artifacts']} artifacts, {counts['edges']} match-graph edges in {time.monotonic() - started:.1f}s")


@cli.command()
@click.argument("identifiers", nargs=-1)
@click.option("--all", "compare_all", is_flag=True, help="Records for each artifact's strongest match-graph neighbours.")
@click.option("--per-artifact", type=click.IntRange(min=1), default=5, show_default=True, help="With --all: neighbours per artifact.")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]), default="md")
@db_option
@one_line_errors
def compare(identifiers, compare_all, per_artifact, fmt, db):
    """One comparison record, `compare A B`, or `compare --all`; records are stored in `comparisons`."""
    from crawler.compare import Comparator, pairs_for_all, render_markdown

    database = open_db(db_path(db))
    if compare_all == bool(identifiers):
        raise click.ClickException("give two artifacts (compare A B) or --all")
    if not compare_all:
        if len(identifiers) != 2:
            raise click.ClickException("compare takes exactly two artifacts: compare A B")
        a_id, b_id = (resolve_identifier(database, i)["id"] for i in identifiers)
        if a_id == b_id:
            raise click.ClickException("an artifact cannot be compared with itself")
        comparator = Comparator(database)
        record = comparator.record(a_id, b_id, comparator.times_matched_after([(a_id, b_id)]))
        save_comparisons(database, [comparator.stored_row(record)])
        if fmt == "html":
            from crawler.render import render_compare

            click.echo(render_compare(record))
        else:
            click.echo(json.dumps(record, indent=2, ensure_ascii=False) if fmt == "json" else render_markdown(record))
        return

    started = time.monotonic()
    comparator = Comparator(database)
    pairs = pairs_for_all(database, per_artifact)
    matched = comparator.times_matched_after(pairs)
    batch, written = [], 0
    for a_id, b_id in pairs:
        if comparator.is_current(a_id, b_id):
            continue  # neither side changed: the stored record stands
        batch.append(comparator.stored_row(comparator.record(a_id, b_id, matched)))
        if len(batch) >= 2000:
            save_comparisons(database, batch)
            written, batch = written + len(batch), []
    save_comparisons(database, batch)
    written += len(batch)
    click.echo(f"{len(pairs)} pairs: {written} records written, {len(pairs) - written} unchanged, "
               f"in {time.monotonic() - started:.1f}s")


@cli.command()
@click.argument("text")
@click.option("--kind", type=click.Choice(["model", "dataset"]), help="Only models or only datasets.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@db_option
@one_line_errors
def search(text, kind, limit, fmt, db):
    """Full-text search over names and capabilities, best first (SQLite FTS5, bm25)."""
    hits = search_artifacts(open_readonly(db_path(db)), text, kind, limit)
    if fmt == "json":
        click.echo(json.dumps(hits, indent=2, ensure_ascii=False))
        return
    for hit in hits:
        prefix = "datasets/" if hit["kind"] == "dataset" else ""
        click.echo(f"{hit['score']:8.3f}  {prefix}{hit['repo_id']}\n          {hit['snippet']}")


@cli.command()
@click.argument("table", type=click.Choice(EXPORTABLE), default="artifacts")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default: stdout).")
@db_option
@one_line_errors
def export(table, fmt, output, db):
    """Export a table as JSON Lines (JSON columns as nested values) or CSV (JSON columns as text)."""
    rows = export_rows(open_readonly(db_path(db)), table, decode_json=fmt == "jsonl")
    if fmt == "jsonl":
        for row in rows:
            output.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(output, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)


@cli.command()
@db_option
def metadata(db):
    """Datasette metadata describing the tables and columns: `datasette hub.db -m <(hubcrawl metadata)`."""
    from importlib.resources import files

    meta = json.loads(files("crawler").joinpath("data/datasette-metadata.json").read_text(encoding="utf-8"))
    database = Path(db_path(db)).stem  # Datasette names a database after its file
    meta["databases"] = {database: meta["databases"]["hub"]}
    click.echo(json.dumps(meta, indent=2))


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="Artifacts with pages, best-scored first.")
@db_option
@one_line_errors
def site(out_dir, limit, db):
    """Render artifact pages and their stored comparison records as a static HTML site in OUT_DIR."""
    from crawler.render import page_file, render_artifact, render_compare, render_index

    database = open_readonly(db_path(db))
    top = ranked_artifacts(database, limit)
    if not top:
        raise click.ClickException("no scored artifacts: run `hubcrawl rank` first")
    (out_dir / "artifacts").mkdir(parents=True, exist_ok=True)
    (out_dir / "compare").mkdir(exist_ok=True)
    records = comparison_records(database, [a["id"] for a in top])
    by_artifact = {}
    for row in records:
        record = row["record"]
        name = page_file(f"{record['a']['id']}--{record['b']['id']}")
        (out_dir / "compare" / name).write_text(render_compare(record), encoding="utf-8")
        for side in ("a", "b"):
            by_artifact.setdefault(record[side]["id"], []).append({"file": name, "title": record["title"]})
    for a in top:
        a["file"] = page_file(a["id"])
        view = artifact_view(database, get_artifact(database, a["id"]))
        (out_dir / "artifacts" / a["file"]).write_text(render_artifact(view, by_artifact.get(a["id"], [])), encoding="utf-8")
    (out_dir / "index.html").write_text(render_index("hubcrawl: artifacts by score", top), encoding="utf-8")
    click.echo(f"wrote {len(top)} artifact pages and {len(records)} comparison pages to {out_dir}")


@cli.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@db_option
@one_line_errors
def query(sql, fmt, db):
    """Read-only SQL over the database (it is opened read-only: no statement can change it)."""
    database = open_readonly(db_path(db))
    try:
        columns, rows = run_query(database, sql)
    except sqlite3.Error as exc:
        detail = "the database is opened read-only" if "readonly" in str(exc) else str(exc)
        raise click.ClickException(f"query refused: {detail}") from None
    click.echo(render_rows(columns, rows, fmt), nl=fmt != "csv")


def render_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue()
    return tabulate(rows, headers=columns)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--limit", type=click.IntRange(min=1), default=50)
@db_option
@one_line_errors
def runs(fmt, limit, db):
    """The crawl-run ledger, newest first."""
    rows = list_runs(open_readonly(db_path(db)), limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ["id", "started_at", "finished_at", "status", "spiders", "requests", "items", "cards", "pages", "errors"]
    click.echo(tabulate([[r[c] for c in columns] for r in rows], headers=columns))


@cli.command()
@click.argument("identifier")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@db_option
@one_line_errors
def show(identifier, fmt, db):
    """One artifact: fields, capabilities, scores, errors. ID is `owner/name` or `datasets/owner/name`."""
    database = open_readonly(db_path(db))
    artifact = resolve_identifier(database, identifier)
    view = artifact_view(database, artifact)
    if fmt == "json":
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    for key, value in view.items():
        if key in ("capabilities", "eval_results"):
            continue
        if isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        click.echo(f"{key:>16}: {value}")
    for cap in view["capabilities"]:
        sources = sorted({e.get("section") or e.get("field") for e in cap["evidence"]})
        click.echo(f"\n* {cap['title']}\n  {cap['text']}\n  evidence: {', '.join(map(str, sources))}")


def resolve_identifier(database, identifier: str) -> dict:
    matches = find_artifacts(database, identifier.strip().strip("/"))
    if not matches:
        raise click.ClickException(f"no artifact {identifier!r} in the database")
    if len(matches) > 1:
        raise click.ClickException(
            f"{identifier!r} names both a model and a dataset: say {identifier} or datasets/{identifier}"
            if not identifier.startswith("datasets/") else f"{identifier!r} is ambiguous"
        )
    return matches[0]


def artifact_view(database, artifact: dict) -> dict:
    """The contract's `show` JSON shape."""
    kind = artifact["kind"]
    return {
        "kind": kind,
        "repo_id": artifact["repo_id"],
        "url": f"{hub_endpoint()}/{URL_PREFIX[kind]}{artifact['repo_id']}",
        "type": kind.capitalize(),
        "author": artifact["author"],
        "sha": artifact["sha"],
        "last_modified": artifact["last_modified"],
        "downloads": artifact["downloads"],
        "likes": artifact["likes"],
        "license": artifact["license"],
        "pricing": artifact["pricing"],
        "gated": artifact["gated"],
        "formats": artifact["formats"] or [],
        "parameters": artifact["parameters"],
        "tasks": artifact["tasks"] or [],
        "languages": artifact["languages"] or [],
        "card_length": artifact["card_length"],
        "card_sections": artifact["card_sections"] or [],
        "rows": artifact["rows"],
        "base_models": artifact["base_models"] or [],
        "datasets": artifact["datasets"] or [],
        "libraries": artifact["libraries"] or [],
        "capabilities": get_capabilities(database, artifact["id"]),
        "eval_results": [{k: v for k, v in e.items() if k != "artifact_id"} for e in eval_rows(database, artifact["id"])],
        "scores": get_scores(database, artifact["id"]) or dict.fromkeys(SCORE_KEYS),
        "times_matched": times_matched(database, artifact["id"]),
        "errors": artifact["errors"] or [],
        "fetched_at": artifact["fetched_at"],
    }


if __name__ == "__main__":
    cli()
