"""Card parsing: huggingface_hub does the work; we check what a broken card still gives."""

from hubcrawl.crawler.cards import decode_card, parse_card


def test_card_with_front_matter_splits_metadata_and_body():
    parsed = parse_card("model", "---\nlicense: mit\nlanguage: [en, de]\n---\n\n# Title\n\nBody text.\n")
    assert parsed.front_matter == {"license": "mit", "language": ["en", "de"]}
    assert parsed.body.strip() == "# Title\n\nBody text."
    assert parsed.has_front_matter and parsed.errors == []


def test_broken_yaml_keeps_the_body_and_records_the_line():
    parsed = parse_card("model", "---\nlicense: mit\ntags: [a\n  - b: : c\n---\n\n# Still here\n")
    assert parsed.front_matter == {}
    assert not parsed.readable
    assert "# Still here" in parsed.body
    [error] = parsed.errors
    assert error["kind"] == "card_yaml"
    assert "line" in error["detail"]


def test_yaml_that_is_not_a_mapping_is_recorded():
    parsed = parse_card("dataset", "---\n- a\n- b\n---\nbody\n")
    assert [e["kind"] for e in parsed.errors] == ["card_not_mapping"]
    assert parsed.body.strip() == "body"


def test_bom_does_not_hide_the_front_matter():
    text, errors = decode_card("\ufeff---\nlicense: apache-2.0\n---\nhello\n".encode())
    parsed = parse_card("model", text)
    assert errors == []
    assert parsed.front_matter == {"license": "apache-2.0"}


def test_bom_in_text_is_stripped_by_the_parser_too():
    assert parse_card("model", "\ufeff---\nlicense: mit\n---\nx").front_matter == {"license": "mit"}


def test_non_utf8_bytes_are_replaced_and_recorded():
    text, errors = decode_card("---\nlicense: mit\n---\nCaf\xe9\n".encode("latin-1"))
    assert "Caf\ufffd" in text
    assert errors[0]["kind"] == "card_not_utf8"
    assert parse_card("model", text).front_matter == {"license": "mit"}


def test_card_without_front_matter_is_all_body():
    parsed = parse_card("model", "# Just a title\n\nSome words.\n")
    assert parsed.front_matter == {} and not parsed.has_front_matter
    assert parsed.errors == []
    assert parsed.body.startswith("# Just a title")


def test_invalid_model_index_keeps_other_metadata():
    parsed = parse_card("model", "---\nlicense: mit\nmodel-index:\n- name: x\n  results: nope\n---\nbody\n")
    assert [e["kind"] for e in parsed.errors] == ["card_metadata"]
    assert parsed.front_matter.get("license") == "mit"


def test_valid_model_index_becomes_eval_results():
    text = """---
license: mit
model-index:
- name: my-model
  results:
  - task: {type: question-answering}
    dataset: {name: SQuAD, type: squad}
    metrics:
    - {type: f1, value: 88.5}
---
body
"""
    parsed = parse_card("model", text)
    assert parsed.errors == []
    assert parsed.front_matter["model-index"][0]["results"][0]["metrics"] == [{"type": "f1", "value": 88.5}]


def test_sentences_end_where_a_reader_would_end_them_and_boilerplate_is_not_quoted():
    from hubcrawl.crawler.cards import prose_sentences

    paragraph = (
        "The encoder follows the recipe of Okafor et al. (2023) with a smaller vocabulary. "
        "Version v2.1 of the tagger reaches 91.5 F1 on the held-out harbour notes. "
        "You can use this model with the pipeline API in two lines. "
        "Please cite our paper if you find the checkpoint useful. "
        "[More Information Needed]"
    )
    assert list(prose_sentences(paragraph)) == [
        "The encoder follows the recipe of Okafor et al. (2023) with a smaller vocabulary.",
        "Version v2.1 of the tagger reaches 91.5 F1 on the held-out harbour notes.",
    ]
