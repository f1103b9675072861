"""Comparison records from an in-memory database: peers, lines, verdicts, what is stored, when a
stored record still stands."""

from __future__ import annotations

import json

import pytest

from hubcrawl.crawler.compare import LINE_MAKERS, Comparator, pairs_for_all, render_markdown, verdict
from hubcrawl.crawler.ranking import METHOD, PARTS, rank
from hubcrawl.db import DatabaseError, save_comparisons
from tests.conftest import FEATURE_ROWS
from tests.unit.conftest import record, store

QA_CARD = b"""---
license: apache-2.0
pipeline_tag: question-answering
datasets: [squad]
---
# Reader

An extractive reader that marks the answer span in a passage.

## Intended uses

Answering questions over short passages.

## Limitations

Passages longer than 384 tokens are cut.
"""


@pytest.fixture
def ranked(memory_db):
    """Three question-answering models of different adoption, and one translation model on its own."""
    for name, downloads in (("org/qa-big", 5000), ("org/qa-mid", 300), ("org/qa-small", 2)):
        rec = record(name, downloads=downloads, pipeline_tag="question-answering", tags=["license:apache-2.0"])
        store(memory_db, "model", rec, card=QA_CARD)
    store(memory_db, "model", record("org/translate", pipeline_tag="translation", downloads=40))
    rank(memory_db)
    return memory_db


def test_a_record_has_its_features_both_sides_and_a_verdict_that_agrees_with_the_scores(ranked):
    comparator = Comparator(ranked)
    rec = comparator.record("org/qa-big", "org/qa-small")
    sa, sb = comparator.scores["org/qa-big"], comparator.scores["org/qa-small"]
    assert rec["title"] == "org/qa-big vs org/qa-small"
    assert [f["name"] for f in rec["features"]] == FEATURE_ROWS
    parts = {f["key"]: f for f in rec["features"] if "key" in f}
    assert set(parts) == set(PARTS)
    for part, row in parts.items():
        assert (row["a_value"], row["b_value"]) == (sa[part], sb[part])
    assert sa["overall"] > sb["overall"] and rec["verdict"].startswith("org/qa-big scores higher")
    stored = ranked.execute("select count(*) from capabilities where artifact_id = 'org/qa-big'").fetchone()[0]
    assert len(rec["capabilities"]["a"]) == stored == comparator.count("org/qa-big")
    # What `comparisons` stores counts the sides instead of holding them: the same counts, the same features.
    slim = comparator.record("org/qa-big", "org/qa-small", capabilities=False)
    assert "capabilities" not in slim and slim["features"] == rec["features"] and slim["summary"] == rec["summary"]


def test_every_capability_line_counts_the_peers_of_its_own_task(ranked):
    comparator = Comparator(ranked)
    for cap in comparator.side("org/qa-mid"):
        assert cap["basis"]["peers"] == 2, cap  # the two other question-answering models
        assert not cap["unique"] or cap["unique"] != cap["vs_alternatives"]  # two lines never say the same thing
    alone = comparator.side("org/translate")
    assert alone and all(c["unique"] == "No other translation model is in the database to compare with." for c in alone)
    assert all(c["vs_alternatives"] is None for c in alone)


def test_lines_with_nothing_distinctive_are_left_out_and_the_rest_name_peers(memory_db):
    """Documenting limitations when every peer does is no Unique line; the peers nearest in downloads that
    do not document them are named; a dataset no peer trains on is Unique; sharers are named."""
    bare = b"---\nlicense: mit\npipeline_tag: question-answering\n---\n# Bare\n\nA reader of passages for answers.\n"
    downloads = {"org/qa-a": 900, "org/qa-b": 800, "org/qa-c": 700, "org/qa-d": 600, "org/qa-e": 500}
    for name, n in downloads.items():
        rec = record(name, downloads=n, pipeline_tag="question-answering", tags=["license:apache-2.0"])
        store(memory_db, "model", rec, card=QA_CARD if name in ("org/qa-a", "org/qa-b") else bare)
    rank(memory_db)
    side = {c["aspect"]: c for c in Comparator(memory_db).side("org/qa-a")}
    limits = side["limitations"]
    assert limits["unique"] == "Documents limitations; 1 of the 4 peers (25%) does."
    assert limits["vs_alternatives"] == (
        "Of its nearest alternatives by downloads, org/qa-c, org/qa-d and org/qa-e document no limitations."
    )
    markdown = render_markdown(Comparator(memory_db).record("org/qa-a", "org/qa-b"))
    assert "None" not in markdown


