"""Search in score order, in memory: matches read best-placed first, ordered by text and score."""

from __future__ import annotations

from hubcrawl.db import encode_row, save_search_order, search_artifacts
from hubcrawl.db.search import text_relevance, word_patterns


def add(db, repo_id: str, text: str, overall: float | None) -> None:
    db["artifacts"].insert(
        encode_row("artifacts", {"id": repo_id, "kind": "model", "repo_id": repo_id, "capability_text": text})
    )
    if overall is not None:
        db["scores"].insert({"artifact_id": repo_id, "kind": "model", "overall": overall})


def test_relevance_counts_word_forms_and_names():
    patterns = word_patterns(["answering", "questions"])
    assert text_relevance(patterns, "org/x", "Answers a question.") > 0
    assert text_relevance(patterns, "org/x", "an unrelated text") == 0
    # The same text scores higher when the name says it too; more mentions score higher, saturating.
    assert text_relevance(patterns, "org/question-answering", "answers questions") > text_relevance(
        patterns, "org/x", "answers questions"
    )
    once, thrice = (text_relevance(patterns, "o/x", "question answer " * n) for n in (1, 3))
    assert once < thrice < 3 * once


def test_ranked_matches_come_in_score_order_and_changed_text_is_still_found(memory_db):
    for i in range(30):
        add(memory_db, f"org/m{i:02d}", "extractive question answering over passages", overall=float(i))
    add(memory_db, "org/unranked", "extractive question answering", overall=None)
    assert save_search_order(memory_db) == 30
    hits = search_artifacts(memory_db, "question answering", limit=5)
    assert [h["repo_id"] for h in hits] == ["org/m29", "org/m28", "org/m27", "org/m26", "org/m25"]
    # Text changed since the rank: the search order's stale entry does not match, the full index does.
    with memory_db.conn:
        memory_db.execute("update artifacts set capability_text = 'zanzibar quokka' where id = 'org/m03'")
    assert [h["repo_id"] for h in search_artifacts(memory_db, "quokka")] == ["org/m03"]
    assert "org/m03" not in {h["repo_id"] for h in search_artifacts(memory_db, "extractive passages", limit=40)}
    # Not ranked yet: found by text when the places give too few.
    assert "org/unranked" in {h["repo_id"] for h in search_artifacts(memory_db, "extractive", limit=40)}
    # Words only the card holds: found through the card text index.
    memory_db["cards"].insert({"artifact_id": "org/m07", "body": "Trained on walrus vocalisations."})
    assert [h["repo_id"] for h in search_artifacts(memory_db, "walrus")] == ["org/m07"]
