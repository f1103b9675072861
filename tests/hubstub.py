"""A stand-in for the Hugging Face Hub: a real HTTP server on 127.0.0.1 that answers like the Hub.

It serves `/api/models` and `/api/datasets` listings (with `expand[]`, `search`, `author`, `filter`,
`limit` and `Link: rel="next"` cursor pagination), per-repo info (`/api/models/{id}`), cards
through `/{prefix}{id}/resolve/{rev}/README.md`, and repo pages. It can generate thousands of
synthetic repos, plus a set of awkward ones (gated, missing README, broken YAML, non-UTF-8,
huge, renamed …), enforce per-bucket rate limits with the Hub's headers, and inject faults.

Run it alone for benchmarks and manual runs:
    python -m tests.hubstub --models 5000 --datasets 1000 --port 8080
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from hubcrawl.crawler.items import artifact_key

DEFAULT_LISTING_FIELDS = (
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
)
MAX_PAGE_SIZE = 1000

MODEL_TASKS = [
    ("question-answering", "extractive question answering"),
    ("text-classification", "text classification"),
    ("token-classification", "named entity recognition"),
    ("text-generation", "text generation"),
    ("translation", "translation"),
    ("summarization", "summarization"),
    ("image-classification", "image classification"),
    ("automatic-speech-recognition", "speech recognition"),
    ("sentence-similarity", "sentence embeddings"),
    ("fill-mask", "masked language modelling"),
]
LICENSES = ["apache-2.0", "mit", "cc-by-4.0", "cc-by-nc-4.0", "openrail", "other", None]
LANGUAGES = ["en", "de", "fr", "zh", "es", "hi", "vi"]
DATASET_NAMES = ["squad-like", "reviews", "news", "speech", "images", "code", "math"]


@dataclass
class Repo:
    kind: str  # "model" | "dataset"
    record: dict  # the full API record, as /api/{kind}s/{id} would answer it
    card: bytes | None = None  # README bytes; None: no README at all
    card_status: int = 200  # a fixed answer for the card (404, 503 …) instead of the bytes
    renamed_to: str | None = None  # the repo's current id, when it was renamed
    card_location: str | None = None  # an absolute URL the card redirects to (a CDN on another host)
    page_has_props: bool = True  # False: the page lacks the header props (a layout change)
    page_html: str | None = None  # the page exactly as served, instead of the rendered one
    card_self_redirects: int = 0  # the card first redirects to its own URL this many times
    card_always_cut: bool = False  # the card body is always cut short, with a consistent Content-Length
    card_retry_after: str | None = None  # the card's first answer is a 429 with this Retry-After
    files: dict[str, bytes] = field(default_factory=dict)  # other files /resolve/ serves (config.json …)

    @property
    def id(self) -> str:
        return self.record["id"]


@dataclass
class HubData:
    repos: dict[tuple[str, str], Repo] = field(default_factory=dict)
    unlisted: set[tuple[str, str]] = field(default_factory=set)
    # Raw JSON texts put at the head of a kind's first listing page (records no dict can hold)
    raw_listing: dict[str, list[str]] = field(default_factory=dict)
    # Raw JSON texts that replace the string "<raw:NAME>" wherever it stands in a served record
    raw_values: dict[str, str] = field(default_factory=dict)

    def add(self, repo: Repo) -> Repo:
        self.repos[(repo.kind, repo.id)] = repo
        return repo

    def of_kind(self, kind: str) -> list[Repo]:
        """The repos a listing shows: the new name of a renamed repo is not listed (the old one is)."""
        return [r for (k, i), r in self.repos.items() if k == kind and (k, i) not in self.unlisted]

    def get(self, kind: str, repo_id: str) -> Repo | None:
        return self.repos.get((kind, repo_id))


def object_id(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:24]


def commit_sha(seed: str) -> str:
    return hashlib.sha1(("commit:" + seed).encode()).hexdigest()


def card_text(front_matter: dict, body: str) -> str:
    lines = ["---"]
    for key, value in front_matter.items():
        lines.append(f"{key}: {json.dumps(value)}")  # JSON is valid YAML flow style
    lines.append("---")
    return "\n".join(lines) + "\n" + body


# Labels of the classification tasks the stand-in's models have (id2label in their config.json).
TASK_LABELS = {
    "text-classification": ["negative", "positive"],
    "token-classification": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"],
}


def model_config(i: int, task: str) -> dict:
    """A config.json as model families write them: four naming schemes, some quantized."""
    family = i % 4
    if family == 0:  # BERT-like encoder
        config = {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "num_hidden_layers": 12,
            "hidden_size": 768,
            "num_attention_heads": 12,
            "intermediate_size": 3072,
            "max_position_embeddings": 512,
            "vocab_size": 30522,
            "torch_dtype": "float32",
        }
    elif family == 1:  # decoder with grouped-query attention and a sliding window
        config = {
            "architectures": ["MistralForCausalLM"],
            "model_type": "mistral",
            "num_hidden_layers": 32,
            "hidden_size": 4096,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "intermediate_size": 14336,
            "max_position_embeddings": 32768,
            "sliding_window": 4096,
            "vocab_size": 32000,
            "torch_dtype": "bfloat16",
        }
    elif family == 2:  # DistilBERT's names
        config = {
            "architectures": ["DistilBertModel"],
            "model_type": "distilbert",
            "n_layers": 6,
            "dim": 768,
            "n_heads": 12,
            "hidden_dim": 3072,
            "max_position_embeddings": 512,
            "vocab_size": 30522,
        }
    else:  # GPT-2's names
        config = {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "n_layer": 12,
            "n_embd": 768,
            "n_head": 12,
            "n_positions": 1024,
            "vocab_size": 50257,
        }
    if task in TASK_LABELS:
        config["id2label"] = dict(enumerate(TASK_LABELS[task]))
    if i % 7 == 0:
        config["quantization_config"] = {"quant_method": "gptq", "bits": 4}
    return config


def model_repo(i: int, rng: random.Random) -> Repo:
    owner = f"org{i % 50:02d}"
    repo_id = f"{owner}/model-{i:05d}"
    task, task_words = MODEL_TASKS[i % len(MODEL_TASKS)]
    license = LICENSES[i % len(LICENSES)]
    language = LANGUAGES[i % len(LANGUAGES)]
    dataset = f"org{(i * 7) % 50:02d}/dataset-{(i * 7) % 1000:05d}"
    params = rng.randrange(5, 8000) * 1_000_000
    tags = ["transformers", "safetensors", "pytorch", task, language, f"dataset:{dataset}", "region:us"]
    if license:
        tags.append(f"license:{license}")
    if i % 5 == 0:
        tags.append("onnx")
    siblings = ["config.json", "model.safetensors", "pytorch_model.bin", "README.md"]
    if i % 5 == 0:
        siblings.append("onnx/model.onnx")
    front = {"language": [language], "datasets": [dataset], "pipeline_tag": task, "tags": [task]}
    if license:
        front["license"] = license
    body = (
        f"\n# model-{i:05d}\n\n## Model description\n\nA {task_words} model fine-tuned from a base "
        f"encoder. It has {params // 1_000_000}M parameters.\n\n## Intended uses & limitations\n\n"
        f"Use it for {task_words} on {language} text. It is not meant for other languages.\n\n"
        f"## Training data\n\nTrained on {dataset}.\n\n## Citation\n\n```\n@misc{{model{i}}}\n```\n"
    )
    record = {
        "_id": object_id(repo_id),
        "id": repo_id,
        "modelId": repo_id,
        "author": owner,
        "sha": commit_sha(repo_id),
        "lastModified": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00.000Z",
        "createdAt": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00.000Z",
        "private": False,
        "disabled": False,
        "gated": False,
        "downloads": rng.randrange(0, 100_000) if i % 3 else 0,
        "downloadsAllTime": rng.randrange(100_000, 1_000_000),
        "likes": rng.randrange(0, 500),
        "trendingScore": rng.randrange(0, 50),
        "tags": tags,
        "pipeline_tag": task,
        "library_name": "transformers",
        "cardData": front,
        "siblings": [{"rfilename": s} for s in siblings],
        "safetensors": {"parameters": {"F32": params}, "total": params},
        "spaces": [f"org{i % 7}/space-{i % 11}"] if i % 4 == 0 else [],
        "baseModels": None,
        "childrenModelCount": i % 3,
        "usedStorage": params * 4,
    }
    config = json.dumps(model_config(i, task), indent=2).encode()
    return Repo("model", record, card_text(front, body).encode(), files={"config.json": config})


def dataset_repo(i: int, rng: random.Random) -> Repo:
    owner = f"org{i % 50:02d}"
    repo_id = f"{owner}/dataset-{i:05d}"
    topic = DATASET_NAMES[i % len(DATASET_NAMES)]
    rows = rng.randrange(1_000, 5_000_000)
    language = LANGUAGES[i % len(LANGUAGES)]
    license = LICENSES[i % len(LICENSES)]
    task = MODEL_TASKS[i % len(MODEL_TASKS)][0]
    front = {
        "language": [language],
        "task_categories": [task],
        "size_categories": ["1M<n<10M" if rows >= 1_000_000 else "100K<n<1M" if rows >= 100_000 else "1K<n<10K"],
        "dataset_info": {"splits": [{"name": "train", "num_examples": rows, "num_bytes": rows * 200}]},
    }
    if license:
        front["license"] = license
    tags = [f"task_categories:{task}", f"language:{language}", "format:parquet", "modality:text", "region:us"]
    if license:
        tags.append(f"license:{license}")
    body = (
        f"\n# dataset-{i:05d}\n\n## Dataset description\n\nA {topic} corpus of {rows} examples in {language}.\n\n"
        f"## Dataset structure\n\nOne split, `train`.\n\n## Licensing information\n\n{license or 'Not stated'}.\n"
    )
    record = {
        "_id": object_id("datasets/" + repo_id),
        "id": repo_id,
        "author": owner,
        "sha": commit_sha("datasets/" + repo_id),
        "lastModified": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T11:00:00.000Z",
        "createdAt": "2022-03-02T23:29:04.000Z" if i % 10 == 0 else f"2023-{1 + i % 12:02d}-01T00:00:00.000Z",
        "private": False,
        "disabled": False,
        "gated": False,
        "downloads": rng.randrange(0, 50_000),
        "downloadsAllTime": rng.randrange(50_000, 500_000),
        "likes": rng.randrange(0, 300),
        "trendingScore": rng.randrange(0, 20),
        "tags": tags,
        "cardData": front,
        "siblings": [{"rfilename": "README.md"}, {"rfilename": "data/train-00000-of-00001.parquet"}],
        "description": f"A {topic} corpus.",
        "citation": None,
        "paperswithcode_id": None,
        "usedStorage": rows * 200,
    }
    return Repo("dataset", record, card_text(front, body).encode())


def awkward_repos() -> list[Repo]:
    """Repos that exercise every failure the crawler must survive. Keyed by their `stub-faults/` ids."""
    rng = random.Random(99)
    out = []

    def model(name: str, **changes) -> Repo:
        base = model_repo(90_000 + len(out), rng)
        repo_id = f"stub-faults/{name}"
        base.record.update(
            id=repo_id, modelId=repo_id, author="stub-faults", _id=object_id(repo_id), sha=commit_sha(repo_id)
        )
        for key, value in changes.items():
            setattr(base, key, value) if hasattr(base, key) and key != "record" else base.record.update({key: value})
        out.append(base)
        return base

    model("gated-model", gated="manual", card_status=401)
    model("no-readme", siblings=[{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}])
    model("readme-404", card_status=404)
    model("always-503", card_status=503)
    model(
        "broken-yaml", card=b"---\nlicense: mit\ntags: [unclosed\n  - x: : y\n---\n\n# Broken\n\nThe body survives.\n"
    )
    model("list-yaml", card=b"---\n- just\n- a list\n---\n\n# A list for metadata\n")
    model("bom-card", card="\ufeff---\nlicense: apache-2.0\n---\n\n# BOM card\n".encode())
    model("latin1-card", card="---\nlicense: mit\n---\n\n# Caf\xe9 cr\xe8me\n".encode("latin-1"))
    model("huge-card", card=b"---\nlicense: mit\n---\n\n" + b"x" * (3 * 1024 * 1024))
    model("bad-model-index", card=b"---\nlicense: mit\nmodel-index:\n- name: x\n  results: nope\n---\n\n# Bad index\n")
    model("no-front-matter", card=b"# Plain card\n\nNo metadata here.\n")
    model("page-without-props", page_has_props=False)
    model("bad-config", files={"config.json": b'{"num_hidden_layers": 12, "hidden_size": '})
    model("odd-config", files={"config.json": b'{"num_hidden_layers": "twelve", "hidden_size": 768}'})
    renamed = model("renamed-old")
    renamed.renamed_to = "stub-faults/renamed-new"
    gated_ds = dataset_repo(90_500, rng)
    gated_ds.record.update(id="stub-faults/gated-dataset", _id=object_id("gd"), gated="auto")
    gated_ds.card_status = 401
    out.append(gated_ds)
    return out


def make_hub(models: int = 100, datasets: int = 20, *, awkward: bool = True, seed: int = 0) -> HubData:
    rng = random.Random(seed)
    data = HubData()
    for i in range(models):
        data.add(model_repo(i, rng))
    for i in range(datasets):
        data.add(dataset_repo(i, rng))
    if awkward:
        for repo in awkward_repos():
            data.add(repo)
            if repo.renamed_to:  # the new name answers too, with the same _id
                moved = Repo(
                    repo.kind,
                    dict(repo.record, id=repo.renamed_to, modelId=repo.renamed_to),
                    repo.card,
                    files=repo.files,
                )
                data.repos[(repo.kind, repo.renamed_to)] = moved
                data.unlisted.add((repo.kind, repo.renamed_to))
    return data


@dataclass
class Faults:
    """Deterministic fault injection: a request path fails on its first `attempts` tries with these rates."""

    error_rate: float = 0.0  # 5xx answers
    truncate_rate: float = 0.0  # Content-Length larger than the body sent, then the connection closes
    malformed_rate: float = 0.0  # a JSON body cut short, with a matching Content-Length
    cut_rate: float = 0.0  # any 200 body cut short with a matching Content-Length (a proxy's doing)
    attempts: int = 1
    seed: int = 0

    def draw(self, path: str, attempt: int) -> str | None:
        if attempt >= self.attempts:
            return None
        x = int(hashlib.sha1(f"{self.seed}:{attempt}:{path}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        if x < self.error_rate:
            return "error"
        if x < self.error_rate + self.truncate_rate:
            return "truncate"
        if x < self.error_rate + self.truncate_rate + self.malformed_rate:
            return "malformed"
        if x < self.error_rate + self.truncate_rate + self.malformed_rate + self.cut_rate:
            return "cut"
        return None


class RateLimiter:
    """The Hub's fixed windows per bucket, with its `RateLimit` / `RateLimit-Policy` headers."""

    def __init__(self, limits: dict[str, tuple[int, int]]) -> None:
        self.limits = limits
        self.windows: dict[str, tuple[float, int]] = {}
        self.lock = threading.Lock()

    def take(self, bucket: str) -> tuple[bool, dict[str, str]]:
        if bucket not in self.limits:
            return True, {}
        quota, window = self.limits[bucket]
        with self.lock:
            now = time.time()
            start = now - now % window
            w_start, used = self.windows.get(bucket, (start, 0))
            if w_start != start:
                used = 0
            allowed = used < quota
            if allowed:
                used += 1
            self.windows[bucket] = (start, used)
        reset = max(1, int(start + window - now + 0.999))
        return allowed, {
            "RateLimit": f'"{bucket}";r={quota - used};t={reset}',
            "RateLimit-Policy": f'"fixed window";"{bucket}";q={quota};w={window}',
        }