def test_training_data_lines_name_the_peers_that_share_it(memory_db):
    card = b"---\npipeline_tag: question-answering\ndatasets: [%s]\n---\n# R\n\n## Training\n\nThe model was trained for 3 epochs on 8 GPUs.\n"
    for name, n, data in (("org/a", 9, b"squad, harbour-notes"), ("org/b", 5, b"squad"), ("org/c", 1, b"squad")):
        store(memory_db, "model", record(name, downloads=n, pipeline_tag="question-answering"), card=card % data)
    rank(memory_db)
    (training,) = [c for c in Comparator(memory_db).side("org/a") if c["aspect"] == "training_data"]
    assert training["unique"] == "No other question-answering model lists harbour-notes as training data."
    assert training["vs_alternatives"] == (
        "Both peers also list squad as training data, the most downloaded being org/b and org/c."
    )


def test_every_aspect_has_one_line_maker():
    assert all(callable(maker) for maker in LINE_MAKERS.values())


def test_a_stored_record_stands_until_a_side_changes_and_is_counted_once(ranked):
    comparator = Comparator(ranked)
    pairs = [("org/qa-big", "org/qa-mid")]
    matched = comparator.times_matched_after(pairs)
    assert matched["org/qa-big"] == 1
    save_comparisons(ranked, [comparator.stored_row(comparator.record(*pairs[0], matched))])

    again = Comparator(ranked)
    assert again.is_current(*pairs[0])
    assert again.times_matched_after(pairs)["org/qa-big"] == 1  # already stored: not counted twice
    ranked["artifacts"].update("org/qa-mid", {"sha": "f" * 40})
    assert not Comparator(ranked).is_current(*pairs[0])


def test_a_record_is_stored_once_and_read_back_whole_from_the_view(ranked):
    comparator = Comparator(ranked)
    pairs = [("org/qa-big", "org/qa-mid"), ("org/qa-mid", "org/qa-small")]
    records = [comparator.record(*pair) for pair in pairs]
    sides = [comparator.side_row(i) for i in ("org/qa-big", "org/qa-mid", "org/qa-small")]
    save_comparisons(ranked, [comparator.stored_row(r) for r in records], sides)
    row = ranked["comparisons"].get("org/qa-mid|org/qa-small")
    assert "capabilities" not in json.loads(row["record"])  # each side's lines are stored once, not per record
    assert row["method_version"] == METHOD["version"]
    # org/qa-mid is in both records and has one side row; the view gives each record back whole.
    assert ranked["comparison_sides"].count == 3
    whole = {r["id"]: json.loads(r["record"]) for r in ranked.query("select id, record from comparison_records")}
    for rec in records:
        back = whole[f"{rec['a']['id']}|{rec['b']['id']}"]
        assert back == json.loads(json.dumps(rec))
        assert render_markdown(back) == render_markdown(rec)


def test_a_record_needs_scores(memory_db):
    store(memory_db, "model", record("org/a"))
    store(memory_db, "model", record("org/b"))
    with pytest.raises(DatabaseError, match="hubcrawl rank"):
        Comparator(memory_db).record("org/a", "org/b")


def test_pairs_are_unordered_and_each_artifact_keeps_its_strongest_neighbours(ranked):
    pairs = pairs_for_all(ranked, per_artifact=1)
    assert pairs == sorted(set(pairs)) and all(a < b for a, b in pairs)
    assert {a for pair in pairs for a in pair} <= {r["id"] for r in ranked["artifacts"].rows}


def test_the_verdict_names_the_part_that_decided_the_gap():
    sa = {"overall": 60.0, "adoption": 0.9, "quality": 0.5, "ecosystem": 0.5, "match_graph": 0.5}
    sb = {"overall": 40.0, "adoption": 0.1, "quality": 0.6, "ecosystem": 0.5, "match_graph": 0.5}
    text = verdict("a", "b", sa, sb)
    assert text.startswith("a scores higher at 60/100 vs b at 40/100.")
    assert "a leads on adoption, while b is stronger on quality." in text
    # Each part's signed contribution in points: 100 × its weight (METHOD) × the difference.
    assert "(a minus b, in points): adoption +28.0, quality −3.0, ecosystem 0.0, match graph 0.0." in text
    tie = verdict("a", "b", dict(sa, overall=50.0), dict(sa, overall=50.0))
    assert tie.startswith("a and b tie at 50/100.") and "level on every part" in tie


