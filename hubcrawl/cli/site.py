"""`hubcrawl site`: the static HTML site."""

from __future__ import annotations

import os
from pathlib import Path

import click

from hubcrawl.cli.options import db_option, one_line_errors
from hubcrawl.cli.output import emit
from hubcrawl.crawler.config import db_path, hub_endpoint
from hubcrawl.db import comparison_records, get_artifact, open_readonly, ranked_artifacts


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Artifacts with pages, best-scored first.",
)
@db_option
@one_line_errors
def site(out_dir, limit, db):
    """Render artifact pages and their stored comparison records as a static HTML site in OUT_DIR; pages of
    an earlier run that this one does not write are removed."""
    from hubcrawl.crawler.render import page_file, render_artifact, render_compare, render_index
    from hubcrawl.crawler.views import artifact_page_view

    database = open_readonly(db_path(db))
    top = ranked_artifacts(database, limit)
    if not top:
        raise click.ClickException("no scored artifacts: run `hubcrawl rank` first")
    endpoint = hub_endpoint()
    folders = {name: site_folder(out_dir / name) for name in ("artifacts", "compare")}
    pages = {a["id"]: page_file(a["id"]) for a in top}
    written = {name: set() for name in folders}
    records = comparison_records(database, list(pages))
    by_artifact = {}
    for row in records:
        record = row["record"]
        name = page_file(f"{record['a']['id']}--{record['b']['id']}")
        write_page(folders["compare"] / name, render_compare(record, endpoint, pages, root="../"))
        written["compare"].add(name)
        for side in ("a", "b"):
            by_artifact.setdefault(record[side]["id"], []).append({"file": name, "title": record["title"]})
    for a in top:
        a["file"] = pages[a["id"]]
        view = artifact_page_view(database, get_artifact(database, a["id"]), endpoint)
        write_page(folders["artifacts"] / a["file"], render_artifact(view, by_artifact.get(a["id"], []), pages))
        written["artifacts"].add(a["file"])
    write_page(site_folder(out_dir) / "index.html", render_index("hubcrawl: artifacts by score", top))
    removed = sum(remove_stale_pages(folders[name], written[name]) for name in folders)
    emit(
        f"wrote {len(top)} artifact pages and {len(records)} comparison pages to {out_dir}"
        + (f"; removed {removed} pages of an earlier run" if removed else "")
    )


def remove_stale_pages(folder: Path, written: set[str]) -> int:
    """Remove the pages in one of the site's folders that this run did not write (only `.html` files)."""
    stale = [path for path in folder.glob("*.html") if path.name not in written]
    for path in stale:
        try:
            path.unlink()
        except OSError as exc:
            raise click.ClickException(f"cannot remove {path}: {exc.strerror}") from None
    return len(stale)


def site_folder(path: Path) -> Path:
    """A folder of the site, made if needed; a symlink planted in its place is refused."""
    if path.is_symlink():
        raise click.ClickException(f"{path} is a symbolic link: refusing to write the site through it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot make {path}: {exc.strerror}") from None
    return path


def write_page(path: Path, html: str) -> None:
    """Write one page as a new file: whatever stood at that name (a planted symlink) is replaced, not followed."""
    try:
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
