"""Names for what went wrong while fetching. Each recorded problem is {"kind", "detail"[, "url"]}.

Kinds are stable strings: the run summary counts them and users filter on them
(`select * from artifacts where errors like '%card_gated%'`).
"""

from __future__ import annotations


def fetch_failure(what: str, status: int | None = None, *, error_code: str | None = None,
                  gated: bool = False, exception: BaseException | None = None, url: str | None = None) -> dict:
    """Classify a failed fetch of `what` ("card", "info", "listing", "page") from its HTTP status,
    the Hub's `X-Error-Code`, or the exception that ended it (after Scrapy's retries)."""
    if exception is not None:
        name = exception.__class__.__name__
        if "Cancelled" in name:  # the only reason we cancel a download is its size limit
            kind, detail = f"{what}_too_large", "larger than the configured maximum size"
        elif "Timeout" in name:
            kind, detail = f"{what}_timeout", name
        else:
            kind, detail = f"{what}_network", " ".join(f"{name}: {exception}".split())[:300]
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
    error = {"kind": kind, "detail": detail}
    if url:
        error["url"] = url
    return error
