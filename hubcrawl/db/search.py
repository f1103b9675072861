"""Full-text search over names, capabilities and card text (SQLite FTS5), best first by text and score.

FTS5 ranks every match before it returns the best (bm25 has no shortcut), which at a million artifacts
is a tenth of a second for a common word. So `hubcrawl rank` also writes `search_order` (every ranked
artifact's place, best overall score first) and `search_fts`, a compact index whose row ids are those
places: a search reads its matches best-placed first and stops after a few hundred, and only those are
ranked by text. Artifacts not yet ranked, or whose text changed since, are found by the full indexes
(`artifacts_fts`, `cards_fts`) when the places give too few hits.
"""

from __future__ import annotations

import re

import sqlite_utils

CARD_TEXT_WEIGHT = 0.5  # matching in the card's own words counts as half of one word matching the name
SEARCH = {
    "candidates": 300,  # matches read in score order: the best placed, ranked by text
    "text": 0.6,  # final score: this share from text relevance (bm25, relative to the best hit) …
    "score": 0.4,  # … and this share from the artifact's overall score (0-100, as a fraction)
}
WORD = re.compile(r"[^\W_]+")
STEM_ENDINGS = ("ations", "ation", "ings", "ing", "ers", "ies", "es", "ed", "er", "s")
BM25_K1, BM25_B = 1.2, 0.75  # bm25's usual saturation and length weight
TYPICAL_TEXT_CHARACTERS = 700  # capability texts run to about this long


def save_search_order(db: sqlite_utils.Database) -> int:
    """Rebuild `search_order` and `search_fts` from the scores (run by `hubcrawl rank`). Returns the places."""
    with db.atomic():
        db.execute("insert into search_fts(search_fts) values ('delete-all')")
        db.execute("delete from search_order")
        db.execute(
            """insert into search_order (place, artifact_id)
               select row_number() over (order by s.overall desc, s.artifact_id), s.artifact_id from scores s
               join artifacts a on a.id = s.artifact_id"""
        )
        db.execute(
            """insert into search_fts (rowid, repo_id, capability_text)
               select o.place, a.repo_id, a.capability_text from search_order o join artifacts a on a.id = o.artifact_id
               order by o.place"""
        )
    return db.execute("select count(*) from search_order").fetchone()[0]


def search_artifacts(db: sqlite_utils.Database, text: str, kind: str | None = None, limit: int = 20) -> list[dict]:
    """Artifacts matching every word of `text`, best first: how well their name and capabilities match,
    relative to the best hit, weighed with their overall score."""
    query = db.quote_fts(text)  # every word quoted: no FTS syntax reaches the index
    words = WORD.findall(text)
    if not query.strip('" ') or not words:
        return []
    depth = max(SEARCH["candidates"], limit * 10)
    candidates = placed_matches(db, " ".join(f'"{w}"' for w in words), kind, depth)
    in_cards: set[int] = set()
    if len(candidates) < limit:  # not ranked yet, or changed since: the full indexes, card text too
        in_names, in_cards = text_matches(db, query, depth)
        candidates |= in_names | in_cards
    rows = candidate_rows(db, candidates)
    patterns = word_patterns(words)
    relevance = {
        r["rowid"]: text_relevance(patterns, r["repo_id"] or "", r["capability_text"] or "")
        + (CARD_TEXT_WEIGHT if r["rowid"] in in_cards else 0.0)
        for r in rows
    }
    best = max(relevance.values(), default=0.0)
    hits = []
    for r in rows:
        # A place whose text changed since the rank may no longer hold the words: its current text decides.
        if relevance[r["rowid"]] <= 0 or (kind and r["kind"] != kind):
            continue
        score = SEARCH["text"] * relevance[r["rowid"]] / best + SEARCH["score"] * (r["overall"] or 0) / 100
        at = (r["rowid"], r["card_rowid"])
        hits.append({"kind": r["kind"], "repo_id": r["repo_id"], "score": round(score, 4), "_at": at})
    hits.sort(key=lambda h: (-h["score"], h["repo_id"]))
    for hit in hits[:limit]:
        hit["snippet"] = search_snippet(db, query, *hit.pop("_at"))
    return hits[:limit]


def word_stem(word: str) -> str:
    """A word without its commonest English ending, enough to match "answering" with "answers"."""
    word = word.lower()
    for ending in STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def word_patterns(words: list[str]) -> list[re.Pattern]:
    """One pattern per distinct query stem, matching the stem with any of the endings, as a whole word."""
    endings = "|".join(STEM_ENDINGS)
    stems = sorted({word_stem(w) for w in words})
    return [re.compile(rf"\b{re.escape(stem)}(?:{endings})?\b") for stem in stems]  # on lowercased text


def text_relevance(patterns: list[re.Pattern], name: str, text: str) -> float:
    """How well a name and capability text match the query words: each word's occurrences, saturating and
    against the text's length (as bm25 does), and a word in the name counts as much as a full text.

    Every candidate already matches every word (the index said so): this only orders them, in Python,
    over a few hundred short texts; FTS5's bm25 would first score every match in the index."""
    name, text = name.lower(), text.lower()
    length = len(text) / TYPICAL_TEXT_CHARACTERS
    score = 0.0
    for pattern in patterns:
        tf = len(pattern.findall(text))
        score += tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * length))
        score += 1.0 if pattern.search(name) else 0.0
    return score


def placed_matches(db: sqlite_utils.Database, words: str, kind: str | None, depth: int) -> set[int]:
    """Artifact rowids of the best placed matches (every word, in names or capabilities)."""
    where, params = ("and a.kind = ?", [kind]) if kind else ("", [])
    rows = db.execute(
        f"""select a.rowid from search_fts f join search_order o on o.place = f.rowid
            join artifacts a on a.id = o.artifact_id
            where search_fts match ? {where} order by f.rowid limit ?""",
        [words, *params, depth],
    ).fetchall()
    return {r[0] for r in rows}


def text_matches(db: sqlite_utils.Database, query: str, depth: int) -> tuple[set[int], set[int]]:
    """Artifact rowids of the best matches by text alone (bm25 over every match of both indexes): in names
    and capabilities, and in card text."""
    in_names = {
        r[0]
        for r in db.execute(
            "select rowid from artifacts_fts where artifacts_fts match ? order by rank limit ?", [query, depth]
        )
    }
    in_cards = {
        r[0]
        for r in db.execute(
            """select a.rowid from (select rowid from cards_fts where cards_fts match ? order by rank limit ?) f
               join cards c on c.rowid = f.rowid join artifacts a on a.id = c.artifact_id""",
            [query, depth],
        )
    }
    return in_names, in_cards


def candidate_rows(db: sqlite_utils.Database, rowids: set[int]) -> list[dict]:
    """What ranking and showing the candidates needs, in one read: name, capability text, kind, score, card."""
    ids = sorted(rowids)
    if not ids:
        return []
    sql = f"""select a.rowid as rowid, a.kind, a.repo_id, a.capability_text, s.overall, c.rowid as card_rowid
              from artifacts a left join scores s on s.artifact_id = a.id left join cards c on c.artifact_id = a.id
              where a.rowid in ({", ".join("?" * len(ids))})"""
    return list(db.query(sql, ids))


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
