"""`python -m hubcrawl …` is the `hubcrawl` command."""

from hubcrawl.cli import main

main()
