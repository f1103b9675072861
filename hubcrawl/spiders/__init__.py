"""Scrapy spiders: `models`, `datasets` (and `pages`). They navigate; `crawler/` does the rest."""
