"""The site's charts, laid out as data before any template sees them."""

from __future__ import annotations

from hubcrawl.crawler.render import LINEAGE, TREND, lineage_graph, trend_chart


def test_trend_places_runs_by_time_from_a_zero_baseline():
    history = [
        {"seen_at": "2026-11-01T00:00:00Z", "downloads": 500},
        {"seen_at": "not a time", "downloads": 900},  # unreadable: left out, not a crash
        {"seen_at": "2026-11-03T00:00:00Z", "downloads": 1000},
        {"seen_at": "2026-11-29T00:00:00Z", "downloads": 1000},
    ]
    chart = trend_chart(history)
    xs = [p["x"] for p in chart["points"]]
    assert len(xs) == 3 and xs[0] == TREND["left"] and xs[-1] == TREND["width"] - TREND["right"]
    assert xs[1] - xs[0] < (xs[2] - xs[1]) / 5  # two days, then 26: spaced by time, not by run
    top, bottom = TREND["top"], TREND["height"] - TREND["bottom"]
    assert chart["points"][-1]["y"] == top and chart["points"][0]["y"] == (top + bottom) / 2  # 500 is half of 1,000
    assert chart["caption"].startswith("30-day downloads as 3 crawl runs saw them, from 500 on 2026-11-01 to 1K")
    assert trend_chart([]) is None
    single = trend_chart(history[:1])
    assert single["points"][0]["x"] == TREND["left"] + (TREND["width"] - TREND["left"] - TREND["right"]) / 2
    assert single["caption"].startswith("One crawl run has seen it so far")


def test_lineage_links_each_box_to_its_page_or_the_hub():
    def node(i):
        return {"id": f"o/m{i}", "repo_id": f"o/m{i}", "url": f"https://hub/o/m{i}"}

    view = {
        "repo_id": "o/me",
        "lineage": {
            "upstream": [{"label": "Trained on", "nodes": [node(1), node(2), node(3)]}],
            "downstream": [{"label": "Built on it", "nodes": [node(4)]}],
        },
    }
    graph = lineage_graph(view, {"o/m2": "o__m2-abc.html"}, "../")
    boxes = {n["name"]: n for n in graph["nodes"]}
    assert boxes["o/m2"]["link"] == "../artifacts/o__m2-abc.html" and boxes["o/m1"]["link"] == "https://hub/o/m1"
    # Two a row: m1 and m2 side by side, m3 below m1; the artifact between the sides, m4 below it.
    assert boxes["o/m1"]["y"] == boxes["o/m2"]["y"] < boxes["o/m3"]["y"] < graph["centre"]["y"] < boxes["o/m4"]["y"]
    assert boxes["o/m1"]["x"] == boxes["o/m3"]["x"] == 0 and boxes["o/m2"]["x"] + LINEAGE["node_w"] == LINEAGE["width"]
    assert len(graph["lines"]) == 4 and graph["height"] > boxes["o/m4"]["y"] + LINEAGE["node_h"]
    assert lineage_graph({"repo_id": "x", "lineage": {"upstream": [], "downstream": []}}, {}, "../") is None
