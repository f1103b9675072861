"""hubcrawl: crawl the Hugging Face Hub's models and datasets into one SQLite file.

spiders/ navigate, crawler/ parses, normalizes, ranks and renders, db/ holds every SQL statement.
"""
