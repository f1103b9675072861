"""Comparison and artifact pages in a real headless Chromium (Debian's package; .ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest
from bs4 import BeautifulSoup

from tests.conftest import FEATURE_ROWS, hubcrawl
from tests.hubstub import Repo, StubHub, commit_sha, make_hub, object_id

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)"
)
HOSTILE = "<script>window.hacked = 1</script>"


def hostile_repo() -> Repo:
    repo_id = "mallory/sneaky-model"
    card = (
        "---\nlicense: mit\npipeline_tag: text-classification\n---\n\n# sneaky\n\n## Model description\n\n"
        f"This model tags text such as `{HOSTILE}` as code and moves on.\n"
    ).encode()
    record = {
        "_id": object_id(repo_id),
        "id": repo_id,
        "sha": commit_sha(repo_id),
        "pipeline_tag": "text-classification",
        "lastModified": "2025-01-01T00:00:00.000Z",
        "downloads": 5,
        "likes": 1,
        "tags": ["license:mit"],
        "siblings": [{"rfilename": "README.md"}],
    }
    return Repo("model", record, card)


def chromium(*args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    try:
        return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_comparison_and_artifact_pages_render_in_chromium(tmp_path, db_file):
    data = make_hub(40, 10)
    data.add(hostile_repo())
    with StubHub(data) as hub:
        for args in (
            ("crawl", "models"),
            ("crawl", "datasets"),
            ("rank",),
            ("compare", "--all", "--per-artifact", "3"),
        ):
            assert hubcrawl(*args, endpoint=hub.url, db=db_file).code == 0, args
        page = hubcrawl(
            "compare", "mallory/sneaky-model", "org01/model-00001", "--format", "html", endpoint=hub.url, db=db_file
        )
        site = hubcrawl("site", str(tmp_path / "site"), endpoint=hub.url, db=db_file)
    assert page.code == 0 and site.code == 0, site.stderr
    html_file = tmp_path / "compare.html"
    html_file.write_text(page.stdout, encoding="utf-8")

    shot = tmp_path / "compare.png"
    rendered = chromium("--window-size=1100,1600", f"--screenshot={shot}", html_file.as_uri())
    assert shot.stat().st_size > 20_000, rendered.stderr[-2000:]
    assert "Uncaught" not in rendered.stderr  # no script errors (there is no script at all)

    dom = BeautifulSoup(chromium("--dump-dom", html_file.as_uri()).stdout, "html.parser")
    assert [r.find("td").get_text() for r in dom.select("table.features tr")[1:]] == FEATURE_ROWS
    assert dom.select('div.capabilities[data-side="a"] div.capability') and dom.select(
        'div.capabilities[data-side="b"] div.capability'
    )
    assert len(dom.select("svg.score-chart rect.bar")) == 8  # four parts, two sides
    assert dom.find_all("script") == []  # the card's <script> was not let in…
    assert HOSTILE in dom.get_text()  # …it shows as the text it is

    index = BeautifulSoup(chromium("--dump-dom", (tmp_path / "site" / "index.html").as_uri()).stdout, "html.parser")
    links = [a["href"] for a in index.select("table.features a")]
    [page] = [link for link in links if link.startswith("artifacts/mallory__sneaky-model-")]
    artifact = BeautifulSoup(chromium("--dump-dom", (tmp_path / "site" / page).as_uri()).stdout, "html.parser")
    assert HOSTILE in artifact.get_text() and artifact.find_all("script") == []
    assert len(artifact.select("svg.score-chart rect.bar")) == 4
    assert list((tmp_path / "site" / "compare").glob("*.html"))
