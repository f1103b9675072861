"""`hubcrawl`: crawl the Hub into SQLite and explore what landed. One verb per job."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import math
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import click
from tabulate import tabulate

from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.config import ConfigError, db_path, hub_budgets, hub_endpoint
from hubcrawl.crawler.items import URL_PREFIX, artifact_key, parse_identifier, split_artifact_key
from hubcrawl.crawler.runlock import CrawlLocked, RunLock
from hubcrawl.crawler.runs import run_outcome, run_report
from hubcrawl.db import (
    EXPORTABLE,
    DatabaseError,
    close_db,
    comparison_records,
    eval_rows,
    export_rows,
    find_artifacts,
    finish_run,
    get_artifact,
    get_capabilities,
    get_run,
    get_scores,
    interrupt_stale_runs,
    list_runs,
    open_db,
    open_readonly,
    ranked_artifacts,
    run_query,
    save_artifacts,
    save_comparisons,
    search_artifacts,
    start_run,
    stored_sources,
    times_matched,
)
from hubcrawl.spiders.args import CrawlArgs

READER_TIME_LIMIT = 60.0  # seconds a reading statement may run (`query --time-limit` changes it)
SCORE_KEYS = ("overall", "adoption", "quality", "ecosystem", "match_graph")
SPIDERS = {
    "models": "hubcrawl.spiders.models.ModelsSpider",
    "datasets": "hubcrawl.spiders.datasets.DatasetsSpider",
    "pages": "hubcrawl.spiders.pages.PagesSpider",
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
            raise click.ClickException(printable(str(exc))) from None

    return wrapper


# Characters a terminal acts on rather than shows: C0/C1 controls (escape sequences set titles,
# clear screens, write the clipboard), DEL, and bidi overrides. Newlines and tabs stay.
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0 itself


def printable(text: str) -> str:
    """Card text as a terminal should show it: control characters replaced by U+FFFD."""
    return TERMINAL_CONTROLS.sub("\ufffd", text)


def emit(text: str, *, data: bool = False, nl: bool = True) -> None:
    """Print to stdout. Text for reading loses its control characters; data (CSV) keeps them
    unless it is going to a terminal."""
    click.echo(text if data and not sys.stdout.isatty() else printable(text), nl=nl)


def json_text(value, indent: int | None = 2) -> str:
    """JSON that is valid (no NaN or Infinity: they become null) and safe on a terminal
    (C1 controls and bidi overrides escaped, which JSON readers read back unchanged)."""
    text = json.dumps(finite(value), indent=indent, ensure_ascii=False, allow_nan=False)
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def main() -> None:
    """The console entry point: `cli`, and a one-line error when stdout cannot take the output
    (a full device, a closed pipe) instead of a traceback at exit."""
    try:
        try:
            cli(standalone_mode=True)
        finally:
            sys.stdout.flush()
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush stays quiet
        print(f"Error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - a bug still ends in one line; HUBCRAWL_DEBUG=1 shows the traceback
        if os.environ.get("HUBCRAWL_DEBUG"):
            raise
        print(
            f"Error: internal error: {exc.__class__.__name__}: {printable(str(exc))[:300]} "
            "(HUBCRAWL_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        sys.exit(1)


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
@click.option(
    "--counters", is_flag=True, help="Only refresh downloads and likes of all repos (listing pages, no cards)."
)
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

    # Everything a run needs is checked before it starts: a bad setting is one line, not a hung crawl.
    endpoint = hub_endpoint()
    hub_budgets()
    args = CrawlArgs.parse(
        search=search, author=author, filters=list(filters), ids=ids, limit=limit, full=full, counters=counters
    )
    path = db_path(db)
    database = open_db(path, create=True)
    try:
        lock = RunLock(path).acquire(wait=wait)
    except CrawlLocked as exc:
        close_db(database)
        raise click.ClickException(str(exc)) from None
    try:
        interrupt_stale_runs(database, now_iso())  # we hold the lock: a run still "running" was killed
        names = ["models", "datasets", "pages"] if what == "all" else [what]
        if counters:
            names = [n for n in names if n != "pages"]
        run_id = start_run(database, spiders=names, endpoint=endpoint, arguments=args.ledger(), started_at=now_iso())

        settings = scrapy_settings(get_project_settings())
        settings.setdict(
            {"HUBCRAWL_DB": path, "HUBCRAWL_RUN_ID": run_id, "HUBCRAWL_PROGRESS_STDERR": True, "LOG_LEVEL": "WARNING"},
            priority="cmdline",
        )
        process = CrawlerProcess(settings)
        started = time.monotonic()
        spider_args = {name: mine for name in names if (mine := spider_arguments(name, what, args))}
        crawlers = {name: process.create_crawler(load_object(SPIDERS[name])) for name in spider_args}

        # Listings first (models and datasets side by side), then pages: they visit what the listings stored.
        listings = [process.crawl(c, args=spider_args[n]) for n, c in crawlers.items() if n != "pages"]
        chain = defer.DeferredList(listings, consumeErrors=True) if listings else defer.succeed(None)
        if "pages" in crawlers:

            def crawl_pages(_):
                if all(finish_reason(c) == "finished" for n, c in crawlers.items() if n != "pages"):
                    return process.crawl(crawlers["pages"], args=spider_args["pages"])

            chain.addCallback(crawl_pages)
        chain.addBoth(stop_reactor)
        process.start(stop_after_crawl=False)  # SIGTERM / Ctrl-C: Scrapy stops the crawlers gracefully, then here

        reasons = [finish_reason(c) for c in crawlers.values()]
        reports = [run_report(c) for c in crawlers.values()]
        fatal = next((r.fatal for r in reports if r.fatal), None)
        run = get_run(database, run_id)
        status, message = run_outcome(
            reasons,
            fatal=fatal,
            listing_pages=run["listing_pages"],
            items=run["items"],
            listing_error=next((r.listing_error for r in reports if r.listing_error), None),
            endpoint=endpoint,
        )
        run = finish_run(database, run_id, status=status, finished_at=now_iso(), message=message)
    finally:
        close_db(database)
        lock.release()
    emit(summary_line(run, time.monotonic() - started))
    if status == "failed":
        raise click.ClickException(message)
    if status == "interrupted":
        click.echo(f"Error: {message}", err=True)
        sys.exit(130)


def finish_reason(crawler) -> str | None:
    """Why a crawler's spider closed; None when it never ran (stopped before it began)."""
    return crawler_stat(crawler, "finish_reason")


