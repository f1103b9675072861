"""The command line's own conventions, in process (click's runner)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubcrawl.cli import cli


@pytest.mark.parametrize("verb", [[], ["crawl"], ["search"], ["compare"]])
def test_h_is_help_like_help(verb):
    runner = CliRunner()
    short, long = (runner.invoke(cli, [*verb, flag]) for flag in ("-h", "--help"))
    assert short.exit_code == 0 and short.output == long.output
    assert short.output.startswith("Usage: ")
