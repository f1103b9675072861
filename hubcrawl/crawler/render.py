"""HTML for people: comparison records and artifact pages, rendered with Jinja2.

Autoescaping is on for every template: card-derived text (capability quotes, titles) can hold any
markup a card author wrote, and it must show as text, never run. The score chart is inline SVG: no
script on any page.
"""

from __future__ import annotations

import hashlib
import json
import re

from jinja2 import Environment, PackageLoader, select_autoescape

from hubcrawl.crawler.capabilities import human_count
from hubcrawl.crawler.compare import PART_LABELS
from hubcrawl.crawler.ranking import PARTS

ENV = Environment(loader=PackageLoader("hubcrawl.crawler", "templates"), autoescape=select_autoescape(["html"]))
CHART_PARTS = [{"key": part, "label": PART_LABELS[part]} for part in PARTS]  # the score parts, in method order
COLORS = ("#0969da", "#bf8700")


def page_file(key: str) -> str:
    """A safe, short file name for an artifact id or a pair of them: the readable part in plain
    characters, cut to 100, and a hash of the whole key, so that two keys never share a name and
    no name passes the file system's 255-byte limit (`datasets/a/b` -> `datasets__a__b-1f2e….html`)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key.replace("/", "__")).strip("._")[:100]
    return f"{readable}-{hashlib.sha1(key.encode()).hexdigest()[:10]}.html"


def render_compare(record: dict) -> str:
    # Score rows by their part's key (records made before rows carried one: by its label).
    by_label = {label: key for key, label in PART_LABELS.items()}
    values = {f.get("key") or by_label.get(f["name"]): f for f in record["features"]}
    sides = []
    for index, side in enumerate(("a", "b")):
        scores = {p["key"]: values[p["key"]][f"{side}_value"] for p in CHART_PARTS}
        sides.append({"name": record[side]["repo_id"], "color": COLORS[index], "scores": scores})
    return ENV.get_template("compare.html").render(title=record["title"], record=record, parts=CHART_PARTS, sides=sides)


def render_artifact(view: dict, comparisons: list[dict], root: str = "../") -> str:
    scores = {p["key"]: view["scores"].get(p["key"]) or 0 for p in CHART_PARTS}
    sides = [{"name": view["repo_id"], "color": COLORS[0], "scores": scores}]
    return ENV.get_template("artifact.html").render(
        title=view["repo_id"], view=view, parts=CHART_PARTS, sides=sides, comparisons=comparisons, root=root
    )


def render_index(title: str, artifacts: list[dict]) -> str:
    return ENV.get_template("index.html").render(title=title, artifacts=artifacts)


# Counts shown with their size word as well as their digits in `hubcrawl show`.
COUNTED_FIELDS = ("parameters", "rows", "bytes", "download_bytes")


def render_artifact_text(view: dict) -> list[str]:
    """`hubcrawl show` for people: the fields that hold something, lists as lists, counts readable,
    then the capabilities with their evidence and the reported results."""
    lines = []
    for key, value in view.items():
        if key in ("capabilities", "eval_results") or value in (None, "", [], {}):
            continue
        lines.append(f"{key:>16}: {field_text(key, value)}")
    for cap in view["capabilities"]:
        sources = sorted({str(e.get("section") or e.get("field") or e.get("source")) for e in cap["evidence"]})
        lines.append(f"\n* {cap['title']}\n  {cap['text']}\n  evidence: {', '.join(sources)}")
    if view["eval_results"]:
        lines.append("\nreported results:")
        for e in view["eval_results"]:
            where = ", ".join(str(part) for part in (e["dataset_name"] or e["dataset"], e["split"]) if part)
            name = e["metric_name"] if e.get("metric_name") else e["metric"]
            lines.append(f"  {name} {e['value']:.4g} on {where or 'an unnamed dataset'} ({e['source']})")
    return lines


def field_text(key: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in COUNTED_FIELDS and isinstance(value, int):
        return f"{human_count(value)} ({value:,})" if value >= 1000 else f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(
            str(v) if not isinstance(v, (dict, list)) else json.dumps(v, ensure_ascii=False) for v in value
        )
    if isinstance(value, dict):
        return ", ".join(f"{k} {field_text(k, v)}" for k, v in value.items() if v not in (None, "", [], {}))
    return str(value)
