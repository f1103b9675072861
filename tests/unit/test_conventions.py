"""The command line's and Scrapy's conventions, and the refusals, in process (click's runner, an unstarted crawler)."""

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


def test_a_dataset_id_given_to_the_models_crawl_is_refused_before_anything_is_written(tmp_path):
    db_file = tmp_path / "hub.db"
    result = CliRunner().invoke(cli, ["crawl", "models", "--ids", "org/m,datasets/org/d", "--db", str(db_file)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: datasets/org/d is a dataset: crawl it with `hubcrawl crawl datasets --ids org/d` or `crawl all`"
    )
    assert not db_file.exists()


def test_a_crawl_opens_no_console_or_remote_control(tmp_path):
    """Nothing that runs code sent to it listens while an unattended crawl runs."""
    from scrapy.extensions.remote_control import RemoteControl
    from scrapy.extensions.telnet import TelnetConsole

    from hubcrawl.spiders.models import ModelsSpider
    from tests.unit.conftest import project_crawler

    crawler = project_crawler(ModelsSpider, tmp_path / "hub.db")
    crawler._apply_settings()  # what crawling does first: loads the extensions the settings enable
    loaded = {type(e) for e in crawler.extensions.middlewares}
    assert {RemoteControl, TelnetConsole}.isdisjoint(loaded) and loaded
