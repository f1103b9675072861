"""What a careful reader of each real card expects its record to say, as data: one folder per card in
`tests/fixtures/records/<card>/` (`inputs/source.json` names the card in ../shared/realworld and its Hub id;
`output.json` lists the facts), and a whole comparison set built from every real card, grepped for the
faults users reported. The cards are read where they lie; nothing of their prose is copied here."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from hubcrawl.crawler.compare import Comparator, pairs_for_all, render_markdown
from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from hubcrawl.crawler.ranking import rank
from hubcrawl.db import save_artifacts
from tests.conftest import REALWORLD
from tests.unit.test_capabilities import assert_grounded

CASES_DIR = Path(__file__).parent.parent / "fixtures" / "records"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
HAVE_REALWORLD = (REALWORLD / "cards").is_dir()
pytestmark = pytest.mark.skipif(not HAVE_REALWORLD, reason="../shared/realworld is not beside this checkout")


def source_of(case: Path) -> dict:
    return json.loads((case / "inputs" / "source.json").read_text())


def item_for(source: dict, **record) -> ArtifactItem:
    card = REALWORLD / source["card"]
    return ArtifactItem(
        kind=source["kind"],
        repo_id=source["id"],
        record=dict(record, id=source["id"]) if record else None,
        fetched_at="2026-01-01T00:00:00Z",
        card_url=f"https://hub.example/{source['id']}/README.md",
        card_status=200,
        card_body=card.read_bytes(),
    )


def every_real_card() -> list[Path]:
    return sorted((REALWORLD / "cards").glob("*.md")) + sorted((REALWORLD / "more" / "cards").glob("*.md"))


def test_every_real_card_has_a_case():
    named = {source_of(case)["card"] for case in CASES}
    missing = [str(p.relative_to(REALWORLD)) for p in every_real_card() if str(p.relative_to(REALWORLD)) not in named]
    assert not missing, f"cards without a case folder: {missing}"


def phrase_in(phrase: str, text: str) -> bool:
    return phrase.lower() in text.lower()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_the_record_says_what_a_reader_of_the_card_would(case: Path):
    expected = json.loads((case / "output.json").read_text())
    normalized = normalize_artifact(item_for(source_of(case)))
    artifact, capabilities = normalized.artifact, normalized.capabilities
    text = "\n".join(c["title"] + ". " + c["text"] for c in capabilities)
    for name, value in expected.get("artifact", {}).items():
        assert artifact[name] == value, (name, artifact[name])
    facts = {f["fact"]: f["value"] for f in artifact["card_facts"] if f["fact"] != "objective"}
    for name, value in expected.get("card_facts", {}).items():
        assert facts.get(name) == value, (name, facts)
    for wanted in expected.get("eval_results", []):
        assert any(all(e[k] == v for k, v in wanted.items()) for e in normalized.eval_results), (
            wanted,
            normalized.eval_results,
        )
    for phrase in expected.get("says", []):
        assert phrase_in(phrase, text), f"{case.name}: the record does not say {phrase!r}:\n{text}"
    for phrase in expected.get("never_says", []):
        assert not phrase_in(phrase, text), f"{case.name}: the record says {phrase!r}:\n{text}"
    for aspect in expected.get("aspects", []):
        assert aspect in [c["aspect"] for c in capabilities], (aspect, [c["aspect"] for c in capabilities])
    if "capabilities" in expected:  # a card that says nothing (front matter only) gets nothing
        assert len(capabilities) == expected["capabilities"]
    else:
        assert 0 < len(capabilities) <= 8, len(capabilities)
    assert_grounded(capabilities)


# The faults users found in records, as patterns no record may contain (issue "Records that say what a
# careful reader of the card would say").
FAULTS = {
    "a plural after one": r"\b1 (?:formats|languages|peers|configurations|labels|parameters|rows|downloads)\b",
    "a plural subject with a singular verb": r"\bmodels reports\b|\bdatasets reports\b",
    "a share over 100%": r"\b(?:more than|above) (?:1\d\d|[2-9]\d\d)%",
    "a share of 0%": r"\bmore than 0%",
    "a rank among one": r"\babove 1 of the 1 peers\b",
    "nested provenance": r"\(page \(",
    "a quote cut at an abbreviation": r"\bet al\.”",
    "points out of a score below them": r"of the 1\.0 points",
    "an inherited architecture": r"inherits that model's architecture",
    "a popularity rank as Unique": r"\*\*Unique:\*\* Ranks \d",
    "a share of peers as Unique": r"\*\*Unique:\*\* Documents [^;]*, as \d+ of",
    "a share of peers as vs alternatives": r"% of [\w -]+ have a card section",
    "a missing value": r"\bNone\b",
    "a doubled word": r"\b(other|the|of|a) \1\b",
    "a how-to as description": r"Using llama\.cpp release|The usage is easy|can be found at this address",
    "a placeholder": r"More Information Needed",
    "a boilerplate limitation": r"Significant research has explored",
}


@pytest.fixture(scope="module")
def realworld_records(tmp_path_factory) -> list[dict]:
    """Every real card as an artifact (counters made up, deterministic), ranked, each with its strongest
    neighbours compared: the realworld comparison set."""
    from hubcrawl.db import open_db

    db = open_db(tmp_path_factory.mktemp("realworld") / "hub.db", create=True)
    rng = random.Random(11)
    batch = []
    for case in CASES:
        source = source_of(case)
        downloads, likes = rng.randrange(100, 2_000_000), rng.randrange(0, 5_000)
        item = item_for(source, downloads=downloads, likes=likes, sha=f"{rng.getrandbits(160):040x}")
        batch.append(normalize_artifact(item).rows())
    save_artifacts(db, batch)
    rank(db)
    comparator = Comparator(db)
    pairs = pairs_for_all(db, 3)
    matched = comparator.times_matched_after(pairs)
    return [comparator.record(a, b, matched) for a, b in pairs]


def test_the_realworld_comparison_set_has_none_of_the_reported_faults(realworld_records):
    assert len(realworld_records) > 30
    for record in realworld_records:
        markdown = render_markdown(record)
        for fault, pattern in FAULTS.items():
            found = re.search(pattern, markdown)
            assert found is None, (
                f"{record['title']}: {fault}: …{markdown[max(0, found.start() - 80) : found.end() + 80]}…"
            )
        for side in ("a", "b"):
            for cap in record["capabilities"][side]:
                assert not cap["unique"] or cap["unique"] != cap["vs_alternatives"], cap
        values = {f["name"]: (f["a"], f["b"]) for f in record["features"]}
        # The table shows each part's value, not who leads.
        assert all(re.fullmatch(r"\d\.\d\d", v) for name in ("Adoption", "Quality") for v in values[name])
