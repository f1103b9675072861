from hubcrawl.spiders.hub import COMMON_EXPAND, HubSpider


class DatasetsSpider(HubSpider):
    """`scrapy crawl datasets [-a search=Q] [-a author=A] [-a filter=T1,T2] [-a ids=a/b,c/d] [-a limit=N]`"""

    name = "datasets"
    kind = "dataset"
    collection = "datasets"
    listing_expand = COMMON_EXPAND + ("description", "citation", "paperswithcode_id")
    info_expand = listing_expand + ("usedStorage",)
