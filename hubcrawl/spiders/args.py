"""The spiders' arguments: one typed model, validated once.

`hubcrawl crawl` builds it from its options; `scrapy crawl NAME -a key=value` builds it from the
strings Scrapy passes. Either way the same rules hold, and a bad value is one line that names it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from hubcrawl.crawler.items import KINDS, split_artifact_key
from hubcrawl.crawler.validate import check_repo_id

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message names it."""


@dataclass(frozen=True)
class CrawlArgs:
    search: str | None = None  # substring of repo ids
    author: str | None = None  # one user or organisation
    filters: tuple[str, ...] = ()  # Hub tag filters, all must match
    ids: tuple[str, ...] = ()  # explicit repos (`owner/name`; `datasets/owner/name` for the pages spider)
    limit: int | None = None  # at most this many repos (or pages)
    full: bool = False  # the whole listing, every card (or page) fetched again
    counters: bool = False  # only downloads and likes, from the listing
    kind: str | None = None  # pages spider: only models or only datasets
    job: str | None = None  # scrapyd's job id (its `_job` argument), kept in the run's ledger to find the job's log

    @classmethod
    def parse(cls, **raw) -> CrawlArgs:
        """From `-a` strings or CLI values (lists, ints and booleans pass through); `filter` is
        the Hub's (and Scrapy users') name for `filters`."""
        if "_job" in raw:
            raw["job"] = raw.pop("_job")
        unknown = set(raw) - {f.name for f in fields(cls)} - {"filter"}
        if unknown:
            raise ArgumentError(f"unknown argument: {', '.join(sorted(unknown))}")
        return cls.checked(**raw)

    @classmethod
    def checked(
        cls,
        *,
        search=None,
        author=None,
        filter=None,
        filters=None,
        ids=None,
        limit=None,
        full=None,
        counters=None,
        kind=None,
        job=None,
    ) -> CrawlArgs:
        args = cls(
            search=text(search),
            author=text(author),
            filters=listed(filters if filters is not None else filter),
            ids=listed(ids),
            limit=whole_number("limit", limit),
            full=flag("full", full),
            counters=flag("counters", counters),
            kind=text(kind),
            job=text(job),
        )
        if args.kind not in (None, *KINDS):
            raise ArgumentError(f"kind must be one of {', '.join(KINDS)}, got {args.kind!r}")
        for repo_id in args.ids:
            if check_repo_id(split_artifact_key(repo_id)[1]) is None:
                raise ArgumentError(f"not a repo id: {repo_id!r} (expected owner/name or datasets/owner/name)")
        return args

    def ledger(self) -> dict:
        """What a run records of its arguments (`crawl_runs.arguments`): the ones given."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v}


def text(value) -> str | None:
    value = str(value).strip() if value is not None else ""
    return value or None


def listed(value) -> tuple[str, ...]:
    """`a/b,c/d` as Scrapy passes it, or a list as the CLI does."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return tuple(v.strip() for v in items if v and str(v).strip())


def whole_number(name: str, value) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise ArgumentError(f"{name} must be at least 1, got {number}")
    return number


def flag(name: str, value) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    lowered = str(value).strip().lower()
    if lowered in TRUE + FALSE:
        return lowered in TRUE
    raise ArgumentError(f"{name} must be true or false, got {value!r}")