def crawler_stat(crawler, key: str):
    try:
        return crawler.stats.get_value(key)
    except RuntimeError:  # Scrapy makes the stats only when the crawl starts
        return None


def stop_reactor(_=None) -> None:
    # Imported here: importing the reactor earlier would install Twisted's default one, not Scrapy's asyncio reactor.
    from twisted.internet import reactor

    with contextlib.suppress(Exception):  # a signal may have stopped it already
        if reactor.running:
            reactor.stop()


def spider_arguments(name: str, what: str, args: CrawlArgs) -> CrawlArgs | None:
    """One spider's share of the run's arguments; None when it has nothing to do in this run.

    With --ids, `datasets/a/b` goes to the datasets spider and a bare `a/b` to the models spider
    (or to whichever spider was named). Pages under `all` are bounded by one window of the budget.
    """
    if name == "pages":
        limit = args.limit or (None if what == "pages" else hub_budgets()["pages"][0])
        return CrawlArgs(ids=args.ids, limit=limit, full=args.full)
    if args.ids:
        keys = [split_artifact_key(i) for i in args.ids]
        mine = tuple(repo_id for kind, repo_id in keys if what != "all" or (kind == "dataset") == (name == "datasets"))
        return CrawlArgs(ids=mine, limit=args.limit) if mine else None
    return replace(args, ids=())


def scrapy_settings(settings):
    """Project settings even when run outside the repository (no scrapy.cfg in sight)."""
    if not settings.get("BOT_NAME") == "hubcrawl":
        settings.setmodule("hubcrawl.crawler.settings", priority="project")
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
    from hubcrawl.crawler.normalize import derive_artifact, sources_from_rows

    database = open_db(db_path(db))
    endpoint = hub_endpoint()
    started, done, batch = time.monotonic(), 0, []
    for stored in stored_sources(database):
        batch.append(derive_artifact(sources_from_rows(*stored, endpoint)).rows())
        if len(batch) >= 500:
            done += save_artifacts(database, batch)
            batch = []
    done += save_artifacts(database, batch)
    close_db(database)
    emit(f"normalized {done} artifacts in {time.monotonic() - started:.1f}s")


@cli.command()
@db_option
@one_line_errors
def migrate(db):
    """Bring a database written by an older hubcrawl up to this version's schema (writers do it on their own)."""
    database = open_db(db_path(db))
    version = database.execute("PRAGMA user_version").fetchone()[0]
    close_db(database)
    emit(f"{db_path(db)}: schema version {version}")


@cli.command()
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


@cli.command()
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
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]), default="md")
@db_option
@one_line_errors
def compare(identifiers, compare_all, per_artifact, fmt, db):
    """One comparison record, `compare A B`, or `compare --all`; records are stored in `comparisons`."""
    from hubcrawl.crawler.compare import Comparator, pairs_for_all, render_markdown

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
        close_db(database)
        if fmt == "html":
            from hubcrawl.crawler.render import render_compare

            emit(render_compare(record), data=True)
        else:
            emit(json_text(record) if fmt == "json" else render_markdown(record))
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
    close_db(database)
    emit(
        f"{len(pairs)} pairs: {written} records written, {len(pairs) - written} unchanged, "
        f"in {time.monotonic() - started:.1f}s"
    )


