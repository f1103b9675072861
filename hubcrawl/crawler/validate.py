"""Where Hub data enters: bounded loading and validation. Pure functions, bytes or values in.

Cards and records are written by anyone. Everything that comes from the Hub passes through here
before anything else reads it, and every rule is a bound: nesting depth, expanded size, integer
range, type. A value that breaks a rule is dropped (its field only) and named in an error with a
stable kind (`crawler/errors.py` lists them), so the repo, its batch and the run carry on.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from base64 import b64encode
from datetime import date, datetime, time
from decimal import Decimal

import ijson
import yaml
from huggingface_hub.utils import HFValidationError, parse_datetime, validate_repo_id
from huggingface_hub.utils.sha import git_hash

from hubcrawl.crawler.errors import problem

MAX_DEPTH = 64  # nesting kept in any JSON or YAML value; real cards and records use under 15
MAX_YAML_NODES = 200_000  # nodes of front matter once aliases are expanded (a large real card: ~20,000)
SQLITE_INT = (-(2**63), 2**63 - 1)  # what an INTEGER column holds; larger numbers are no count

# Loaders in C where the machine has libyaml: faster, and libyaml refuses nesting past 1,000 itself.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- JSON -----------------------------------------------------------------------------------------


def load_json(body: bytes | str, expected: type, max_depth: int = MAX_DEPTH) -> tuple[object | None, bool]:
    """A JSON body as `expected` (list or dict), nesting cut at `max_depth`; (None, False) when it
    is not JSON of that type. The flag says whether anything was cut (the caller records it).

    NaN and infinities (not JSON, but Python's parser takes them) become null. The stdlib parser
    recurses and gives up near depth 1,000; deeper bodies go through ijson's event stream, which
    does not recurse, so one record nested 100,000 deep costs its own field, not the whole page.
    """
    try:
        value = json.loads(body, parse_constant=lambda _: None)
    except RecursionError:
        value = load_json_events(body, max_depth)
    except ValueError:
        return None, False
    if not isinstance(value, expected):
        return None, False
    return value, cut_depth(value, max_depth)


def load_json_events(body: bytes | str, max_depth: int) -> object | None:
    """Build a JSON value from ijson's flat event stream (no recursion); containers deeper than
    `max_depth` + 1 become None, so the deep part is never built."""
    data = body.encode() if isinstance(body, str) else body
    stack: list = []  # open containers, with a pending map key per level
    keys: list = []
    root = None
    skipped = 0  # depth inside a dropped subtree
    try:
        for event, value in ijson.basic_parse(data):
            if skipped:
                skipped += (
                    1 if event in ("start_map", "start_array") else -1 if event in ("end_map", "end_array") else 0
                )
                if skipped == 0:
                    value, event = None, "null"  # the dropped subtree stands as null
                else:
                    continue
            if event == "map_key":
                keys[-1] = value
                continue
            if event in ("start_map", "start_array"):
                if len(stack) > max_depth:
                    skipped = 1
                    continue
                container = {} if event == "start_map" else []
                attach(stack, keys, container)
                root = container if not stack else root
                stack.append(container)
                keys.append(None)
                continue
            if event in ("end_map", "end_array"):
                stack.pop()
                keys.pop()
                continue
            if isinstance(value, Decimal):
                value = float(value) if value.is_finite() and math.isfinite(float(value)) else None
            if not stack:
                return value
            attach(stack, keys, value)
    except (ijson.JSONError, ValueError):
        return None
    return root


def attach(stack: list, keys: list, value) -> None:
    if not stack:
        return
    parent = stack[-1]
    if isinstance(parent, list):
        parent.append(value)
    else:
        parent[keys[-1]] = value


def cut_depth(value, max_depth: int) -> bool:
    """Replace, in place, every container nested deeper than `max_depth` with None. Iterative."""
    cut = False
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, child in list(items):
            if isinstance(child, (dict, list)):
                if depth >= max_depth:
                    container[key] = None
                    cut = True
                else:
                    stack.append((child, depth + 1))
    return cut


# -- YAML -----------------------------------------------------------------------------------------


class YamlBoundsError(yaml.YAMLError):
    """Front matter that would expand past the bounds (an alias bomb, a cycle, deep nesting)."""


def load_yaml(text: str):
    """YAML through a C safe loader, refused before it is built when its aliases would expand past
    MAX_YAML_NODES, an alias refers to itself, or it nests deeper than MAX_DEPTH.

    The node graph shares aliased nodes, so it is small even for a "billion laughs" document;
    it is what gets measured, with each node's expanded size computed once.
    """
    loader = YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_yaml_node(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def check_yaml_node(root) -> None:
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = yaml_children(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > MAX_YAML_NODES:
                raise YamlBoundsError(f"aliases expand past {MAX_YAML_NODES:,} nodes")
            if depths[key] > MAX_DEPTH:
                raise YamlBoundsError(f"nested deeper than {MAX_DEPTH} levels")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlBoundsError("an alias refers to itself")
        open_nodes.add(key)  # on the current path until its done-marker pops: meeting it again is a cycle
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def yaml_children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def plain_json(value):
    """A YAML value as plain JSON: string keys, dates as ISO text, binary as base64, sets as
    sorted lists, non-finite floats as text ("nan", "inf"). Its depth is bounded by `load_yaml`."""
    if isinstance(value, dict):
        return {json_key(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain_json(v) for v in value), key=repr)
    if isinstance(value, float):  # .nan and .inf are no JSON numbers: kept as the words YAML read
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return b64encode(value).decode("ascii")
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def json_key(key) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return json.dumps(key)  # null, true, false: as JSON would spell them
    return str(plain_json(key))


# -- API records ----------------------------------------------------------------------------------


def check_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SQLITE_INT[1]


def check_text(value) -> bool:
    return isinstance(value, str)


def check_date(value) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        parse_datetime(value)
    except ValueError:
        return False
    return True


def clean_text_list(value: list) -> list:
    return [v for v in value if isinstance(v, str)]


def check_mapping(value) -> bool:
    return isinstance(value, dict)


def check_bool(value) -> bool:
    return isinstance(value, bool)


def check_gated(value) -> bool:
    return value in (False, True, "auto", "manual")


def clean_siblings(value: list) -> list:
    return [s for s in value if isinstance(s, dict) and isinstance(s.get("rfilename"), str)]


def check_tensor_info(value) -> bool:
    """`safetensors` / `gguf`: a mapping whose `total`, when present, is a count."""
    return isinstance(value, dict) and ("total" not in value or value["total"] is None or check_count(value["total"]))


def check_safetensors(value) -> bool:
    return (
        check_tensor_info(value)
        and isinstance(value.get("parameters", {}), dict)
        and all(check_count(n) for n in value.get("parameters", {}).values())
    )


def check_list(value) -> bool:
    return isinstance(value, list)


# What each API field must be (hub-api.md §7). The rule's name goes into the error detail.
# A field that breaks its rule is dropped from the record; cleaners drop bad list elements only.
RECORD_RULES: dict[str, tuple] = {
    "_id": (check_text, "text"),
    "author": (check_text, "text"),
    "sha": (check_text, "text"),
    "modelId": (check_text, "text"),
    "lastModified": (check_date, "an ISO 8601 date"),
    "createdAt": (check_date, "an ISO 8601 date"),
    "downloads": (check_count, "a count"),
    "downloadsAllTime": (check_count, "a count"),
    "likes": (check_count, "a count"),
    "trendingScore": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= SQLITE_INT[1],
        "a number",
    ),
    "childrenModelCount": (check_count, "a count"),
    "usedStorage": (check_count, "a count"),
    "private": (check_bool, "true or false"),
    "disabled": (check_bool, "true or false"),
    "gated": (check_gated, 'false, "auto" or "manual"'),
    "pipeline_tag": (check_text, "text"),
    "library_name": (check_text, "text"),
    "inference": (check_text, "text"),
    "description": (check_text, "text"),
    "citation": (check_text, "text"),
    "paperswithcode_id": (check_text, "text"),
    "mask_token": (check_text, "text"),
    "tags": (check_list, "a list of text", clean_text_list),
    "spaces": (check_list, "a list of text", clean_text_list),
    "siblings": (check_list, "a list of files", clean_siblings),
    "cardData": (check_mapping, "a mapping"),
    "config": (check_mapping, "a mapping"),
    "transformersInfo": (check_mapping, "a mapping"),
    "safetensors": (check_safetensors, "a mapping with counts"),
    "gguf": (check_tensor_info, "a mapping with counts"),
    "evalResults": (check_list, "a list"),
    "model-index": (check_list, "a list"),
    "widgetData": (check_list, "a list"),
}


def check_repo_id(value) -> str | None:
    """The id as the Hub spells ids (huggingface_hub's own rule), or None."""
    if not isinstance(value, str):
        return None
    try:
        validate_repo_id(value)
    except HFValidationError:
        return None
    return value


def check_record(record: dict) -> tuple[dict, list[dict]]:
    """An API record with every field that breaks its rule dropped, and one error per dropped field.

    Null stands for "not stated" and is kept. Unknown fields pass as they are (the Hub adds fields).
    """
    clean, errors = {}, []
    for key, value in record.items():
        rule = RECORD_RULES.get(key)
        if rule is None or value is None:
            clean[key] = value
            continue
        check, expected, *cleaner = rule
        if not check(value):
            errors.append(
                problem("record_field_invalid", f"{key}: expected {expected}, got {describe(value)}", field=key)
            )
            continue
        if cleaner:
            kept = cleaner[0](value)
            if len(kept) != len(value):
                errors.append(
                    problem(
                        "record_field_invalid", f"{key}: {len(value) - len(kept)} malformed entries dropped", field=key
                    )
                )
            value = kept
        clean[key] = value
    return clean, errors


def describe(value) -> str:
    """A short, safe description of a rejected value for an error detail."""
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__} of {len(value)}"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def bound_integers(row: dict) -> list[dict]:
    """Integers SQLite cannot hold (past ±2^63) are set to None, each with an error."""
    errors = []
    for column, value in row.items():
        if isinstance(value, int) and not SQLITE_INT[0] <= value <= SQLITE_INT[1]:
            row[column] = None
            errors.append(
                problem(
                    "value_out_of_range",
                    f"{column}: a number of {len(str(abs(value)))} digits is past SQLite's integer range",
                    field=column,
                )
            )
    return errors


def finite_number(value) -> float | None:
    """An eval value as a finite float, or None (NaN, infinities, booleans and text are no result)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# -- integrity ------------------------------------------------------------------------------------

ETAG_HEX = re.compile(r'^(?:w/)?"?([0-9a-f]{40}|[0-9a-f]{64})"?$')  # matched lower-cased


def body_matches_etag(body: bytes, etag: str | None, linked_etag: str | None = None) -> bool | None:
    """Whether a `/resolve/` body is the file the Hub named (hub-api.md §2.2): an LFS file's
    `X-Linked-Etag` is its sha256, a regular file's `ETag` its git blob id. None when no usable tag came."""
    linked = hex_tag(linked_etag)
    if linked is not None:
        return hashlib.sha256(body).hexdigest() == linked
    tag = hex_tag(etag)
    if tag is None:
        return None
    return (git_hash(body) if len(tag) == 40 else hashlib.sha256(body).hexdigest()) == tag


def hex_tag(value: str | None) -> str | None:
    match = ETAG_HEX.match((value or "").strip().lower())
    return match.group(1) if match else None
