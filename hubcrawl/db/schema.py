"""The schema, as data, stated once: every table and column with its type and what it means.

The database is built from it (`ensure_schema`), JSON columns are encoded and decoded by it, and
the Datasette metadata (`hubcrawl metadata`) is made from it. A new column is one line here (plus
the normalizer that fills it); a test requires each to say what it holds.
"""

from __future__ import annotations

JSON = "json"  # a TEXT column holding JSON: encoded on write, decoded on read

# A hubcrawl database says so itself (PRAGMA application_id, "hubc"), and which schema it has
# (PRAGMA user_version). Writers bring an older schema up to date; readers ask for `hubcrawl migrate`.
# Version 2 added `artifacts.run_id`; version 3 the details pass (`repo_files`, architecture columns);
# version 4 stored comparison sides once; version 5 the search order (`search_order`, `search_fts`).
APPLICATION_ID = 0x68756263
SCHEMA_VERSION = 5
# Tables by which a database made before application_id was set is known as hubcrawl's.
LEGACY_TABLES = {"artifacts", "crawl_runs", "crawl_state"}

ARTIFACT_FK = [("artifact_id", "artifacts", "id")]

SCHEMA: dict[str, dict] = {
    "artifacts": {
        "description": "One row per repo. `id` is its Hub URL path (owner/name, datasets/owner/name). "
        "JSON columns hold lists or objects.",
        "pk": "id",
        "sort_desc": "downloads",
        "columns": {
            "id": (str, "Hub URL path: owner/name for a model, datasets/owner/name for a dataset"),
            "kind": (str, "model or dataset"),
            "repo_id": (str, "owner/name on the Hub"),
            "hub_id": (str, "the Hub's stable _id (survives renames)"),
            "author": (str, "user or organisation that owns the repo"),
            "sha": (str, "commit the stored record and card are from"),
            "last_modified": (str, "last commit time, UTC"),
            "created_at": (str, "creation time, UTC; empty when the Hub does not know it"),
            "downloads": (int, "downloads in the last 30 days"),
            "downloads_all_time": (int, "cumulative downloads"),
            "likes": (int, "likes on the Hub"),
            "trending_score": (int, "the Hub's trending score"),
            "private": (int, "1 for a private repo"),
            "disabled": (int, "1 for a repo the Hub disabled"),
            "gated": (str, "auto or manual when access must be requested (yes when only the card says so)"),
            "display_name": (str, "the name the card gives it (pretty_name: “SQuAD 2.0” for squad_v2)"),
            "access_terms": (str, "what a gated repo asks users to agree to (the card's extra_gated_prompt)"),
            "license": (str, "canonical licence id (first of licenses)"),
            "licenses": (JSON, "every licence id declared"),
            "license_name": (str, "the licence's own name when license is other"),
            "pricing": (str, "Free, Free (gated), Free (non-commercial) or Unknown"),
            "task": (str, "main task (pipeline tag, or first task category)"),
            "tasks": (JSON, "every task declared"),
            "library_name": (str, "the library the repo is made for"),
            "parameters": (int, "parameter count: counted (safetensors, GGUF) or stated by the card, never guessed"),
            "formats": (JSON, "weight or file formats"),
            "languages": (JSON, "declared languages"),
            "tags": (JSON, "the Hub's tags"),
            "datasets": (JSON, "datasets a model was trained on, as declared"),
            "base_models": (JSON, "models a model was fine-tuned, quantized or merged from"),
            "papers": (JSON, "arXiv ids from the tags"),
            "spaces": (int, "Spaces using the model"),
            "children": (int, "models built on this one (the Hub's count)"),
            "libraries": (JSON, "libraries that can load it"),
            "inference": (str, "warm (serverless now) or endpoints (Inference Endpoints-compatible)"),
            "modalities": (JSON, "modalities (text, image, audio …)"),
            "discussions": (int, "discussions on the Hub page"),
            "card_length": (int, "characters of card body"),
            "card_sections": (JSON, "standard card sections present"),
            "has_license": (int, "1 when a licence is declared"),
            "card_validation_errors": (JSON, "the Hub's own validation errors of the card, from its page"),
            "eval_count": (int, "reported eval results"),
            "capability_count": (int, "capabilities derived"),
            "capability_text": (str, "the capabilities' titles and texts (full-text indexed)"),
            "paper_titles": (JSON, "titles of the papers behind arxiv tags, from the page"),
            "viewer": (str, "the dataset viewer's state, from the page"),
            "size_categories": (JSON, "declared size categories of a dataset"),
            "rows": (int, "dataset rows (card dataset_info, Data Splits table, or the dataset viewer)"),
            "bytes": (int, "dataset size in bytes, as the card states it"),
            "download_bytes": (int, "download size in bytes, as the card states it"),
            "splits": (JSON, "rows per split per configuration: {config: {split: rows}}"),
            "configs": (JSON, "dataset configurations"),
            "annotations_creators": (JSON, "who annotated a dataset, as declared"),
            "source_datasets": (JSON, "datasets a dataset was made from, as declared"),
            "provenance": (JSON, "where derived values came from (e.g. parameters from safetensors.total)"),
            "provenance_rows": (str, "where rows came from"),
            "architecture": (
                JSON,
                "architecture facts from config.json: layers, hidden size, heads, context, vocabulary …",
            ),
            "context_length": (
                int,
                "positions the model takes (config.json), or its sentence-transformers max_seq_length",
            ),
            "labels": (JSON, "the labels a classifier or tagger predicts (config.json id2label)"),
            "card_comparisons": (
                JSON,
                "the other models the card's own results table lists beside this one, with their numbers and rows",
            ),
            "card_facts": (
                JSON,
                "facts the card states about how it was made (languages, base model, data, hardware, hyperparameters), "
                "each with its line or sentence",
            ),
            "fetched_at": (str, "when the record was fetched, UTC"),
            "errors": (JSON, "problems met while fetching or parsing, as {kind, detail}"),
            "fetch_errors": (JSON, "the fetching problems alone (kept for re-normalizing)"),
            "gone_at": (str, "when the Hub stopped answering for this repo (the row is kept)"),
            "previous_ids": (JSON, "earlier ids of a renamed repo"),
            "record": (JSON, "the raw API record"),
            "run_id": (int, "the crawl run that last stored this repo's API record"),
        },
    },
    "capabilities": {
        "description": "What each artifact can do, decomposed; each with the evidence it rests on.",
        "pk": "id",
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "id": (int, "row id"),
            "artifact_id": (str, "the artifact"),
            "position": (int, "order within the artifact"),
            "aspect": (str, "what the capability is about (task, size, formats …)"),
            "title": (str, "short title"),
            "text": (str, "what it can do; every number in it stands in its evidence"),
            "evidence": (JSON, "list of {source: api|card|page, field or section, value or quote, url}"),
        },
    },
    "eval_results": {
        "description": "Reported results from model-index, the Hub's eval results and the card's own tables.",
        "pk": "id",
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "id": (int, "row id"),
            "artifact_id": (str, "the artifact"),
            "source": (str, "model-index, eval_results (the Hub's API) or card-table (a table in the card)"),
            "task": (str, "task type"),
            "dataset": (str, "dataset id or type"),
            "dataset_name": (str, "dataset name as reported"),
            "config": (str, "dataset configuration"),
            "split": (str, "dataset split"),
            "metric": (str, "metric type"),
            "metric_name": (str, "metric name as reported"),
            "value": (float, "the reported value (finite numbers only)"),
            "verified": (int, "1 when the Hub verified it"),
            "quote": (str, "the card's table row a card-table result was read from"),
        },
    },
    "repo_files": {
        "description": "Config files of models at one commit (the details pass): the raw text as served.",
        "pk": ("artifact_id", "path"),
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "artifact_id": (str, "the artifact"),
            "path": (str, "file path in the repo (config.json, sentence_bert_config.json)"),
            "sha": (str, "the commit it was fetched at: not fetched again while the artifact's commit is this one"),
            "url": (str, "where it was fetched"),
            "status": (int, "HTTP status"),
            "body": (str, "the file's text, when it came back whole (checked against its ETag)"),
            "errors": (JSON, "problems fetching it, as {kind, detail}"),
            "fetched_at": (str, "when, UTC"),
        },
    },
    "pages": {
        "description": "Visited Hub pages: the header props and the card text they show.",
        "pk": "artifact_id",
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "artifact_id": (str, "the artifact"),
            "url": (str, "the page visited"),
            "status": (int, "HTTP status of the last visit"),
            "props": (JSON, "the page header's JSON props"),
            "card_text": (str, "the card text the page shows (a gated repo's card too)"),
            "errors": (JSON, "problems of the last visit, as {kind, detail}"),
            "fetched_at": (str, "when the page was visited, UTC"),
        },
    },
    "cards": {
        "description": "Model and dataset cards: YAML front matter (JSON) and the Markdown body.",
        "pk": "artifact_id",
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "artifact_id": (str, "the artifact"),
            "url": (str, "where the card was fetched"),
            "sha": (str, "commit the card is from"),
            "front_matter": (JSON, "the card's YAML metadata as JSON"),
            "has_front_matter": (int, "1 when the card has a YAML block"),
            "body": (str, "Markdown after the front matter"),
            "length": (int, "characters of body"),
            "raw_text": (str, "the card as fetched, kept only when its front matter could not be read"),
            "errors": (JSON, "problems reading the card, as {kind, detail}"),
            "fetched_at": (str, "when the card was fetched, UTC"),
        },
    },
    "scores": {
        "description": "0-100 scores and their four parts (0-1). See docs/ranking.md.",
        "pk": "artifact_id",
        "foreign_keys": ARTIFACT_FK,
        "sort_desc": "overall",
        "columns": {
            "artifact_id": (str, "the artifact"),
            "kind": (str, "model or dataset"),
            "overall": (float, "0-100"),
            "adoption": (float, "0-1: downloads, likes, Spaces, children, within its kind"),
            "quality": (float, "0-1: card completeness and structure, licence, eval results, problems"),
            "ecosystem": (float, "0-1: libraries, formats, hosted inference, what is built on it"),
            "match_graph": (float, "0-1: centrality in the match graph"),
            "method_version": (str, "the scoring method's version"),
            "ranked_at": (str, "when it was scored, UTC"),
        },
    },
    "search_order": {
        "description": "Every ranked artifact's place, best overall score first, as of the last `hubcrawl rank`: "
        "`hubcrawl search` reads its matches in this order (through the search_fts index), so the most adopted "
        "and best documented come first and a search over a million artifacts reads a few hundred.",
        "pk": "place",
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "place": (int, "1 = the highest overall score (ties: by id)"),
            "artifact_id": (str, "the artifact"),
        },
    },
    "edges": {
        "description": "The match graph: trained_on, evaluated_on, fine_tuned_from, similar.",
        "pk": ("source", "target", "kind"),
        "foreign_keys": [("source", "artifacts", "id"), ("target", "artifacts", "id")],
        "columns": {
            "source": (str, "artifact the edge starts at"),
            "target": (str, "artifact it points to"),
            "kind": (str, "trained_on, evaluated_on, fine_tuned_from or similar"),
            "weight": (float, "edge weight"),
        },
    },
    "comparisons": {
        "description": "Stored 'A vs B' records, each once: the record without its two capability lists, which "
        "`comparison_sides` holds once per artifact (the `comparison_records` view joins them back).",
        "pk": "id",
        "foreign_keys": [("a_id", "artifacts", "id"), ("b_id", "artifacts", "id")],
        "columns": {
            "id": (str, "the pair's key"),
            "a_id": (str, "artifact A"),
            "b_id": (str, "artifact B"),
            "title": (str, "A vs B"),
            "record": (JSON, "the comparison record without `capabilities` (see the comparison_records view)"),
            "a_sha": (str, "A's commit when the record was made"),
            "b_sha": (str, "B's commit when the record was made"),
            "a_overall": (float, "A's score when the record was made"),
            "b_overall": (float, "B's score when the record was made"),
            "method_version": (str, "the scoring method's version"),
            "created_at": (str, "when the record was made, UTC"),
        },
    },
    "comparison_sides": {
        "description": "Each compared artifact's capabilities with their Unique and vs alternatives lines, stored "
        "once and shared by every record it is in.",
        "pk": "artifact_id",
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "artifact_id": (str, "the artifact"),
            "capabilities": (JSON, "its capabilities, each with `unique`, `vs_alternatives` and their `basis`"),
            "method_version": (str, "the scoring method's version when the lines were made"),
            "created_at": (str, "when the lines were made, UTC"),
        },
    },
    "counter_history": {
        "description": "Downloads and likes seen by each crawl run (adoption over time).",
        "pk": ("artifact_id", "run_id"),
        "foreign_keys": ARTIFACT_FK,
        "columns": {
            "artifact_id": (str, "the artifact"),
            "run_id": (int, "the crawl run"),
            "seen_at": (str, "when, UTC"),
            "downloads": (int, "downloads in the last 30 days then"),
            "downloads_all_time": (int, "cumulative downloads then"),
            "likes": (int, "likes then"),
            "trending_score": (float, "the Hub's trending score then"),
        },
    },
    "crawl_state": {
        "description": "High-water marks of complete listing passes (incremental runs).",
        "pk": "key",
        "columns": {
            "key": (str, "the listing: kind and the arguments that narrow it"),
            "high_water": (str, "newest lastModified of the last complete pass"),
            "run_id": (int, "the run that set it"),
            "updated_at": (str, "when, UTC"),
        },
    },
    "crawl_runs": {
        "description": "The crawl-run ledger.",
        "pk": "id",
        "sort_desc": "id",
        "columns": {
            "id": (int, "run id"),
            "started_at": (str, "UTC"),
            "finished_at": (str, "UTC"),
            "status": (str, "running, finished, interrupted or failed"),
            "spiders": (str, "spiders the run ran"),
            "endpoint": (str, "the Hub it crawled (HF_ENDPOINT)"),
            "arguments": (JSON, "the run's arguments"),
            "requests": (int, "HTTP requests made"),
            "listing_pages": (int, "listing pages read"),
            "items": (int, "distinct repos stored"),
            "cards": (int, "cards fetched"),
            "pages": (int, "Hub pages stored"),
            "errors": (int, "problems recorded"),
            "errors_by_kind": (JSON, "problems by kind"),
            "message": (str, "why a run failed or stopped"),
        },
    },
}

