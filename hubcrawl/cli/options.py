"""Options and error handling every verb shares (as sqlite-utils shares its option decorators)."""

from __future__ import annotations

import functools

import click

from hubcrawl.cli.output import printable
from hubcrawl.crawler.config import ConfigError
from hubcrawl.db import DatabaseError
from hubcrawl.spiders.args import ArgumentError

READER_TIME_LIMIT = 60.0  # seconds a reading statement may run (`query --time-limit` changes it)
# Every verb that prints says `text` for people and `json` for scripts; older names stay accepted.
FORMAT_ALIASES = {"table": "text", "md": "text"}
# The errors a user can cause (a bad option, value, file or setting): one line. Anything else is a
# bug and is reported as one (see `main`).
USER_ERRORS = (ConfigError, DatabaseError, ArgumentError)


def db_option(command):
    return click.option("--db", "db", metavar="PATH", help="SQLite file (default: $HUBCRAWL_DB or ./hub.db).")(command)


def format_option(*extra: str, default: str = "text"):
    """`--format`: `text` and `json` everywhere, plus what a verb adds (`csv`, `html`)."""
    choices = ["text", "json", *extra]
    aliases = [a for a, target in FORMAT_ALIASES.items() if target in choices]

    def normalize(_ctx, _param, value):
        return FORMAT_ALIASES.get(value, value)

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices + aliases),
        default=default,
        show_default=True,
        callback=normalize,
        help=f"Output format ({' = '.join(['text', *aliases])}).",
    )


def one_line_errors(command):
    """Bad input ends in one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as exc:
            raise click.ClickException(printable(str(exc))) from None

    return wrapper
