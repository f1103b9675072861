"""Full-text search over names, capabilities and card text (SQLite FTS5, bm25)."""

from __future__ import annotations

import sqlite_utils

CARD_TEXT_WEIGHT = 0.5  # a match in the card's own words counts half a match in its name or capabilities


def search_artifacts(db: sqlite_utils.Database, text: str, kind: str | None = None, limit: int = 20) -> list[dict]:
    """Full-text search over names, capabilities and card text, best first.

    Each FTS5 index gives its best matches by bm25 (`order by rank`, which FTS5 answers without
    ranking every row); an artifact's score is its names-and-capabilities score plus half its
    card-text score (higher is better). Snippets are made for the final hits only.
    """
    query = db.quote_fts(text)  # every word quoted: no FTS syntax reaches the index
    if not query.strip('" '):
        return []
    depth = limit * (20 if kind else 5)  # a kind filter discards candidates: look deeper
    scores: dict[int, float] = {}
    by_card: dict[int, int] = {}
    for rowid, rank in db.execute(
        "select rowid, rank from artifacts_fts where artifacts_fts match ? order by rank limit ?", [query, depth]
    ):
        scores[rowid] = -rank
    card_hits = db.execute(
        """select a.rowid, c.rowid, f.rank from (select rowid, rank from cards_fts where cards_fts match ? order by rank limit ?) f
           join cards c on c.rowid = f.rowid join artifacts a on a.id = c.artifact_id""",
        [query, depth],
    ).fetchall()
    for artifact_rowid, card_rowid, rank in card_hits:
        scores[artifact_rowid] = scores.get(artifact_rowid, 0.0) - rank * CARD_TEXT_WEIGHT
        by_card[artifact_rowid] = card_rowid
    hits = []
    for rowid in sorted(scores, key=lambda r: -scores[r]):
        [row] = db.execute("select kind, repo_id from artifacts where rowid = ?", [rowid]).fetchall()
        if kind and row[0] != kind:
            continue
        hits.append(
            {
                "kind": row[0],
                "repo_id": row[1],
                "score": round(scores[rowid], 4),
                "snippet": search_snippet(db, query, rowid, by_card.get(rowid)),
            }
        )
        if len(hits) == limit:
            break
    return hits


def search_snippet(db: sqlite_utils.Database, query: str, artifact_rowid: int, card_rowid: int | None) -> str:
    """The matching passage, from the names and capabilities if they match, else from the card."""
    for table, rowid in (("artifacts_fts", artifact_rowid), ("cards_fts", card_rowid)):
        if rowid is not None:
            row = db.execute(
                f"select snippet({table}, -1, '[', ']', '…', 16) from {table} where {table} match ? and rowid = ?",
                [query, rowid],
            ).fetchone()
            if row:
                return row[0]
    return ""
