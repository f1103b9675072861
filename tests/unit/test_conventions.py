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


def test_show_prints_what_is_known_readably_with_its_results():
    from hubcrawl.crawler.render import render_artifact_text

    view = {
        "kind": "model",
        "repo_id": "org/m",
        "gated": None,
        "parameters": 65_200_000,
        "languages": ["en", "de"],
        "formats": [],
        "scores": {"overall": 61.5, "adoption": 0.5, "method_version": None},
        "capabilities": [
            {
                "title": "t",
                "text": "x",
                "evidence": [{"source": "task-reference"}, {"source": "card", "section": "Uses"}],
            }
        ],
        "eval_results": [
            {
                "dataset": "squad",
                "dataset_name": "SQuAD",
                "split": "validation",
                "metric": "f1",
                "value": 88.51234,
                "source": "model-index",
            }
        ],
    }
    text = "\n".join(render_artifact_text(view))
    assert "gated" not in text and "formats" not in text and "None" not in text  # nothing known, nothing said
    assert "      parameters: 65.2M (65,200,000)" in text
    assert "       languages: en, de" in text and "scores: overall 61.5, adoption 0.5" in text
    assert "evidence: Uses, task-reference" in text
    assert text.endswith("reported results:\n  f1 88.51 on SQuAD, validation (model-index)")