# HUBCRAWL_BUDGETS for a crawl of the stand-in that no budget slows (tests and benchmarks).
UNLIMITED_BUDGETS = "api=1000000/300,resolvers=1000000/300,pages=1000000/300"


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a crawler opening 16 connections at once would lose SYNs and wait a
    # second for each retransmission, a stall the Hub's servers never cause.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        """A client that hangs up mid-answer (an aborted oversize download) is normal, not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StubHub:
    """The server. `with StubHub(make_hub(…)) as hub:` then point HF_ENDPOINT at `hub.url`."""

    def __init__(
        self,
        data: HubData,
        *,
        faults: Faults | None = None,
        rate_limits: dict[str, tuple[int, int]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        card_delay: float = 0.0,
        latency: float = 0.0,
    ):
        self.data = data
        self.card_delay = card_delay  # seconds each card answer takes (to catch a crawl midway)
        self.latency = latency  # seconds every answer waits first: a network round trip
        self.faults = faults or Faults()
        self.limiter = RateLimiter(rate_limits or {})
        self.log: list[dict] = []  # one entry per request: path, bucket, status, authorization
        self.attempts: Counter = Counter()
        self.lock = threading.Lock()
        self.sorted_cache: dict = {}
        handler = type("Handler", (HubHandler,), {"hub": self})
        self.server = QuietServer((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubHub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StubHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def touch(self, kind: str, repo_id: str, when: str) -> None:
        """A new commit on a repo: new sha, lastModified and card text (as a push to the Hub would)."""
        repo = self.data.get(kind, repo_id)
        repo.record["sha"] = commit_sha(repo_id + when)
        repo.record["lastModified"] = when
        repo.card = (repo.card or b"") + f"\n\n## Changelog\n\nUpdated at {when}.\n".encode()
        with self.lock:
            self.sorted_cache.clear()

    def listed_keys(self) -> set[str]:
        """The database keys of every repo the listings show."""
        repos = self.data.repos.values()
        return {artifact_key(r.kind, r.id) for r in repos if (r.kind, r.id) not in self.data.unlisted}

    def requests(self, bucket: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.log if bucket is None or r["bucket"] == bucket]


def bucket_of(path: str) -> str:
    if "/resolve/" in path:
        return "resolvers"
    if path.startswith("/api/"):
        return "api"
    return "pages"


class HubHandler(BaseHTTPRequestHandler):
    hub: StubHub
    protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy expects from a real server
    # Headers and body go out as two writes: with Nagle's algorithm the body would wait for the client's
    # delayed ACK (40 ms on Linux), a stall no real server adds.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        if self.hub.latency:
            time.sleep(self.hub.latency)
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qsl(parts.query, keep_blank_values=True)
        bucket = bucket_of(path)
        with self.hub.lock:
            attempt = self.hub.attempts[self.path]
            self.hub.attempts[self.path] += 1
        self.entry = {
            "path": self.path,
            "bucket": bucket,
            "authorization": self.headers.get("Authorization"),
            "status": None,
            "at": time.time(),
        }
        with self.hub.lock:
            self.hub.log.append(self.entry)

        allowed, rate_headers = self.hub.limiter.take(bucket)
        self.extra_headers = rate_headers
        if not allowed:
            reset = rate_headers["RateLimit"].rsplit("t=", 1)[1]
            self.extra_headers = dict(rate_headers, **{"Retry-After": reset})
            return self.send_json(429, {"error": "Too Many Requests"})
        self.fault = self.hub.faults.draw(self.path, attempt)
        if self.fault == "error":
            return self.send_json(503, {"error": "Service Unavailable"})
        try:
            self.route(path, dict_multi(query))
        except BrokenPipeError:
            pass

    def route(self, path: str, query: dict[str, list[str]]):
        path = unquote(path)
        for prefix, kind in (("/api/models", "model"), ("/api/datasets", "dataset")):
            if path == prefix:
                return self.listing(kind, query)
            if path.startswith(prefix + "/"):
                return self.info(kind, path[len(prefix) + 1 :], query)
        kind, rest = ("dataset", path[len("/datasets/") :]) if path.startswith("/datasets/") else ("model", path[1:])
        if "/resolve/" in rest:
            repo_id, _, file_part = rest.partition("/resolve/")
            revision, _, filename = file_part.partition("/")
            return self.card(kind, repo_id, revision, filename)
        return self.page(kind, rest)

    # -- endpoints ---------------------------------------------------------------------------

    def listing(self, kind: str, query: dict[str, list[str]]):
        repos = self.matching(kind, query)
        try:
            offset = int(base64.urlsafe_b64decode(query.get("cursor", ["MA=="])[0]).decode())
            size = min(int(query.get("limit", [MAX_PAGE_SIZE])[0]), MAX_PAGE_SIZE)
        except ValueError:
            return self.send_json(400, {"error": "bad cursor or limit"})
        page = repos[offset : offset + size]
        fields = query.get("expand[]") or query.get("expand") or list(DEFAULT_LISTING_FIELDS)
        body = [self.project(r.record, fields) for r in page]
        raw = self.hub.data.raw_listing.get(kind, []) if offset == 0 else []
        headers = {}
        if offset + size < len(repos):
            next_query = [(k, v) for k, vs in query.items() if k != "cursor" for v in vs]
            next_query.append(("cursor", base64.urlsafe_b64encode(str(offset + size).encode()).decode()))
            host = self.headers.get("Host")
            encoded = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in next_query)
            headers["Link"] = f'<http://{host}/api/{kind}s?{encoded}>; rel="next"'
        self.send_json(200, body, headers, raw_head=raw)

    def matching(self, kind: str, query: dict[str, list[str]]) -> list[Repo]:
        key = (
            kind,
            tuple(sorted((k, tuple(v)) for k, v in query.items() if k in ("search", "author", "filter", "sort"))),
        )
        with self.hub.lock:
            if key in self.hub.sorted_cache:
                return self.hub.sorted_cache[key]
        repos = self.hub.data.of_kind(kind)
        search = (query.get("search") or [""])[0].lower()
        author = (query.get("author") or [None])[0]
        filters = query.get("filter") or []
        repos = [
            r
            for r in repos
            if (not search or search in r.id.lower())
            and (author is None or r.id.split("/")[0] == author)
            and all(f in r.record.get("tags", []) or f == r.record.get("pipeline_tag") for f in filters)
        ]
        sort = (query.get("sort") or [None])[0]
        if sort in ("lastModified", "createdAt", "downloads", "likes"):
            repos = sorted(repos, key=lambda r: str(r.record.get(sort) or ""), reverse=True)
        with self.hub.lock:
            self.hub.sorted_cache[key] = repos
        return repos

    def info(self, kind: str, repo_id: str, query: dict[str, list[str]]):
        repo = self.hub.data.get(kind, repo_id)
        if repo is None:
            return self.send_json(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        if repo.renamed_to:
            location = f"/api/{kind}s/{repo.renamed_to}" + (f"?{urlsplit(self.path).query}" if "?" in self.path else "")
            return self.send_bytes(301, b"", "text/plain", {"Location": location})
        fields = query.get("expand[]") or query.get("expand")
        self.send_json(200, self.project(repo.record, fields) if fields else repo.record)

    def card(self, kind: str, repo_id: str, revision: str, filename: str):
        if self.hub.card_delay:
            time.sleep(self.hub.card_delay)
        repo = self.hub.data.get(kind, repo_id)
        if repo is None:
            return self.send_json(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        if repo.renamed_to:
            prefix = "/datasets/" if kind == "dataset" else "/"
            return self.send_bytes(
                307, b"", "text/plain", {"Location": f"{prefix}{repo.renamed_to}/resolve/{revision}/{filename}"}
            )
        if repo.card_location:
            return self.send_bytes(302, b"", "text/plain", {"Location": repo.card_location})
        if repo.card_retry_after and self.hub.attempts[self.path] == 1:
            return self.send_json(429, {"error": "Too Many Requests"}, {"Retry-After": repo.card_retry_after})
        if repo.card_self_redirects and self.hub.attempts[self.path] <= repo.card_self_redirects:
            return self.send_bytes(302, b"", "text/plain", {"Location": self.path})
        if revision not in ("main", repo.record["sha"]):
            return self.send_json(404, {"error": "Revision not found"}, {"X-Error-Code": "RevisionNotFound"})
        if repo.card_status == 401:
            return self.send_json(
                401, {"error": "Cannot access gated repo. Please log in."}, {"X-Error-Code": "GatedRepo"}
            )
        if filename != "README.md":  # a config file: its own answer, whatever the card's
            if filename not in repo.files:
                return self.send_json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
            body = repo.files[filename]
            return self.send_bytes(200, body, "application/json", {"ETag": f'"{git_blob_id(body)}"'})
        if repo.card_status != 200:
            code = {"X-Error-Code": "EntryNotFound"} if repo.card_status == 404 else {}
            return self.send_json(repo.card_status, {"error": "unavailable"}, code)
        if repo.card is None:
            return self.send_json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
        if repo.card_always_cut:
            self.fault = "cut"
        # The Hub names a regular file by its git blob id (hub-api.md §2.2), whatever reaches the client.
        self.send_bytes(200, repo.card, "text/plain; charset=utf-8", {"ETag": f'"{git_blob_id(repo.card)}"'})

    def page(self, kind: str, repo_id: str):
        repo = self.hub.data.get(kind, repo_id)
        if repo is None:
            return self.send_bytes(404, b"<html><body>404</body></html>", "text/html; charset=utf-8")
        self.send_bytes(200, (repo.page_html or render_page(repo)).encode(), "text/html; charset=utf-8")

    # -- writing -----------------------------------------------------------------------------

    @staticmethod
    def project(record: dict, fields) -> dict:
        out = {"_id": record["_id"], "id": record["id"]}
        out.update({f: record[f] for f in fields if f in record})
        return out

    def send_json(self, status: int, body, headers: dict | None = None, raw_head: list[str] = ()):
        text = json.dumps(body)
        for name, raw in self.hub.data.raw_values.items():
            text = text.replace(json.dumps(f"<raw:{name}>"), raw)
        if raw_head:
            text = "[" + ",".join(raw_head) + ("," if text != "[]" else "") + text[1:]
        data = text.encode()
        if status == 200 and self.fault == "malformed":
            data = data[: max(1, len(data) // 2)]
        self.send_bytes(status, data, "application/json", headers)

    def send_bytes(self, status: int, data: bytes, content_type: str, headers: dict | None = None):
        self.entry["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in {**self.extra_headers, **(headers or {})}.items():
            self.send_header(key, value)
        if status == 200 and self.fault == "cut":
            data = data[: len(data) // 2]  # the length below matches: only the ETag tells
        if status == 200 and self.fault == "truncate":
            self.send_header("Content-Length", str(len(data) + 100))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def render_page(repo: Repo) -> str:
    """A repo page shaped like the Hub's: a header Svelte island with JSON props, then the rendered card."""
    record = repo.record
    target = "ModelHeader" if repo.kind == "model" else "DatasetHeader"
    obj = dict(
        record,
        cardExists=repo.card is not None,
        tag_objs=[
            {"id": t, "type": "arxiv", "extra": {"paperTitle": f"Paper {t.split(':')[1]}"}}
            if t.startswith("arxiv:")
            else {"id": t, "type": "other"}
            for t in record.get("tags", [])
        ],
    )
    if repo.kind == "dataset":
        rows = sum(s["num_examples"] for s in record.get("cardData", {}).get("dataset_info", {}).get("splits", []))
        obj["datasetsServerInfo"] = {
            "viewer": "viewer",
            "numRows": rows,
            "libraries": ["datasets", "pandas"],
            "formats": ["parquet"],
            "modalities": ["text"],
        }
    props = {
        "activeTab": "modelCard" if repo.kind == "model" else "datasetCard",
        repo.kind: obj,
        "discussionsStats": {"open": 2, "closed": 1, "total": 3},
    }
    header = (
        (
            f'<div class="SVELTE_HYDRATER contents" data-target="{target}" '
            f'data-props="{html.escape(json.dumps(props), quote=True)}"></div>'
        )
        if repo.page_has_props
        else ""
    )
    card = ""
    if repo.card is not None:
        text = repo.card.decode("utf-8", errors="replace").split("---", 2)[-1]
        paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
        card = f'<section><div class="py-4 prose hf-sanitized"><div class="not-prose">metadata</div>{paragraphs}</div></section>'
    return f"<!doctype html><html><head><title>{html.escape(repo.id)}</title></head><body>{header}<main>{card}</main></body></html>"


def dict_multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="wait this long before every answer")
    args = parser.parse_args()
    hub = StubHub(make_hub(args.models, args.datasets), port=args.port, latency=args.latency_ms / 1000).start()
    print(hub.url, flush=True)
    try:
        hub.thread.join()
    except KeyboardInterrupt:
        hub.stop()


if __name__ == "__main__":
    main()


def realworld_repos(realworld_dir) -> list[Repo]:
    """The real cards of ../shared/realworld as Hub repos (read at run time; nothing is copied here).

    Counters are made up deterministically; everything else comes from the card and its facts file.
    """
    from pathlib import Path

    rng = random.Random(2026)
    out = []
    for card_path in sorted(Path(realworld_dir, "cards").glob("*.md")):
        facts = json.loads(Path(realworld_dir, "facts", card_path.stem + ".json").read_text())
        repo_id, kind = facts["id"], facts["kind"]
        licenses = (
            facts["license"] if isinstance(facts["license"], list) else [facts["license"]] if facts["license"] else []
        )
        tags = [f"license:{name}" for name in licenses] + ([facts["pipeline_tag"]] if facts.get("pipeline_tag") else [])
        record = {
            "_id": object_id(f"{kind}:{repo_id}"),
            "id": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit_sha(f"{kind}:{repo_id}"),
            "lastModified": "2025-06-01T00:00:00.000Z",
            "createdAt": "2022-03-02T23:29:04.000Z",
            "private": False,
            "disabled": False,
            "gated": "manual" if facts.get("gated") else False,
            "downloads": rng.randrange(1_000, 5_000_000),
            "downloadsAllTime": rng.randrange(5_000_000, 50_000_000),
            "likes": rng.randrange(10, 5_000),
            "tags": tags,
            "siblings": [{"rfilename": "README.md"}],
        }
        if kind == "model":
            record.update(pipeline_tag=facts.get("pipeline_tag"), library_name=facts.get("library_name"))
        out.append(Repo(kind, record, card_path.read_bytes()))
    return out


DEEP = 100_000  # nesting far past any parser's recursion limit


def hostile_hub(data: HubData) -> dict[str, str]:
    """Add one repo for each kind of hostile input a crawl of the whole Hub meets (issue 9), and
    return what each one's artifact row must say: {artifact id: error kind it must carry}."""
    rng = random.Random(9)
    expect: dict[str, str] = {}

    def model(name: str, expected: str | None, card: str | None = None, **record) -> Repo:
        repo = model_repo(95_000 + len(expect), rng)
        repo_id = f"stub-hostile/{name}"
        repo.record.update(
            id=repo_id, modelId=repo_id, _id=object_id(repo_id), sha=commit_sha(repo_id), author="stub-hostile"
        )
        repo.record.update(record)
        if card is not None:
            repo.card = card.encode()
        data.add(repo)
        expect[repo_id] = expected
        return repo

    body = "\n# A card\n\nA model card body that survives whatever its front matter holds.\n"
    model(
        "date-keys",
        None,
        "---\nchangelog: {2024-01-15: initial release, 2024-02-01 10:00:00: fix}\n"
        "? !!binary aGVsbG8=\n: binary key\nlicense: mit\n---\n" + body,
    )
    model(
        "huge-numbers",
        "value_out_of_range",
        "---\nlicense: mit\n---\n\nIt has 99999999999 billion parameters.\n",
        likes=2**64,
        downloads=2**70,
        safetensors={"parameters": {"F32": 2**64}, "total": 2**64},
    )
    model(
        "alias-bomb",
        "card_yaml_bounds",
        "---\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(9))
        + "---\n"
        + body,
    )
    model("deep-yaml", "card_yaml_bounds", "---\na: " + "[" * 500 + "]" * 500 + "\n---\n" + body)
    model("deeper-yaml", "card_yaml", "---\na: " + "[" * 5000 + "]" * 5000 + "\n---\n" + body)
    model("self-alias", "card_yaml_bounds", "---\na: &x [*x]\n---\n" + body)
    model(
        "nan-evals",
        None,
        "---\nlicense: mit\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
        "    dataset: {type: glue, name: GLUE}\n    metrics:\n    - {type: accuracy, value: .nan}\n"
        "    - {type: f1, value: .inf}\n    - {type: precision, value: 0.5}\n---\n" + body,
    )
    model("bad-counters", "record_field_invalid", likes=-1, downloads="lots")
    model("null-sibling", "record_field_invalid", siblings=[None, {"rfilename": "README.md"}])
    model("string-carddata", "record_field_invalid", cardData="a string")
    model("int-date", "record_field_invalid", lastModified=12345)
    model("far-future", None, lastModified="2999-01-01T00:00:00.000Z")
    model("self-redirect", None).card_self_redirects = 1
    model("cut-card", "card_integrity", lastModified="2020-01-01T00:00:00.000Z").card_always_cut = True
    model("retry-after-inf", None).card_retry_after = "inf"
    model("retry-after-long", None).card_retry_after = "100000"
    data.raw_values["deep"] = '{"a": ' + "[" * DEEP + "]" * DEEP + "}"
    model("deep-carddata", "record_too_deep", cardData="<raw:deep>")

    pages = {
        "odd-props": {"model": {"gguf": "a string", "config": ["a", "list"], "likes": "many"}, "discussionsStats": 5},
        "list-props": ["props", "as", "a", "list"],
    }
    # The most downloaded repos: a pages pass visits them first, however few pages it visits.
    top = {"downloads": 10**12}
    for name, props in pages.items():
        repo = model(name, "page_bad_props" if isinstance(props, list) else None, **top)
        repo.page_html = (
            f'<div class="SVELTE_HYDRATER contents" data-target="ModelHeader" '
            f'data-props="{html.escape(json.dumps(props), quote=True)}"></div>'
        )
    deep_props = '{"model": {"config": ' + "[" * DEEP + "]" * DEEP + "}}"
    model(
        "deep-props", "page_props_too_deep", **top
    ).page_html = (
        f'<div class="SVELTE_HYDRATER contents" data-target="ModelHeader" data-props="{html.escape(deep_props)}"></div>'
    )
    model(
        "meta-refresh", "page_no_props", **top
    ).page_html = '<html><head><meta http-equiv="refresh" content="0; url=http://127.0.0.2:9/elsewhere"></head><body></body></html>'

    dataset = dataset_repo(95_900, rng)
    dataset.record.update(id="stub-hostile/splits-five", _id=object_id("splits-five"), sha=commit_sha("splits-five"))
    dataset.card = (
        "---\nlicense: mit\ndataset_info: {splits: 5, dataset_size: " + str(2**70) + "}\n---\n" + body
    ).encode()
    data.add(dataset)
    expect["datasets/stub-hostile/splits-five"] = "value_out_of_range"  # its dataset_size

    # Listing records no repo can be made of, and one repo listed twice.
    data.raw_listing["model"] = [
        json.dumps({"_id": "x1", "id": ["a", "list"]}),
        json.dumps({"_id": "x2", "id": "a/b?x=1#y"}),
        json.dumps(data.get("model", "stub-hostile/date-keys").record),
    ]
    return expect
