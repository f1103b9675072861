"""What the verbs print: text safe on a terminal, valid JSON, tables and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys

import click
from tabulate import tabulate

# Characters a terminal acts on rather than shows: C0/C1 controls (escape sequences set titles,
# clear screens, write the clipboard), DEL, and bidi overrides. Newlines and tabs stay.
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0 itself


def printable(text: str) -> str:
    """Card text as a terminal should show it: control characters replaced by U+FFFD."""
    return TERMINAL_CONTROLS.sub("\ufffd", text)


def emit(text: str, *, data: bool = False, nl: bool = True) -> None:
    """Print to stdout. Text for reading loses its control characters; data (CSV) keeps them
    unless it is going to a terminal."""
    click.echo(text if data and not sys.stdout.isatty() else printable(text), nl=nl)


def json_text(value, indent: int | None = 2) -> str:
    """JSON that is valid (no NaN or Infinity: they become null) and safe on a terminal
    (C1 controls and bidi overrides escaped, which JSON readers read back unchanged)."""
    text = json.dumps(finite(value), indent=indent, ensure_ascii=False, allow_nan=False)
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def render_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    """Rows of a query as a text table, JSON objects or CSV."""
    if fmt == "json":
        return json_text([dict(zip(columns, row, strict=True)) for row in rows])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue()
    return tabulate(rows, headers=columns)
