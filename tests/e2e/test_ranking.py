"""Ranking and comparison records on a database crawled from the stand-in (real-world cards included):
complete records, verdicts that agree with the scores, and every peer number recomputed from SQL."""

from __future__ import annotations

import json
import re
from statistics import median

import pytest
import sqlite_utils

from hubcrawl.crawler.ranking import METHOD, rank
from hubcrawl.db import encode_row, ensure_schema
from tests.conftest import FEATURE_ROWS, REALWORLD, hubcrawl
from tests.hubstub import StubHub, make_hub, realworld_repos

PAIR = "datasets/org01/dataset-00001|org01/model-00001"  # a stored pair: its ids in sorted order


@pytest.fixture(scope="module")
def ranked_db(tmp_path_factory):
    data = make_hub(150, 40)
    if (REALWORLD / "cards").is_dir():
        for repo in realworld_repos(REALWORLD):
            data.add(repo)
    db_file = tmp_path_factory.mktemp("ranked") / "hub.db"
    with StubHub(data) as hub:
        for what in ("models", "datasets"):
            assert hubcrawl("crawl", what, endpoint=hub.url, db=db_file).code == 0
        result = hubcrawl("rank", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        result = hubcrawl("compare", "--all", "--per-artifact", "3", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        yield hub, db_file


def query(db_file, sql, params=()):
    return [dict(r) for r in sqlite_utils.Database(db_file).query(sql, params)]


def records(db_file):
    return [json.loads(r["record"]) for r in query(db_file, "select record from comparison_records")]


def test_every_artifact_is_scored_within_range(ranked_db):
    _, db_file = ranked_db
    scores = query(db_file, "select * from scores")
    assert len(scores) == query(db_file, "select count(*) as n from artifacts")[0]["n"]
    for s in scores:
        assert 0 <= s["overall"] <= 100 and s["method_version"] == METHOD["version"]
        parts = {p: s[p] for p in ("adoption", "quality", "ecosystem", "match_graph")}
        assert all(0 <= v <= 1 for v in parts.values())
        assert s["overall"] == pytest.approx(100 * sum(METHOD["weights"][p] * v for p, v in parts.items()), abs=0.06)


def test_ranking_is_deterministic(ranked_db):
    hub, db_file = ranked_db
    before = query(
        db_file,
        "select artifact_id, overall, adoption, quality, ecosystem, match_graph from scores order by artifact_id",
    )
    edges = query(db_file, "select * from edges order by source, target, kind")
    assert hubcrawl("rank", endpoint=hub.url, db=db_file).code == 0
    assert (
        query(
            db_file,
            "select artifact_id, overall, adoption, quality, ecosystem, match_graph from scores order by artifact_id",
        )
        == before
    )
    assert query(db_file, "select * from edges order by source, target, kind") == edges


def test_match_graph_links_models_to_their_datasets_and_similar_peers(ranked_db):
    _, db_file = ranked_db
    kinds = {r["kind"] for r in query(db_file, "select distinct kind from edges")}
    assert {"trained_on", "similar"} <= kinds
    bad = query(
        db_file,
        """select e.* from edges e join artifacts a on a.id = e.source join artifacts b on b.id = e.target
                            where e.kind = 'similar' and (a.kind != b.kind or a.task is not b.task)""",
    )
    assert bad == []
    if (REALWORLD / "cards").is_dir():  # real cards name real datasets, by legacy ids too
        trained = {(r["source"], r["target"]) for r in query(db_file, "select * from edges where kind = 'trained_on'")}
        assert ("dslim/bert-base-NER", "datasets/eriktks/conll2003") in trained
        assert ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "datasets/nyu-mll/glue") in trained


def test_records_are_complete_and_verdicts_agree_with_scores(ranked_db):
    _, db_file = ranked_db
    all_records = records(db_file)
    assert len(all_records) > 100
    scores = {r["artifact_id"]: r for r in query(db_file, "select * from scores")}
    caps = {}
    for r in query(db_file, "select artifact_id, count(*) as n from capabilities group by artifact_id"):
        caps[r["artifact_id"]] = r["n"]
    times = {}
    for r in query(db_file, "select a_id, b_id from comparisons"):
        times[r["a_id"]] = times.get(r["a_id"], 0) + 1
        times[r["b_id"]] = times.get(r["b_id"], 0) + 1
    for rec in all_records:
        a, b = rec["a"]["id"], rec["b"]["id"]
        features = {f["name"]: f for f in rec["features"]}
        assert list(features) == FEATURE_ROWS
        assert features["Score"]["a"] == f"{scores[a]['overall']:g}/100"
        assert features["Capabilities"]["a"] == f"{caps.get(a, 0)} decomposed"
        assert (features["Times Matched"]["a"], features["Times Matched"]["b"]) == (times[a], times[b])
        assert len(rec["capabilities"]["a"]) == caps.get(a, 0) and len(rec["capabilities"]["b"]) == caps.get(b, 0)
        for part, label in (
            ("adoption", "Adoption"),
            ("quality", "Quality"),
            ("ecosystem", "Ecosystem"),
            ("match_graph", "Match Graph"),
        ):
            assert features[label]["a"] == f"{scores[a][part]:.2f}"  # the value, as the chart shows it
        winner = rec["a"]["repo_id"] if scores[a]["overall"] > scores[b]["overall"] else rec["b"]["repo_id"]
        if scores[a]["overall"] != scores[b]["overall"]:
            assert rec["verdict"].startswith(f"{winner} scores higher at")
        for part, label in (("adoption", "adoption"), ("quality", "quality"), ("ecosystem", "ecosystem")):
            if scores[a][part] > scores[b][part]:
                assert re.search(rf"{re.escape(rec['a']['repo_id'])} leads on [^.]*{label}", rec["verdict"])


def peers(db_file, artifact_id):
    [me] = query(db_file, "select kind, task from artifacts where id = ?", [artifact_id])
    return query(
        db_file,
        "select * from artifacts where kind = ? and task is ? and id != ?",
        [me["kind"], me["task"], artifact_id],
    )


def test_every_peer_number_recomputes_from_the_database(ranked_db):
    _, db_file = ranked_db
    checked = 0
    for rec in records(db_file)[:150]:
        for side in ("a", "b"):
            me_id = rec[side]["id"]
            [me] = query(db_file, "select * from artifacts where id = ?", [me_id])
            others = peers(db_file, me_id)
            for cap in rec["capabilities"][side]:
                basis = cap["basis"]
                assert basis["peers"] <= len(others)
                measure = basis.get("measure")
                if measure == "downloads":
                    values = [o["downloads"] or 0 for o in others]
                    assert basis["peer_median"] == median(values)
                    assert basis["rank"] == 1 + sum(v > (me["downloads"] or 0) for v in values)
                elif measure in ("parameters", "rows") and basis["peers"]:
                    values = [o[measure] for o in others if o[measure]]
                    assert (basis["peer_median"], basis["peers"]) == (median(values), len(values))
                    assert basis["share_below"] == round(100 * sum(v < me[measure] for v in values) / len(values))
                elif measure in ("languages", "configs") and basis["peers"]:
                    values = [len(json.loads(o[measure] or "[]")) for o in others]
                    assert basis["peer_median"] == median(values)
                elif measure == "formats":
                    lists = [json.loads(o["formats"] or "[]") for o in others]
                    assert basis["peers_with"] == sum(basis["format"] in formats for formats in lists)
                    assert basis["peer_median"] == median(len(formats) for formats in lists)
                elif measure == "card_section":
                    assert basis["peers_with"] == sum(
                        basis["section"] in json.loads(o["card_sections"] or "[]") for o in others
                    )
                elif measure in ("datasets", "base_models"):
                    assert basis["peers_with"] == sum(basis["name"] in json.loads(o[measure] or "[]") for o in others)
                elif measure == "eval" and basis["peers"]:
                    values = []
                    for o in others:
                        first = query(
                            db_file,
                            "select value from eval_results where artifact_id = ? and dataset = ? and metric = ? "
                            "and coalesce(split, '') != 'train' order by id limit 1",
                            [o["id"], basis["dataset"], basis["metric"]],
                        )
                        values += [first[0]["value"]] if first else []
                    assert basis["peer_median"] == median(values) and basis["peers_below"] == sum(
                        v < basis["value"] for v in values
                    )
                if "share" in basis:
                    assert basis["share"] == round(100 * basis["peers_with"] / basis["peers"])
                # The numbers the lines print are the basis numbers.
                shown = (
                    json.dumps(basis)
                    + " "
                    + " ".join(
                        f"{v:,}" if isinstance(v, int) else f"{v:,.1f} {v:.4g}"
                        for v in basis.values()
                        if isinstance(v, (int, float))
                    )
                )
                lines = f"{cap['unique'] or ''} {cap['vs_alternatives'] or ''}"
                for number in re.findall(r"\d[\d,]*(?:\.\d+)?", lines):
                    assert number in shown or number.replace(",", "") in shown, (number, cap)
                checked += 1
    assert checked > 300


def test_compare_two_artifacts_json_and_markdown(ranked_db):
    hub, db_file = ranked_db
    result = hubcrawl(
        "compare", "org01/model-00001", "datasets/org01/dataset-00001", "--format", "json", endpoint=hub.url, db=db_file
    )
    assert result.code == 0, result.stderr
    rec = json.loads(result.stdout)
    assert set(rec) >= {"title", "summary", "a", "b", "features", "capabilities", "verdict"}
    assert rec["title"] == "org01/model-00001 vs org01/dataset-00001"
    assert [f["name"] for f in rec["features"]] == FEATURE_ROWS
    md = hubcrawl("compare", "org01/model-00001", "datasets/org01/dataset-00001", endpoint=hub.url, db=db_file).stdout
    assert md.startswith("# org01/model-00001 vs org01/dataset-00001") and "## Verdict" in md and "**Unique:**" in md
    # One stored record per unordered pair, whichever way it was asked; Times Matched does not count calls.
    stored = query(db_file, f"select * from comparisons where id = '{PAIR}'")
    assert stored and stored[0]["title"] == "org01/dataset-00001 vs org01/model-00001"
    records = query(db_file, "select count(*) as n from comparisons")[0]["n"]
    reverse = hubcrawl(
        "compare", "datasets/org01/dataset-00001", "org01/model-00001", "--format", "json", endpoint=hub.url, db=db_file
    )
    assert query(db_file, "select count(*) as n from comparisons")[0]["n"] == records
    matched = {f["name"]: f for f in json.loads(reverse.stdout)["features"]}["Times Matched"]
    first = {f["name"]: f for f in rec["features"]}["Times Matched"]
    assert (matched["b"], matched["a"]) == (first["a"], first["b"])


def test_records_are_re_emitted_when_a_side_changes(ranked_db):
    hub, db_file = ranked_db
    [pair] = query(db_file, "select id, a_id, created_at from comparisons where id not like '%dataset-00001' limit 1")
    unchanged = hubcrawl("compare", "--all", "--per-artifact", "3", endpoint=hub.url, db=db_file).stdout
    assert " 0 records written" in unchanged
    db = sqlite_utils.Database(db_file)
    with db.conn:
        db.execute("update artifacts set sha = 'changed' where id = ?", [pair["a_id"]])
    result = hubcrawl("compare", "--all", "--per-artifact", "3", endpoint=hub.url, db=db_file)
    written = int(re.search(r"(\d+) records written", result.stdout).group(1))
    involving = query(
        db_file,
        f"select count(*) as n from comparisons where (a_id = ? or b_id = ?) and id != '{PAIR}'",
        [pair["a_id"], pair["a_id"]],
    )[0]["n"]
    assert written == involving > 0


def long_tail_artifact(i):
    return {
        "id": f"tail/{i}",
        "kind": "model",
        "task": None,
        "downloads": 0,
        "likes": 0,
        "spaces": 0,
        "children": 0,
        "libraries": [],
        "formats": [],
        "inference": None,
        "card_length": 0,
        "card_sections": [],
        "has_license": 0,
        "eval_count": 0,
        "rows": None,
        "parameters": None,
        "languages": [],
        "errors": [],
        "card_validation_errors": [],
    }


def artifact(i, **changes):
    a = long_tail_artifact(i)
    a.update(
        id=f"m/{i}",
        task="text-classification",
        downloads=10 ** (i % 6),
        likes=i,
        libraries=["transformers"],
        formats=["PyTorch"],
        card_length=500 + i,
        card_sections=["description"],
        has_license=1,
    )
    a.update(changes)
    return a


def scores_by_id(artifacts):
    """Scores of these artifacts alone, ranked in a database in memory."""
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    db["artifacts"].insert_all(encode_row("artifacts", dict(a, repo_id=a["id"])) for a in artifacts)
    rank(db)
    return {s["artifact_id"]: s for s in db["scores"].rows}


def test_the_long_tail_does_not_distort_the_scale():
    real = [artifact(i) for i in range(200)]
    before = scores_by_id(real)
    after = scores_by_id(real + [long_tail_artifact(i) for i in range(5000)])
    assert all(after[a["id"]]["adoption"] == before[a["id"]]["adoption"] for a in real)
    assert all(after[f"tail/{i}"]["adoption"] == 0 for i in range(5000))


def test_score_direction_follows_the_data():
    base = [artifact(i) for i in range(50)]
    ref = scores_by_id(base)["m/7"]
    more_downloads = scores_by_id([a if a["id"] != "m/7" else artifact(7, downloads=10**6) for a in base])["m/7"]
    assert more_downloads["adoption"] > ref["adoption"] and more_downloads["overall"] > ref["overall"]
    no_license = scores_by_id([a if a["id"] != "m/7" else artifact(7, has_license=0) for a in base])["m/7"]
    assert no_license["quality"] < ref["quality"]
    broken = scores_by_id([a if a["id"] != "m/7" else artifact(7, errors=[{"kind": "card_yaml"}]) for a in base])["m/7"]
    assert broken["quality"] < ref["quality"]
    more_formats = scores_by_id(
        [a if a["id"] != "m/7" else artifact(7, formats=["PyTorch", "ONNX", "GGUF"]) for a in base]
    )["m/7"]
    assert more_formats["ecosystem"] > ref["ecosystem"]


def test_every_capability_aspect_has_its_own_line_maker():
    import pytest

    from hubcrawl.crawler.capabilities import ASPECTS, capability
    from hubcrawl.crawler.compare import LINE_MAKERS, Comparator

    assert set(LINE_MAKERS) == set(ASPECTS)
    assert all(LINE_MAKERS[a] is not Comparator.lines_task for a in ASPECTS if a != "task")
    with pytest.raises(ValueError, match="unknown capability aspect"):
        capability("t", "text", [], "made_up")
