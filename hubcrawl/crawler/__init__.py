"""hubcrawl: crawl the Hugging Face Hub into SQLite, normalize, rank and compare."""

__version__ = "0.1.0"
