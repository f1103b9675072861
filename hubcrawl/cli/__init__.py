"""`hubcrawl`: crawl the Hub into SQLite and explore what landed. One verb per job; the verbs are
glue (options in, one call into the stages, output out), grouped by what they do to the database."""

from __future__ import annotations

import os
import sys

import click

from hubcrawl.cli import build, read, site
from hubcrawl.cli.crawl import crawl
from hubcrawl.cli.output import printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})  # every verb takes -h too
@click.version_option(package_name="hubcrawl")
def cli():
    """Crawl Hugging Face Hub models and datasets into one SQLite file, and explore it."""


for command in (
    crawl,
    build.normalize,
    build.migrate,
    build.rank,
    build.compare,
    read.search,
    read.export,
    read.metadata,
    site.site,
    read.query,
    read.runs,
    read.show,
):
    cli.add_command(command)


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