INDEXES = [
    ("artifacts", ["kind", "repo_id"], True),
    ("capabilities", ["artifact_id"], False),
    ("eval_results", ["artifact_id"], False),
    ("edges", ["target"], False),
    ("comparisons", ["a_id"], False),
    ("comparisons", ["b_id"], False),
    ("artifacts", ["hub_id"], False),
    ("artifacts", ["task"], False),
    ("artifacts", ["run_id"], False),
]

# FTS5 over names and capability text, and over card bodies; triggers keep both in sync as rows change.
FTS_COLUMNS = {"artifacts": ["repo_id", "capability_text"], "cards": ["body"]}
# The search order's index: contentless (the text is in `artifacts`), row ids are `search_order` places, one
# row id list per term (no positions): the smallest index that answers "which places match every word".
SEARCH_FTS_SQL = (
    "create virtual table if not exists search_fts using fts5("
    "repo_id, capability_text, content='', detail='none', columnsize=0, tokenize='porter')"
)

JSON_COLUMNS = {
    table: tuple(c for c, (kind, _) in spec["columns"].items() if kind == JSON) for table, spec in SCHEMA.items()
}


def column_types(table: str) -> dict[str, type]:
    """The SQLite types sqlite-utils creates a table with (JSON is TEXT)."""
    return {c: str if kind == JSON else kind for c, (kind, _) in SCHEMA[table]["columns"].items()}