@cli.command()
@click.argument("text")
@click.option("--kind", type=click.Choice(["model", "dataset"]), help="Only models or only datasets.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@db_option
@one_line_errors
def search(text, kind, limit, fmt, db):
    """Full-text search over names and capabilities, best first (SQLite FTS5, bm25)."""
    hits = search_artifacts(open_readonly(db_path(db), READER_TIME_LIMIT), text, kind, limit)
    if fmt == "json":
        emit(json_text(hits))
        return
    for hit in hits:
        emit(f"{hit['score']:8.3f}  {artifact_key(hit['kind'], hit['repo_id'])}\n          {hit['snippet']}")


@cli.command()
@click.argument("table", type=click.Choice(EXPORTABLE), default="artifacts")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
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


@cli.command()
@db_option
def metadata(db):
    """Datasette metadata describing the tables and columns: `datasette hub.db -m <(hubcrawl metadata)`."""
    from hubcrawl.db.schema import datasette_metadata

    click.echo(
        json.dumps(datasette_metadata(Path(db_path(db)).stem), indent=2)
    )  # Datasette names a database after its file


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Artifacts with pages, best-scored first.",
)
@db_option
@one_line_errors
def site(out_dir, limit, db):
    """Render artifact pages and their stored comparison records as a static HTML site in OUT_DIR."""
    from hubcrawl.crawler.render import page_file, render_artifact, render_compare, render_index

    database = open_readonly(db_path(db))
    top = ranked_artifacts(database, limit)
    if not top:
        raise click.ClickException("no scored artifacts: run `hubcrawl rank` first")
    folders = {name: site_folder(out_dir / name) for name in ("artifacts", "compare")}
    records = comparison_records(database, [a["id"] for a in top])
    by_artifact = {}
    for row in records:
        record = row["record"]
        name = page_file(f"{record['a']['id']}--{record['b']['id']}")
        write_page(folders["compare"] / name, render_compare(record))
        for side in ("a", "b"):
            by_artifact.setdefault(record[side]["id"], []).append({"file": name, "title": record["title"]})
    for a in top:
        a["file"] = page_file(a["id"])
        view = artifact_view(database, get_artifact(database, a["id"]))
        write_page(folders["artifacts"] / a["file"], render_artifact(view, by_artifact.get(a["id"], [])))
    write_page(site_folder(out_dir) / "index.html", render_index("hubcrawl: artifacts by score", top))
    emit(f"wrote {len(top)} artifact pages and {len(records)} comparison pages to {out_dir}")


def site_folder(path: Path) -> Path:
    """A folder of the site, made if needed; a symlink planted in its place is refused."""
    if path.is_symlink():
        raise click.ClickException(f"{path} is a symbolic link: refusing to write the site through it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot make {path}: {exc.strerror}") from None
    return path


def write_page(path: Path, html: str) -> None:
    """Write one page as a new file: whatever stood at that name (a planted symlink) is replaced, not followed."""
    try:
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None


@cli.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
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


def render_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json_text([dict(zip(columns, row, strict=True)) for row in rows])
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
        emit(json_text(rows))
        return
    columns = ["id", "started_at", "finished_at", "status", "spiders", "requests", "items", "cards", "pages", "errors"]
    emit(tabulate([[r[c] for c in columns] for r in rows], headers=columns))


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
        emit(json_text(view))
        return
    for key, value in view.items():
        if key in ("capabilities", "eval_results"):
            continue
        if isinstance(value, (list, dict)):
            value = json_text(value, indent=None)
        emit(f"{key:>16}: {value}")
    for cap in view["capabilities"]:
        sources = sorted({str(e.get("section") or e.get("field")) for e in cap["evidence"]})
        emit(f"\n* {cap['title']}\n  {cap['text']}\n  evidence: {', '.join(sources)}")


def resolve_identifier(database, identifier: str) -> dict:
    kind, repo_id = parse_identifier(identifier)
    matches = find_artifacts(database, repo_id, kind)
    if not matches:
        raise click.ClickException(f"no artifact {identifier!r} in the database")
    if len(matches) > 1:
        raise click.ClickException(
            f"{identifier!r} names both a model and a dataset: say {identifier} or datasets/{identifier}"
            if kind is None
            else f"{identifier!r} is ambiguous"
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
        "eval_results": [
            {k: v for k, v in e.items() if k != "artifact_id"} for e in eval_rows(database, artifact["id"])
        ],
        "scores": get_scores(database, artifact["id"]) or dict.fromkeys(SCORE_KEYS),
        "times_matched": times_matched(database, artifact["id"]),
        "errors": artifact["errors"] or [],
        "fetched_at": artifact["fetched_at"],
    }


if __name__ == "__main__":
    main()
