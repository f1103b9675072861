"""Time, in one place: now, and the Hub's timestamps parsed and written.

Normalizers never call `now()`: the time a thing was fetched comes in with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from huggingface_hub.utils import parse_datetime

from hubcrawl.crawler.validate import check_date


def now_iso() -> str:
    """Now, UTC, to the second: when a row was fetched, a run started, a score was made."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(UTC)


def parse_iso(value) -> datetime | None:
    """A Hub timestamp as an aware datetime (huggingface_hub's parser); None when it is not one."""
    return parse_datetime(value) if check_date(value) else None


def iso_z(value: datetime) -> str:
    """The Hub's own format (`…T10:00:00.000Z`), so stored marks compare with `lastModified` as text."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