# Views: whole records assembled from their compact parts, for SQL users, Datasette and the site.
VIEWS = {
    "comparison_records": """select c.id, c.a_id, c.b_id, c.title, c.created_at,
       json_set(c.record, '$.capabilities', json_object('a', json(sa.capabilities), 'b', json(sb.capabilities)))
         as record
  from comparisons c
  join comparison_sides sa on sa.artifact_id = c.a_id
  join comparison_sides sb on sb.artifact_id = c.b_id""",
}

# The slim list of artifacts (Datasette's default table shows the raw `record` JSON in every row): chosen columns
# of `artifacts` and the overall score, each described by its own table's line.
ARTIFACT_LIST = {
    "artifacts": [
        "id",
        "kind",
        "display_name",
        "author",
        "task",
        "license",
        "pricing",
        "downloads",
        "likes",
        "parameters",
        "rows",
        "capability_count",
        "last_modified",
        "gone_at",
    ],
    "scores": ["overall"],
}
VIEWS["artifact_list"] = (
    "select "
    + ", ".join([f"a.{c}" for c in ARTIFACT_LIST["artifacts"]] + [f"s.{c}" for c in ARTIFACT_LIST["scores"]])
    + "\n  from artifacts a\n  left join scores s on s.artifact_id = a.id"
)
# The columns each view takes from a table as they are (the rest are described in VIEW_DESCRIPTIONS).
VIEW_SOURCES = {
    "comparison_records": {"comparisons": ["id", "a_id", "b_id", "title", "created_at"]},
    "artifact_list": ARTIFACT_LIST,
}
VIEW_DESCRIPTIONS = {
    "comparison_records": (
        "Whole 'A vs B' records: a comparison with both sides' capabilities joined back in.",
        {"record": "the whole comparison record, both capability lists included"},
    ),
    "artifact_list": (
        "Artifacts without their raw API record, with their overall score: the table to browse.",
        {},
    ),
}
FTS_DESCRIPTIONS = {
    "artifacts_fts": "Full-text index of names and capability text (kept current by triggers).",
    "cards_fts": "Full-text index of card bodies (kept current by triggers).",
    "search_fts": "The search order's index: names and capability text, keyed by `search_order.place`.",
}
FACETS = {"artifacts": ["kind", "task", "license", "pricing"], "artifact_list": ["kind", "task", "license", "pricing"]}

