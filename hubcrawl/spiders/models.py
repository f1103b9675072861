from hubcrawl.spiders.hub import COMMON_EXPAND, HubSpider


class ModelsSpider(HubSpider):
    """`scrapy crawl models [-a search=Q] [-a author=A] [-a filter=T1,T2] [-a ids=a/b,c/d] [-a limit=N]`"""

    name = "models"
    kind = "model"
    collection = "models"
    listing_expand = COMMON_EXPAND + ("pipeline_tag", "library_name", "safetensors", "gguf", "spaces", "inference")
    # Only the per-repo endpoint accepts these (huggingface_hub PR #3182).
    info_expand = listing_expand + ("baseModels", "childrenModelCount", "usedStorage")
