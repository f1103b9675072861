"""`python -m hubcrawl …` is the `hubcrawl` command."""

from hubcrawl.crawler.cli import main

main()