# Canned queries: what users ask the database most. Each is read-only SQL with named parameters.
QUERIES = {
    "top_of_task": {
        "title": "Top artifacts of a task",
        "description": "The best-scored artifacts of one task (e.g. question-answering), with their score parts.",
        "sql": """select a.id, a.kind, a.display_name, a.downloads, a.likes, s.overall, s.adoption, s.quality,
       s.ecosystem, s.match_graph
  from artifacts a
  join scores s on s.artifact_id = a.id
 where a.task = :task and a.gone_at is null
 order by s.overall desc, a.id
 limit 100""",
    },
    "changed_since_last_run": {
        "title": "Changed since the last run",
        "description": "Repos committed to since the run before the last finished one started (with one run, "
        "everything), newest first, with their downloads then and now.",
        "sql": """with finished as (
  select id, started_at from crawl_runs where status = 'finished' order by id desc limit 2
), since as (
  select case when count(*) < 2 then '1970-01-01T00:00:00Z' else min(started_at) end as at from finished
)
select a.id, a.kind, a.last_modified, a.sha, a.gone_at,
       (select h.downloads from counter_history h, since
         where h.artifact_id = a.id and datetime(h.seen_at) < datetime(since.at) order by h.run_id desc limit 1) as downloads_then,
       a.downloads as downloads_now
  from artifacts a, since
 where datetime(a.last_modified) >= datetime(since.at) or datetime(a.gone_at) >= datetime(since.at)
 order by a.last_modified desc, a.id
 limit 1000""",
    },
    "fastest_growing": {
        "title": "Fastest-growing by downloads",
        "description": "Artifacts whose 30-day downloads grew most between the first and the last crawl run that "
        "saw them (counter_history).",
        "sql": """with seen as (
  select artifact_id, downloads, seen_at,
         first_value(downloads) over runs as first_downloads,
         first_value(seen_at) over runs as first_seen,
         row_number() over (partition by artifact_id order by run_id desc) as newest
    from counter_history
  window runs as (partition by artifact_id order by run_id)
)
select artifact_id, first_seen, first_downloads, seen_at as last_seen, downloads as last_downloads,
       downloads - first_downloads as gained,
       round(100.0 * (downloads - first_downloads) / max(first_downloads, 1), 1) as percent
  from seen
 where newest = 1 and seen_at > first_seen
 order by gained desc, artifact_id
 limit 100""",
    },
    "trained_on": {
        "title": "Models trained on a dataset",
        "description": "Models that declare a dataset as training data (e.g. squad or datasets/rajpurkar/squad), "
        "as written or as the match graph resolved it, most downloaded first.",
        "sql": """select a.id, a.task, a.downloads, a.likes, s.overall
  from artifacts a
  left join scores s on s.artifact_id = a.id
 where a.kind = 'model' and (
   exists (select 1 from edges e where e.source = a.id and e.kind = 'trained_on'
            and e.target in (:dataset, 'datasets/' || :dataset))
   or exists (select 1 from json_each(coalesce(a.datasets, '[]')) d
               where d.value in (:dataset, substr(:dataset, 10)))
 )
 order by a.downloads desc, a.id
 limit 1000""",
    },
}