def test_architecture_lines_measure_a_config_against_the_peers_configs(memory_db):
    def config(layers, hidden, kv_heads, positions):
        return json.dumps(
            {
                "num_hidden_layers": layers,
                "hidden_size": hidden,
                "num_attention_heads": 32,
                "num_key_value_heads": kv_heads,
                "max_position_embeddings": positions,
            }
        )

    for name, shape in (
        ("org/gqa", (32, 4096, 8, 32768)),
        ("org/mha", (32, 4096, 32, 4096)),
        ("org/small", (12, 768, 12, 2048)),
    ):
        rec = record(name, pipeline_tag="text-generation")
        store(memory_db, "model", rec, files={"config.json": config(*shape)})
    rank(memory_db)
    comparator = Comparator(memory_db)
    (arch,) = [c for c in comparator.side("org/gqa") if c["aspect"] == "architecture"]
    assert arch["vs_alternatives"] == (
        "32 layers vs a median of 22 over 2 peers; hidden size 4,096 vs a median of 2,432 over 2 peers; "
        "8 key/value heads vs a median of 22 over 2 peers (config.json)."
    )
    assert arch["basis"]["architecture"]["kv_heads"] == {"value": 8, "peer_median": 22.0, "peers": 2}
    assert arch["basis"]["value"] == 32768 and arch["basis"]["peers"] == 2  # its context against the others'
    row = next(f for f in comparator.record("org/gqa", "org/small")["features"] if f["name"] == "Architecture")
    assert (row["a"], row["b"]) == (
        "32 layers, hidden 4,096, 32 heads, 8 KV heads, 32,768 positions",
        "12 layers, hidden 768, 32 heads, 12 KV heads, 2,048 positions",
    )


def test_alternatives_are_named_with_their_measured_values(ranked):
    comparator = Comparator(ranked)
    (task,) = [c for c in comparator.side("org/qa-mid") if c["aspect"] == "task"]
    # The two other question-answering models, closest in downloads first, each with its count.
    assert task["vs_alternatives"] == (
        "300 downloads in the last 30 days, against 2 for org/qa-small, 5,000 for org/qa-big "
        "(the question-answering models nearest in downloads; peer median 2,501 over 2 peers)."
    )
    assert task["basis"]["nearest"] == [(2, "org/qa-small"), (5000, "org/qa-big")]


def test_nearest_leaves_the_artifact_itself_out_and_prefers_the_closest():
    from hubcrawl.crawler.peers import nearest

    holders = [(1, "a"), (10, "b"), (12, "me"), (13, "c"), (40, "d")]
    assert nearest(holders, 12, "me") == [(13, "c"), (10, "b")]
    assert nearest(holders, 12, "me", k=1) == [(13, "c")]
    assert nearest([(12, "me")], 12, "me") == []


def test_result_lines_measure_the_capabilitys_own_dataset_and_metric_and_name_the_nearest(memory_db):
    def card(f1: float) -> bytes:
        return (
            "---\npipeline_tag: token-classification\nmodel-index:\n- name: x\n  results:\n  - task: {type: ner}\n"
            f"    dataset: {{name: Harbour NER, type: harbour-ner, split: test}}\n    metrics:\n    - {{type: f1, value: {f1}}}\n"
            "---\n# Tagger\n\nA tagger of harbour names.\n"
        ).encode()

    for name, f1 in (("org/tag-a", 0.91), ("org/tag-b", 0.88), ("org/tag-c", 0.80)):
        store(memory_db, "model", record(name, pipeline_tag="token-classification"), card=card(f1))
    rank(memory_db)
    (results,) = [c for c in Comparator(memory_db).side("org/tag-b") if c["aspect"] == "evals"]
    assert results["unique"] == "f1 0.88 on harbour-ner: above 1 of the 2 peers that report it."
    assert results["vs_alternatives"] == (
        "f1 0.88 vs a peer median of 0.855 on the same dataset and metric; nearest: 0.91 for org/tag-a, 0.8 for org/tag-c."
    )
    assert "evidence" not in results  # a side carries its lines, not the evidence again
