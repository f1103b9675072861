"""The database: schema, upserts and queries, in one place. Everything else calls these functions.

One SQLite file, written through sqlite-utils. Artifacts are keyed by their Hub URL path
(`owner/name`, `datasets/owner/name`), unique on (kind, repo_id), with the Hub's stable `_id`
kept as `hub_id`. Tables that belong to an artifact carry `artifact_id` with a foreign key.

Rooms: `schema` (tables as data, stated once), `connection` (opening, the file's identity, readers
that can only read), `write`, `read`, `runs` (the crawl-run ledger) and `search`. Callers import
what they need from `hubcrawl.db`.
"""

from hubcrawl.db.connection import (  # noqa: F401
    DENIED_FUNCTIONS,
    NAMING_PRAGMAS,
    READ_ACTIONS,
    REPORTING_PRAGMAS,
    SCHEMA_TABLES,
    DatabaseError,
    QueryTimeout,
    check_identity,
    chunked,
    close_db,
    decode_row,
    encode_row,
    ensure_schema,
    is_locked,
    limit_statements,
    open_db,
    open_readonly,
    read_only_authorizer,
    retry_when_locked,
    to_json,
)
from hubcrawl.db.read import (  # noqa: F401
    EXPORTABLE,
    artifact_id_batches,
    artifact_row,
    artifacts_for_pages,
    capability_rows,
    comparison_records,
    comparison_stands,
    comparison_state,
    count_capabilities,
    counter_history,
    ensure_vocab_tables,
    eval_rows,
    export_rows,
    find_artifacts,
    first_time_in_pass,
    get_artifact,
    get_capabilities,
    get_scores,
    get_watermark,
    iter_artifact_rows,
    lineage_edges,
    models_for_details,
    ranked_artifacts,
    renamed_artifacts,
    run_query,
    stage_pairs,
    staged_pairs,
    stored_files,
    stored_sources,
    stored_states,
    times_matched,
    times_matched_after_pass,
)
from hubcrawl.db.runs import add_run_counts, finish_run, get_run, interrupt_stale_runs, list_runs, start_run  # noqa: F401
from hubcrawl.db.schema import APPLICATION_ID, JSON_COLUMNS, SCHEMA, SCHEMA_VERSION  # noqa: F401
from hubcrawl.db.search import CARD_TEXT_WEIGHT, save_search_order, search_artifacts, search_snippet  # noqa: F401
from hubcrawl.db.write import (  # noqa: F401
    ARTIFACT_REFERENCES,
    clear_watermark,
    mark_gone,
    optimize_search_indexes,
    rename_artifact,
    replace_scores,
    save_artifacts,
    save_comparisons,
    save_file,
    save_history,
    save_page,
    save_watermark,
    update_counters,
)