def view_columns(name: str) -> dict[str, str]:
    """What each column of a view holds: a column taken from a table is described as that table describes it."""
    taken = {c: SCHEMA[t]["columns"][c][1] for t, columns in VIEW_SOURCES[name].items() for c in columns}
    return taken | VIEW_DESCRIPTIONS[name][1]


def datasette_metadata(database: str) -> dict:
    """Datasette metadata for a database file named `database`, made from the schema so it cannot drift:
    every table, view and full-text index with every column described, facets and canned queries."""
    tables = {}
    for name, spec in SCHEMA.items():
        tables[name] = {"description": spec["description"], "columns": {c: d for c, (_, d) in spec["columns"].items()}}
        if "sort_desc" in spec:
            tables[name]["sort_desc"] = spec["sort_desc"]
    for name in VIEWS:
        tables[name] = {"description": VIEW_DESCRIPTIONS[name][0], "columns": view_columns(name)}
    for name, description in FTS_DESCRIPTIONS.items():
        table = "cards" if name == "cards_fts" else "artifacts"  # search_fts indexes artifacts' columns
        columns = {c: SCHEMA[table]["columns"][c][1] for c in FTS_COLUMNS[table]}
        tables[name] = {"description": description, "columns": columns, "hidden": True}
    for name, facets in FACETS.items():
        tables[name]["facets"] = facets
    tables["artifact_list"]["sort_desc"] = "downloads"
    return {
        "title": "hubcrawl",
        "description": "Hugging Face Hub models and datasets: normalized fields, capabilities with evidence, "
        "scores and comparison records.",
        "databases": {database: {"tables": tables, "queries": QUERIES}},
    }
