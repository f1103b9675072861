"""Names for what went wrong. Each recorded problem is {"kind", "detail"[, "url" | "field"]}.

Kinds are stable strings: the run summary counts them and users filter on them
(`select * from artifacts where errors like '%card_gated%'`). ERROR_KINDS is the list, with
what each means; a `{what}_…` kind exists for each thing fetched (card, info, listing, page, config).
"""

from __future__ import annotations

DETAIL_CHARS = 300
FETCHED = ("card", "info", "listing", "page", "config")  # what `{what}_…` kinds are about

ERROR_KINDS = {
    # fetching (after Scrapy's retries); {what} is card, info, listing, page or config (a repo's config files)
    "{what}_gated": "a gated repo: not readable without access (401/403 with GatedRepo)",
    "{what}_missing": "404: the file is not there",
    "{what}_forbidden": "401/403 on a repo that is not gated",
    "{what}_http_error": "another HTTP error status (5xx after retries)",
    "{what}_timeout": "no answer in time, after retries",
    "{what}_network": "the connection failed (refused, reset, cut short), after retries",
    "{what}_too_large": "larger than the configured maximum size",
    "{what}_redirect_loop": "redirected more than 20 times",
    "{what}_malformed": "a JSON body that never parsed whole, after retries",
    "repo_not_found": "the Hub says the repo does not exist (any more)",
    "rate_limited": "429 after repeated waits",
    "card_integrity": "the card body never matched its ETag (git blob id), after retries: not stored",
    "config_integrity": "a config file never matched its ETag (git blob id), after retries: not stored",
    "listing_loop": "a next-page link pointed back to a page already listed",
    "record_id_invalid": "a listing record without a valid repo id (counted on the run; nothing to store)",
    "page_offsite": "the page redirected away from the Hub's host",
    "page_not_html": "the page answer was not text",
    # reading what came back
    "card_yaml": "the card's YAML front matter does not parse",
    "card_yaml_bounds": "the front matter would expand past the bounds (alias bomb, self-reference, deep nesting)",
    "card_not_mapping": "the front matter is not a mapping",
    "card_metadata": "the card data class refused part of the metadata (e.g. an invalid model-index)",
    "card_not_utf8": "the card is not UTF-8; invalid bytes replaced",
    "record_field_invalid": "an API field of the wrong type or range; that field dropped",
    "record_too_deep": "an API record nested past the depth bound; the deep part dropped",
    "record_invalid": "huggingface_hub's ModelInfo/DatasetInfo refused the record",
    "value_out_of_range": "a number past SQLite's integer range; that field left empty",
    "page_no_props": "the page has no header props (a layout change)",
    "page_bad_props": "the page's header props are not a JSON object",
    "page_props_too_deep": "the page's header props nested past the depth bound; cut",
    "config_not_utf8": "a config file is not UTF-8: not read",
    "config_field_invalid": "a config field of the wrong type or range; that fact left out",
    "config_unknown": "config.json names none of the architecture fields hubcrawl knows: no facts taken",
    # storing
    "normalize_failed": "the normalizer failed on this repo; stored with its raw record only",
    "save_failed": "SQLite refused the derived row; stored with its identity only",
    "unsaved": "SQLite refused even the bare row (counted on the run, which then leaves the watermark as it was)",
}


def problem(kind: str, detail: str, **extra) -> dict:
    """One recorded problem: a stable kind, a one-line detail of bounded length."""
    detail = " ".join(str(detail).split())
    if len(detail) > DETAIL_CHARS:
        detail = detail[: DETAIL_CHARS - 1] + "…"
    return {"kind": kind, "detail": detail, **extra}


def fetch_failure(
    what: str,
    status: int | None = None,
    *,
    error_code: str | None = None,
    gated: bool = False,
    exception: BaseException | None = None,
    url: str | None = None,
) -> dict:
    """Classify a failed fetch of `what` ("card", "info", "listing", "page") from its HTTP status,
    the Hub's `X-Error-Code`, or the exception that ended it (after Scrapy's retries)."""
    if exception is not None:
        name = exception.__class__.__name__
        if "Cancelled" in name:  # the only reason we cancel a download is its size limit
            kind, detail = f"{what}_too_large", "larger than the configured maximum size"
        elif "Timeout" in name:
            kind, detail = f"{what}_timeout", name
        elif "redirections" in str(exception):
            kind, detail = f"{what}_redirect_loop", str(exception)
        else:
            kind, detail = f"{what}_network", f"{name}: {exception}"
    elif error_code == "GatedRepo" or (status in (401, 403) and gated):
        kind, detail = f"{what}_gated", f"HTTP {status}: gated repo, not readable without access"
    elif error_code == "RepoNotFound" or (status == 404 and what == "info"):
        kind, detail = "repo_not_found", f"HTTP {status}: repository not found"
    elif status == 404:
        kind, detail = f"{what}_missing", "HTTP 404"
    elif status in (401, 403):
        kind, detail = f"{what}_forbidden", f"HTTP {status}"
    elif status == 429:
        kind, detail = "rate_limited", "HTTP 429 after repeated waits"
    else:
        kind, detail = f"{what}_http_error", f"HTTP {status}"
    return problem(kind, detail, **({"url": url} if url else {}))


def known_kind(kind: str) -> bool:
    """Whether a kind is one of ERROR_KINDS (with {what} filled in)."""
    return kind in ERROR_KINDS or any(
        k.startswith("{what}_") and kind.endswith(k[6:]) and kind[: -len(k[6:])] in FETCHED for k in ERROR_KINDS
    )
