"""Normalizer cases as folders a person can read and edit: `tests/fixtures/normalize/<case>/inputs/`
holds what the Hub answered (`record.json`, the API record; `README.md`, the card, when one came back;
`item.json`, the kind and the card's status; `files/`, config files fetched at the record's commit)
and `output.json` what the normalizer must make of it.

Only the keys `output.json` names are compared: a case states the facts it is about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "normalize"


def normalize_case(folder: Path) -> dict:
    inputs = folder / "inputs"
    meta = json.loads((inputs / "item.json").read_text())
    record = json.loads((inputs / "record.json").read_text())
    card = inputs / "README.md"
    item = ArtifactItem(
        kind=meta["kind"],
        repo_id=record["id"],
        record=record,
        fetched_at="2026-01-01T00:00:00Z",
        card_url="https://hub.test/card" if card.exists() else None,
        card_status=meta.get("card_status", 200) if card.exists() else None,
        card_body=card.read_bytes() if card.exists() else None,
    )
    files = {
        path.name: {"sha": record.get("sha"), "body": path.read_text(), "url": f"https://hub.test/{path.name}"}
        for path in sorted((inputs / "files").glob("*"))
    }
    normalized = normalize_artifact(item, files=files)
    return {
        "artifact": normalized.artifact,
        "card": normalized.card or {},
        "errors": [e["kind"] for e in normalized.errors],
        "capabilities": [c["aspect"] for c in normalized.capabilities],
    }


@pytest.mark.parametrize("folder", sorted(CASES.iterdir()), ids=lambda p: p.name)
def test_normalizer_case(folder):
    expected = json.loads((folder / "output.json").read_text())
    actual = normalize_case(folder)
    for part, wanted in expected.items():
        if isinstance(wanted, dict):
            got = {key: actual[part].get(key) for key in wanted}
            assert got == wanted, f"{folder.name}: {part}"
        else:
            assert actual[part] == wanted, f"{folder.name}: {part}"


def test_there_are_cases():
    assert len(list(CASES.iterdir())) >= 5
