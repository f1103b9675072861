"""The house matches the flow it claims: spider → item → parse/normalize → pipeline → db, with
nothing importing upwards. Read from the source itself (every import statement of the package)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "hubcrawl"
# Pure stages: bytes or records in, structures out. No database, no Scrapy, no environment, no clock.
PURE = {"validate", "errors", "items", "cards", "pages", "normalize", "capabilities"}
# What a spider may never reach for: storage and derivation belong to later stages.
NOT_FOR_SPIDERS = (
    "hubcrawl.db",
    "hubcrawl.crawler.normalize",
    "hubcrawl.crawler.capabilities",
    "hubcrawl.crawler.cards",
    "hubcrawl.crawler.pages",
    "hubcrawl.crawler.pipelines",
    "hubcrawl.crawler.ranking",
    "hubcrawl.crawler.compare",
    "hubcrawl.crawler.render",
    "hubcrawl.cli",
)


def imports() -> dict[str, set[str]]:
    """Module name -> the modules it imports (absolute names)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        out[module] = names
    return out


def test_spiders_only_navigate():
    for module, names in imports().items():
        if module.startswith("hubcrawl.spiders"):
            assert not [n for n in names if n.startswith(NOT_FOR_SPIDERS)], module


def test_the_database_layer_imports_nothing_above_it():
    for module, names in imports().items():
        if module.startswith("hubcrawl.db"):
            assert not [n for n in names if n.startswith(("hubcrawl.crawler", "hubcrawl.spiders"))], module


def test_only_the_cli_knows_the_spiders():
    for module, names in imports().items():
        if module.startswith(("hubcrawl.crawler", "hubcrawl.db")):
            assert not [n for n in names if n.startswith("hubcrawl.spiders")], module


def test_pure_stages_touch_no_database_scrapy_environment_or_clock():
    found = imports()
    for name in PURE:
        names = found[f"hubcrawl.crawler.{name}"]
        assert not [
            n
            for n in names
            if n.startswith(
                ("hubcrawl.db", "scrapy", "os", "hubcrawl.crawler.clock", "hubcrawl.crawler.state", "sqlite")
            )
        ], name
        source = (PACKAGE / "crawler" / f"{name}.py").read_text()
        assert "hub_endpoint(" not in source and "datetime.now(" not in source and "os.environ" not in source, name


def test_nothing_imports_the_cli():
    for module, names in imports().items():
        if not module.startswith("hubcrawl.cli") and module != "hubcrawl.__main__":
            assert not [n for n in names if n.startswith("hubcrawl.cli")], module
