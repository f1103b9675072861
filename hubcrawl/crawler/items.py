"""What a spider hands to the pipeline: the raw answers of the Hub about one repo, nothing derived.

Keeping the item raw is what lets `hubcrawl normalize` re-derive every field without a new crawl.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("model", "dataset")
# Hub URL prefix per kind, as in `https://huggingface.co/datasets/owner/name`.
URL_PREFIX = {"model": "", "dataset": "datasets/"}


@dataclass
class ArtifactItem:
    kind: str  # "model" | "dataset"
    repo_id: str  # "owner/name" as the Hub listed it
    record: dict | None  # the raw API record (listing or per-repo info); None when info failed
    fetched_at: str  # ISO-8601 UTC, when the record was fetched
    card_url: str | None = None  # where the README was asked for; None when not asked
    card_status: int | None = None  # HTTP status of the card answer; None when no answer came
    card_body: bytes | None = None  # the README bytes when status was 200
    fetch_errors: list[dict] = field(default_factory=list)  # [{"kind", "detail", "url"?}]
    # "fetched": card answered (or failed) now; "reuse_card": the stored card is from this commit;
    # "counters": only the adoption counters were listed (`crawl --counters`).
    mode: str = "fetched"


def artifact_key(kind: str, repo_id: str) -> str:
    """The database key of an artifact: its Hub URL path (`owner/name`, `datasets/owner/name`)."""
    return f"{URL_PREFIX[kind]}{repo_id}"


def hub_page_url(endpoint: str, kind: str, repo_id: str) -> str:
    """The repo's page on the Hub (a stored repo id is a checked one: nothing in it needs quoting)."""
    return f"{endpoint}/{artifact_key(kind, repo_id)}"


def split_artifact_key(key: str) -> tuple[str, str]:
    """Inverse of `artifact_key`: `datasets/a/b` -> ("dataset", "a/b"); `a/b` -> ("model", "a/b")."""
    kind, repo_id = parse_identifier(key)
    return kind or "model", repo_id


def parse_identifier(text: str) -> tuple[str | None, str]:
    """What a user typed: `datasets/a/b` names a dataset; a bare `a/b` names a model or a dataset."""
    text = text.strip().strip("/")
    prefix = URL_PREFIX["dataset"]
    return ("dataset", text[len(prefix) :]) if text.startswith(prefix) else (None, text)


@dataclass
class PageItem:
    """The HTML page of one repo (the `pages` spider)."""

    kind: str
    repo_id: str
    url: str
    fetched_at: str
    status: int | None = None
    html: str | None = None
    fetch_errors: list[dict] = field(default_factory=list)


@dataclass
class FileItem:
    """One file of a repo at one commit (the `details` spider: config.json and its kin)."""

    kind: str
    repo_id: str
    sha: str  # the commit the file was asked for
    path: str  # e.g. "config.json"
    url: str
    fetched_at: str
    status: int | None = None
    body: bytes | None = None  # the bytes when status was 200 and they matched their ETag
    fetch_errors: list[dict] = field(default_factory=list)
