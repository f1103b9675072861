"""The incremental component: what earlier runs stored, as the spiders need it to decide what to fetch.

Spiders navigate; this answers from the database where a pass may stop listing (the high-water
mark of the last complete pass, less a margin for clock skew), which stored cards are still
current, which pages are due, and whether a pass has earned a new mark. Figures go to the stats
under `hubcrawl/incremental/*`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hubcrawl.crawler.clock import iso_z, now_iso, parse_iso
from hubcrawl.crawler.config import db_path
from hubcrawl.crawler.runs import run_report
from hubcrawl.db import (
    artifacts_for_pages,
    close_db,
    get_watermark,
    models_for_details,
    open_db,
    save_watermark,
    stored_states,
)

# A card fetch that ended in one of these is settled while the repo's commit stays the same.
SETTLED_CARD_ERRORS = {"card_missing", "card_gated", "card_too_large", "card_forbidden"}
# Stats that say a pass missed something: a listing page, a repo the database refused, a callback that failed.
MARK_BLOCKERS = ("hubcrawl/errors/listing_", "hubcrawl/errors/unsaved", "spider_exceptions/")


class IncrementalState:
    def __init__(self, crawler) -> None:
        self.stats = crawler.stats
        self.report = run_report(crawler)
        self.path = db_path(crawler.settings.get("HUBCRAWL_DB"))
        self.overlap = timedelta(seconds=crawler.settings.getint("HUBCRAWL_WATERMARK_OVERLAP"))
        self.db = None

    def database(self):
        if self.db is None:
            self.db = open_db(self.path, create=True)
        return self.db

    def stop_mark(self, key: str) -> datetime | None:
        """Where an incremental pass of this listing stops: None for a first (or unreadable) mark."""
        high_water = parse_iso(get_watermark(self.database(), key))
        return high_water - self.overlap if high_water else None

    def stored(self, kind: str, repo_ids: list[str]) -> dict[str, dict]:
        """What is stored for these repos: commit, card or settled card error, and the run that stored it."""
        return stored_states(self.database(), kind, repo_ids)

    def stored_this_run(self, state: dict | None) -> bool:
        """A repo listed twice in one run (a page boundary moved under the cursor) is stored once."""
        return state is not None and state["run_id"] is not None and state["run_id"] == self.report.run_id

    @staticmethod
    def card_is_current(record: dict, state: dict | None) -> bool:
        """The stored card (or its settled absence) is from the listed commit: no need to fetch it again."""
        if not state or not record.get("sha") or state["sha"] != record["sha"]:
            return False
        return state["has_card"] or {e["kind"] for e in state["fetch_errors"]} & SETTLED_CARD_ERRORS != set()

    def finish_pass(self, key: str, newest_seen: datetime | None, *, complete: bool, reason: str) -> None:
        """A complete pass that lost nothing moves the mark to the newest change it saw. A pass in
        which a repo went unstored, or a callback failed, leaves it: the next pass lists them again."""
        lost = any(k.startswith(MARK_BLOCKERS) for k in self.stats.get_stats())
        if reason == "finished" and complete and newest_seen and not lost:
            save_watermark(self.database(), key, iso_z(newest_seen), self.report.run_id, now_iso())
            self.stats.set_value("hubcrawl/incremental/high_water", iso_z(newest_seen))

    def pages_due(self, kind: str | None, limit: int | None, full: bool) -> list[tuple[str, str]]:
        """Pages to visit, most needed first: never visited or changed since (every page with `full`)."""
        rows = artifacts_for_pages(self.database(), kind, limit, due_only=not full)
        return [(r["kind"], r["repo_id"]) for r in rows]

    def details_due(self, paths, ids: tuple[str, ...], limit: int | None, full: bool) -> list[dict]:
        """Models and the config files to fetch for them, most adopted first: files never fetched at
        the model's current commit (every listed one with `full`); with `ids`, those models only."""
        return models_for_details(self.database(), paths, limit, due_only=not full, repo_ids=ids)

    def close(self) -> None:
        if self.db is not None:
            close_db(self.db)
            self.db = None
