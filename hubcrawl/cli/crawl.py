"""`hubcrawl crawl`: one crawl run."""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import click

from hubcrawl.cli.options import db_option, format_option, one_line_errors
from hubcrawl.cli.output import emit, json_text
from hubcrawl.crawler.config import db_path, hub_budgets, hub_endpoint
from hubcrawl.crawler.items import parse_identifier, split_artifact_key
from hubcrawl.crawler.runlock import CrawlLocked
from hubcrawl.spiders.args import CrawlArgs

SPIDERS = {
    "models": "hubcrawl.spiders.models.ModelsSpider",
    "datasets": "hubcrawl.spiders.datasets.DatasetsSpider",
    "details": "hubcrawl.spiders.details.DetailsSpider",
    "pages": "hubcrawl.spiders.pages.PagesSpider",
}
# `all` in order: the listings side by side; then the details pass and the pages, which visit what they stored.
STAGES = (("models", "datasets"), ("details",), ("pages",))
SKIPPABLE = ("details", "pages")
# Scrapy's log level by verbosity: warnings by default, -v INFO, -vv DEBUG; -q (the last) errors only.
LOG_LEVELS = ("WARNING", "INFO", "DEBUG", "ERROR")


@click.command()
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
@click.option(
    "--skip", type=click.Choice(SKIPPABLE), multiple=True, help="With `all`: leave out the details pass or the pages."
)
@click.option("-v", "--verbose", count=True, help="Scrapy's log on stderr: -v its INFO lines, -vv DEBUG too.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no warnings: errors and the summary only.")
@format_option()
@db_option
@one_line_errors
def crawl(what, search, author, filters, ids, limit, full, counters, wait, skip, verbose, quiet, fmt, db):
    """One crawl run: list repos, fetch their cards (and config files and pages), store them; prints
    progress and a summary.

    `all` crawls models and datasets; then the details pass fetches the config.json of stored models not
    yet read at their commit (as many as --limit, most downloaded first); then it visits the pages of the
    artifacts that most need it: as many as --limit, or one window of the Hub's pages budget (100
    anonymous). `--counters` runs the listings only.
    """
    from hubcrawl.crawler.runs import run_crawl

    # Everything a run needs is checked before it starts: a bad setting is one line, not a hung crawl.
    endpoint = hub_endpoint()
    hub_budgets()
    args = CrawlArgs.parse(
        search=search, author=author, filters=list(filters), ids=ids, limit=limit, full=full, counters=counters
    )
    datasets_named = [i for i in args.ids if parse_identifier(i)[0] == "dataset"]
    if what == "models" and datasets_named:  # the models spider would store it as a model that is not there
        name = parse_identifier(datasets_named[0])[1]
        raise click.ClickException(
            f"{datasets_named[0]} is a dataset: crawl it with `hubcrawl crawl datasets --ids {name}` or `crawl all`"
        )
    skipped = set(skip) | (set(SKIPPABLE) if counters else set())
    stages = [
        {
            name: (SPIDERS[name], mine)
            for name in stage
            if (name == what or name not in skipped) and (mine := spider_arguments(name, what, args))
        }
        for stage in (STAGES if what == "all" else [(what,)])
    ]
    started = time.monotonic()
    try:
        run = run_crawl(
            db_path(db),
            [s for s in stages if s],
            endpoint=endpoint,
            arguments=args.ledger(),
            wait=wait,
            on_wait=lambda: click.echo(f"waiting for the crawl that holds {db_path(db)} to finish…", err=True),
            settings={"LOG_LEVEL": LOG_LEVELS[-1 if quiet else min(verbose, 2)], "HUBCRAWL_PROGRESS": not quiet},
        )
    except CrawlLocked as exc:
        raise click.ClickException(str(exc)) from None
    seconds = time.monotonic() - started
    emit(json_text(run_summary(run, seconds)) if fmt == "json" else summary_line(run, seconds))
    if run["status"] == "failed":
        raise click.ClickException(run["message"])
    if run["status"] == "interrupted":
        click.echo(f"Error: {run['message']}", err=True)
        sys.exit(130)


def spider_arguments(name: str, what: str, args: CrawlArgs) -> CrawlArgs | None:
    """One spider's share of the run's arguments; None when it has nothing to do in this run.

    With --ids, `datasets/a/b` goes to the datasets spider and a bare `a/b` to the models spider
    (or to whichever spider was named). Pages under `all` are bounded by one window of the budget.
    """
    if name == "pages":
        limit = args.limit or (None if what == "pages" else hub_budgets()["pages"][0])
        return CrawlArgs(ids=args.ids, limit=limit, full=args.full)
    if name == "details":  # models only: `datasets/…` ids have no config to read
        ids = tuple(repo_id for kind, repo_id in map(split_artifact_key, args.ids) if kind == "model")
        return None if args.ids and not ids else CrawlArgs(ids=ids, limit=args.limit, full=args.full)
    if args.ids:
        keys = [split_artifact_key(i) for i in args.ids]
        mine = tuple(repo_id for kind, repo_id in keys if what != "all" or (kind == "dataset") == (name == "datasets"))
        return CrawlArgs(ids=mine, limit=args.limit) if mine else None
    return replace(args, ids=())


def run_summary(run: dict, seconds: float) -> dict:
    """`--format json`: the run's row as `hubcrawl runs` has it, with its duration and rate."""
    return run | {"seconds": round(seconds, 1), "repos_per_second": round((run["items"] or 0) / max(seconds, 1e-6), 1)}


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
