"""Configuration read from the environment: where the Hub is, who we are, where the database lives.

The token is deliberately *not* a Scrapy setting: settings get logged ("Overridden settings"),
the environment does not.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_DB = "hub.db"

# The Hub's published 5-minute fixed-window limits (requests, seconds) per bucket.
ANONYMOUS_BUDGETS = {"api": (500, 300), "resolvers": (3000, 300), "pages": (100, 300)}
FREE_ACCOUNT_BUDGETS = {"api": (1000, 300), "resolvers": (5000, 300), "pages": (200, 300)}


class ConfigError(ValueError):
    """A setting the user gave cannot be used; the message says which and why."""


def hub_endpoint() -> str:
    """`HF_ENDPOINT` without its trailing slash, checked to be an http(s) URL."""
    endpoint = os.environ.get("HF_ENDPOINT", "").strip() or DEFAULT_ENDPOINT
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"HF_ENDPOINT must be an http(s) URL, got {endpoint!r}")
    return endpoint.rstrip("/")


def hub_token() -> str | None:
    """The token huggingface_hub would send: `HF_TOKEN` (or the legacy `HUGGING_FACE_HUB_TOKEN`), else the
    one `hf auth login` saved under HF_HOME."""
    from huggingface_hub import get_token  # imported here: the reading verbs never need it

    try:
        return get_token() or None
    except Exception as exc:  # noqa: BLE001 - an unreadable token file, a failed OIDC exchange: one line
        raise ConfigError(f"cannot read the Hugging Face token: {exc.__class__.__name__}") from None


def db_path(explicit: str | None = None) -> str:
    """`--db` beats `HUBCRAWL_DB` beats `./hub.db`."""
    return explicit or os.environ.get("HUBCRAWL_DB") or DEFAULT_DB


def parse_budgets(text: str) -> dict[str, tuple[int, int]]:
    """Parse `api=1000/300,resolvers=5000/300` into {bucket: (requests, seconds)}."""
    budgets: dict[str, tuple[int, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            name, value = part.split("=", 1)
            quota, window = value.split("/", 1)
            budgets[name.strip()] = (int(quota), int(window))
        except ValueError:
            raise ConfigError(f"HUBCRAWL_BUDGETS: cannot read {part!r}; expected NAME=REQUESTS/SECONDS") from None
        if budgets[name.strip()][0] <= 0 or budgets[name.strip()][1] <= 0:
            raise ConfigError(f"HUBCRAWL_BUDGETS: {part!r} must be positive")
    return budgets


def hub_budgets() -> dict[str, tuple[int, int]]:
    """The budgets in force: the Hub's defaults for this user, overridden by `HUBCRAWL_BUDGETS`."""
    budgets = dict(FREE_ACCOUNT_BUDGETS if hub_token() else ANONYMOUS_BUDGETS)
    budgets.update(parse_budgets(os.environ.get("HUBCRAWL_BUDGETS", "")))
    return budgets


def same_origin(url: str, endpoint: str) -> bool:
    """True when `url` points at the endpoint's scheme, host and port (where a token may go)."""
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
