"""Comparison and artifact pages in a real headless Chromium (Debian's package; .ci/run installs it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlite_utils
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


# Headless Chromium keeps its window at least 500 px wide: a phone's 390 px is a frame of that width, and the
# probe around it (the pages themselves carry no script) writes how wide the page lays out against the frame,
# and what sticks out, into its own DOM for --dump-dom to show.
PHONE_PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="phone" src="{page}" width="390" height="844" style="border:0"></iframe>
<script>
window.addEventListener("load", () => {{
  const frame = document.getElementById("phone"), doc = frame.contentDocument, width = frame.contentWindow.innerWidth;
  const out = [...doc.querySelectorAll("body *")].filter(e => !e.closest(".scroll"))
    .filter(e => e.getBoundingClientRect().right > width + 1).slice(0, 5).map(e => e.tagName + "." + e.className);
  document.body.setAttribute("data-widths", doc.documentElement.scrollWidth + " " + width);
  document.body.setAttribute("data-sticking-out", out.join(" "));
}});
</script></body></html>"""


def dom(path) -> BeautifulSoup:
    return BeautifulSoup(chromium("--dump-dom", path.as_uri()).stdout, "html.parser")


def eval_repo() -> Repo:
    """A model with a reported result and a page in the site's lineage (trained on a stand-in dataset)."""
    repo_id = "evalco/qa-model"
    card = (
        b"---\nlicense: apache-2.0\npipeline_tag: question-answering\ndatasets: [org00/dataset-00000]\n"
        b"model-index:\n- name: qa-model\n  results:\n  - task: {type: question-answering}\n"
        b"    dataset: {type: org00/dataset-00000, name: Stand-in QA, split: validation}\n"
        b"    metrics: [{type: f1, value: 88.5}]\n---\n\n# qa-model\n\nAn extractive question answering model.\n"
    )
    record = {
        "_id": object_id(repo_id),
        "id": repo_id,
        "sha": commit_sha(repo_id),
        "pipeline_tag": "question-answering",
        "lastModified": "2025-01-01T00:00:00.000Z",
        "downloads": 90_000,
        "likes": 10,
        "tags": ["license:apache-2.0", "dataset:org00/dataset-00000"],
        "siblings": [{"rfilename": "README.md"}],
    }
    return Repo("model", record, card)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two crawl runs (the second sees more downloads), rank, compare, a site and a standalone comparison."""
    tmp = tmp_path_factory.mktemp("html")
    db_file = tmp / "hub.db"
    data = make_hub(40, 10)
    data.add(hostile_repo())
    data.add(eval_repo())
    with StubHub(data) as hub:
        assert hubcrawl("crawl", endpoint=hub.url, db=db_file).code == 0
        hub.data.get("model", "evalco/qa-model").record["downloads"] = 120_000
        for args in (("crawl", "--counters"), ("rank",), ("compare", "--all", "--per-artifact", "3")):
            assert hubcrawl(*args, endpoint=hub.url, db=db_file).code == 0, args
        page = hubcrawl(
            "compare", "mallory/sneaky-model", "org01/model-00001", "--format", "html", endpoint=hub.url, db=db_file
        )
        first = hubcrawl("site", str(tmp / "site"), endpoint=hub.url, db=db_file)
        endpoint = hub.url
    assert page.code == 0 and first.code == 0, first.stderr
    (tmp / "compare.html").write_text(page.stdout, encoding="utf-8")
    return tmp, endpoint, db_file


def site_page(tmp, prefix: str) -> Path:
    [path] = (tmp / "site" / "artifacts").glob(f"{prefix}-*.html")
    return path


def test_comparison_page_renders_in_chromium_without_script(site):
    tmp, endpoint, _ = site
    html_file = tmp / "compare.html"
    shot = tmp / "compare.png"
    rendered = chromium("--window-size=1100,1600", f"--screenshot={shot}", html_file.as_uri())
    assert shot.stat().st_size > 20_000, rendered.stderr[-2000:]
    assert "Uncaught" not in rendered.stderr  # no script errors (there is no script at all)

    page = dom(html_file)
    assert [r.find("td").get_text() for r in page.select("table.features tr")[1:]] == FEATURE_ROWS
    assert page.select('div.capabilities[data-side="a"] div.capability') and page.select(
        'div.capabilities[data-side="b"] div.capability'
    )
    assert len(page.select("svg.score-chart rect.bar")) == 8  # four parts, two sides
    assert page.find_all("script") == []  # the card's <script> was not let in…
    assert HOSTILE in page.get_text()  # …it shows as the text it is
    # Standalone, it links to both artifacts on the Hub (there is no site around it).
    assert [a["href"] for a in page.select("a.hub")] == [
        f"{endpoint}/mallory/sneaky-model",
        f"{endpoint}/org01/model-00001",
    ]
    assert page.select("nav") == []


def test_site_pages_link_to_each_other_the_index_and_the_hub(site):
    tmp, endpoint, _ = site
    folder = tmp / "site"
    index = dom(folder / "index.html")
    artifact_links = {a["href"] for a in index.select("table.features a")}
    assert artifact_links and all((folder / link).is_file() for link in artifact_links)
    for compare_file in sorted((folder / "compare").glob("*.html"))[:5]:
        page = dom(compare_file)
        assert page.select_one("nav a")["href"] == "../index.html"
        assert len(page.select("a.hub")) == 2 and all(a["href"].startswith(endpoint) for a in page.select("a.hub"))
        linked = [a["href"] for a in page.select("a.artifact")]
        assert linked and all((compare_file.parent / link).resolve().is_file() for link in linked)
    artifact = dom(site_page(tmp, "evalco__qa-model"))
    assert artifact.select_one("nav a")["href"] == "../index.html"
    assert artifact.select_one("a.hub")["href"] == f"{endpoint}/evalco/qa-model"
    compared = [a["href"] for a in artifact.find_all("a") if a["href"].startswith("../compare/")]
    assert compared and all((folder / "artifacts" / c).resolve().is_file() for c in compared)


def test_artifact_page_shows_score_evidence_results_trend_and_lineage(site):
    tmp, _, db_file = site
    page = dom(site_page(tmp, "evalco__qa-model"))
    assert re.search(r"Score \d+(\.\d)?/100", page.select_one("p.score").get_text())
    assert len(page.select("svg.score-chart rect.bar")) == 4
    # Every capability with its evidence, each item naming its source.
    capabilities = page.select("div.capability")
    assert capabilities and all(c.select("details.evidence li") for c in capabilities)
    assert any("model-index" in li.get_text() or "card" in li.get_text() for li in page.select("details.evidence li"))
    [row] = [r for r in page.select("table.results tr")[1:]]
    assert [td.get_text() for td in row.select("td")][:4] == ["Stand-in QA", "validation", "f1", "88.5"]
    # The downloads trend: a point per run that saw it, rising as the counters did.
    points = page.select("svg.trend circle.point")
    assert [p.find("title").get_text().split(": ")[1] for p in points] == ["90,000", "120,000"]
    assert float(points[1]["cy"]) < float(points[0]["cy"])
    # Lineage: the dataset it was trained and evaluated on above, linked to its own page in the site.
    upstream = page.select('svg.lineage a.node[data-side="upstream"]')
    assert [n.find("title").get_text() for n in upstream] == ["org00/dataset-00000"] * 2
    assert {t.get_text() for t in page.select("svg.lineage text")} >= {"Trained on", "Evaluated on"}
    for node in upstream:
        assert (site_page(tmp, "evalco__qa-model").parent / node["href"]).resolve() == site_page(
            tmp, "datasets__org00__dataset-00000"
        )
    dataset = dom(site_page(tmp, "datasets__org00__dataset-00000"))
    below = {n.find("title").get_text() for n in dataset.select('svg.lineage a.node[data-side="downstream"]')}
    assert "evalco/qa-model" in below


def test_index_groups_by_kind_and_task(site):
    tmp, _, db_file = site
    index = dom(tmp / "site" / "index.html")
    tables = index.select("table.features")
    tasks = {
        r["id"]: (r["kind"], r["task"] or "no task declared") for r in sqlite_utils.Database(db_file)["artifacts"].rows
    }
    seen = 0
    for table in tables:
        rows = table.select("tr")[1:]
        scores = [float(r.select("td")[1].get_text()) for r in rows]
        assert scores == sorted(scores, reverse=True)
        for row in rows:
            artifact_id = row.find("a").get_text()
            artifact_id = artifact_id if (artifact_id in tasks) else f"datasets/{artifact_id}"
            assert tasks[artifact_id] == (table["data-kind"], table["data-task"])
            seen += 1
    assert seen == len(list((tmp / "site" / "artifacts").glob("*.html")))
    assert [h.get_text() for h in index.select("h2")] == ["Models", "Datasets"]


def test_pages_fit_a_phone_screen(site):
    tmp, _, _ = site
    folder = tmp / "site"
    pages = [
        folder / "index.html",
        site_page(tmp, "evalco__qa-model"),
        site_page(tmp, "datasets__org00__dataset-00000"),
        site_page(tmp, "mallory__sneaky-model"),
        sorted((folder / "compare").glob("*.html"))[0],
    ]
    for page in pages:
        probe = page.with_name(f"probe-{page.name}")
        probe.write_text(PHONE_PROBE.format(page=page.name))
        try:
            dumped = chromium("--allow-file-access-from-files", "--dump-dom", probe.as_uri()).stdout
        finally:
            probe.unlink()
        body = BeautifulSoup(dumped, "html.parser").body
        page_width, window = map(int, body["data-widths"].split())
        assert window == 390 and page_width <= window, (page.name, page_width, body["data-sticking-out"])
    page = site_page(tmp, "evalco__qa-model")
    probe = page.with_name("probe.html")
    probe.write_text(PHONE_PROBE.format(page=page.name))
    shot = tmp / "phone.png"
    chromium("--allow-file-access-from-files", "--window-size=500,900", f"--screenshot={shot}", probe.as_uri())
    probe.unlink()
    assert shot.stat().st_size > 10_000


def test_a_smaller_rerun_removes_the_pages_it_no_longer_writes(site, tmp_path):
    tmp, endpoint, db_file = site
    out = tmp_path / "site"
    assert hubcrawl("site", str(out), endpoint=endpoint, db=db_file).code == 0
    before = len(list((out / "artifacts").glob("*.html")))
    (out / "notes.txt").write_text("mine")
    smaller = hubcrawl("site", str(out), "--limit", "5", endpoint=endpoint, db=db_file)
    assert smaller.code == 0
    assert len(list((out / "artifacts").glob("*.html"))) == 5 < before
    assert "removed" in smaller.stdout
    links = {a["href"] for a in dom(out / "index.html").select("table.features a")}
    assert {f"artifacts/{p.name}" for p in (out / "artifacts").glob("*.html")} == links
    for compare_file in (out / "compare").glob("*.html"):
        assert any(f"../artifacts/{p.name}" in compare_file.read_text() for p in (out / "artifacts").glob("*.html"))
    assert (out / "notes.txt").read_text() == "mine"  # only pages are removed
