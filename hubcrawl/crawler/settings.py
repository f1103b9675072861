"""Scrapy settings for hubcrawl (`scrapy crawl …` reads them through scrapy.cfg; `hubcrawl crawl` too).

Politeness is handled by `HubBudgetMiddleware` (the Hub's per-bucket budgets), not by
Scrapy's per-domain delay: all three buckets live on one host but have very different limits.
"""

import platform

from huggingface_hub import __version__ as hf_hub_version

from hubcrawl.crawler import __version__

BOT_NAME = "hubcrawl"
SPIDER_MODULES = ["hubcrawl.spiders"]
NEWSPIDER_MODULE = "hubcrawl.spiders"

# huggingface_hub's user agent format, naming us. Not built with `build_hf_headers`: that call
# fetches the Hub's agent-harness registry over the network, an extra request per process.
USER_AGENT = f"hubcrawl/{__version__}; hf_hub/{hf_hub_version}; python/{platform.python_version()}"
ROBOTSTXT_OBEY = False  # an API client with published budgets, not a page scraper
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # and should it be enabled again: see EXTENSIONS
LOG_LEVEL = "INFO"

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 16
DOWNLOAD_DELAY = 0
# Each callback yields one item or a page of requests: Scrapy's default (100) starts 100 asyncio tasks per
# callback for no gain (about 15% of a crawl's CPU). Responses are still processed side by side, so the
# normalizer processes (HUBCRAWL_NORMALIZE_WORKERS) are kept busy.
CONCURRENT_ITEMS = 1
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated body is an error (and retried), never half-stored
DOWNLOAD_MAXSIZE = 256 * 1024 * 1024  # no listing page comes near it; a hostile endless body stops here
METAREFRESH_ENABLED = False  # a `<meta http-equiv=refresh>` in a card or page is content, not a redirect to follow

RETRY_ENABLED = True
RETRY_TIMES = 4
# 429 is not here: HubBudgetMiddleware waits for the window to reset, then retries.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
# A request that still fails after its retries is recorded on its artifact with a stable error kind and counted in
# the run's summary: not an ERROR line in every cron log.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "hubcrawl.crawler.middlewares.HubAuthMiddleware": 350,
    "hubcrawl.crawler.middlewares.HubBudgetMiddleware": 560,
}
ITEM_PIPELINES = {
    "hubcrawl.crawler.pipelines.SQLitePipeline": 300,
}
# `scrapy check`: each callback's contract asks the Hub at HF_ENDPOINT about the repos HUBCRAWL_CHECK_REPOS names.
SPIDER_CONTRACTS = {
    f"hubcrawl.spiders.contracts.{name}Contract": 10 for name in ("Listing", "Info", "Card", "Page", "File")
}
# Scrapy's components a crawl of the Hub never uses are left out, not merely switched off: each is imported and
# built per crawler (the remote control alone imports aiohttp) or does work on every request and its output.
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,  # replaced by HubProgress
    "scrapy.extensions.telnet.TelnetConsole": None,  # nothing that runs code sent to it listens in an unattended crawl
    "scrapy.extensions.remote_control.RemoteControl": None,  # nor this (Scrapy 2.19 starts it unless told not to)
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    "scrapy.extensions.feedexport.FeedExporter": None,  # items go to SQLite, not to feeds
    "scrapy.extensions.spiderstate.SpiderState": None,  # the incremental state is in the database
    "scrapy.extensions.throttle.AutoThrottle": None,  # HubBudgetMiddleware paces by the Hub's budgets
    "hubcrawl.crawler.runs.RunLedger": 100,
    "hubcrawl.crawler.extensions.HubProgress": 200,
}
DOWNLOAD_HANDLERS = {"s3": None, "ftp": None, "file": None, "data": None}  # the Hub is HTTP(S) only
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,  # an API client sends no Referer
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,  # listings follow `next` links: depth means nothing
    # It warns when a request's meta is copied from a response's; the spiders do that on purpose (a retry of a
    # damaged body carries its retry count), and the warning would land in every cron log.
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}

# hubcrawl's own settings
HUBCRAWL_PAGE_SIZE = 1000  # listing page size asked of the Hub
HUBCRAWL_CARD_MAXSIZE = 2 * 1024 * 1024  # a README larger than this is recorded as card_too_large
HUBCRAWL_BATCH_SIZE = 500  # artifacts per database transaction
# Processes that parse and derive fresh cards beside the crawl (a third of a repo's CPU): -1 is one per core
# besides the crawl's own (at most 4), 0 does it in the crawl process.
HUBCRAWL_NORMALIZE_WORKERS = -1
# They start once the crawl process has spent this many seconds normalizing (0: at once): a worker costs about half a
# second to start and stop, which a small crawl never earns back.
HUBCRAWL_NORMALIZE_WORKERS_AFTER = 1.0
HUBCRAWL_PROGRESS = True  # False (`hubcrawl crawl -q`): no progress at all
HUBCRAWL_PROGRESS_INTERVAL = 10.0  # seconds between progress lines in the log (`scrapy crawl`)
HUBCRAWL_PROGRESS_LOG_INTERVAL = 60.0  # seconds between progress lines when stderr is not a terminal (cron, systemd)
HUBCRAWL_LEDGER_INTERVAL = 5.0  # seconds between updates of the run's row in crawl_runs
HUBCRAWL_MAX_429_RETRIES = 8
HUBCRAWL_MAX_RETRY_AFTER = 300.0  # seconds: the longest wait a 429's Retry-After can impose (one Hub window)
HUBCRAWL_PROGRESS_STDERR = False  # `hubcrawl crawl` prints progress to stderr instead of the log
HUBCRAWL_DB = None  # None: $HUBCRAWL_DB or ./hub.db
HUBCRAWL_CHECK_REPOS = {"model": "openai-community/gpt2", "dataset": "stanfordnlp/imdb"}  # what `scrapy check` asks
HUBCRAWL_RUN_ID = None  # set by `hubcrawl crawl`, which owns the crawl_runs row
HUBCRAWL_WATERMARK_OVERLAP = 600  # seconds re-listed before the last watermark (clock skew between Hub servers)
