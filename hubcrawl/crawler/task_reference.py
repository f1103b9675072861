"""How each Hub task works, in words a reader compares on: written once, versioned, each entry with
the task page it summarises. An entry says only what is true of every model tagged with that task;
what a particular model adds comes from its own card, config and results. Capabilities cite an
entry as evidence with `source: "task-reference"`.
"""

from __future__ import annotations

TASK_REFERENCE_VERSION = "2026.11"
TASKS_URL = "https://huggingface.co/tasks/"

# task tag -> (title, how it works, the task page it summarises or None)
TASK_REFERENCE: dict[str, tuple[str, str, str | None]] = {
    "question-answering": (
        "extractive question answering",
        "The model reads a question together with a context passage and points to the answer inside the "
        "passage, predicting where the answer span starts and where it ends; it does not write an answer of its own.",
        TASKS_URL + "question-answering",
    ),
    "table-question-answering": (
        "question answering over tables",
        "The model answers a question about a table given with it by selecting cells of that table.",
        TASKS_URL + "table-question-answering",
    ),
    "text-classification": (
        "text classification",
        "The model assigns labels from a fixed set, learned in training, to a whole input text or pair of texts.",
        TASKS_URL + "text-classification",
    ),
    "token-classification": (
        "token classification (entities, parts of speech)",
        "The model assigns a label from a fixed set to each token of the input; entities are read off as "
        "runs of tokens that carry the same entity label.",
        TASKS_URL + "token-classification",
    ),
    "zero-shot-classification": (
        "zero-shot classification via NLI",
        "Labels are given at inference time: each candidate label is turned into a hypothesis about the text "
        "and scored for entailment by a natural-language-inference model, so new labels need no retraining.",
        TASKS_URL + "zero-shot-classification",
    ),
    "fill-mask": (
        "masked-token prediction",
        "The model predicts the token hidden behind a mask from the words on both sides of it, and returns "
        "the most likely candidates with their probabilities.",
        TASKS_URL + "fill-mask",
    ),
    "sentence-similarity": (
        "sentence embeddings for similarity search",
        "Each text is encoded on its own into a fixed-size vector; texts are compared by the similarity of "
        "their vectors, so a collection can be encoded once and searched by nearest neighbours.",
        TASKS_URL + "sentence-similarity",
    ),
    "feature-extraction": (
        "feature extraction (embeddings)",
        "The model returns the vectors it computes for an input, for other systems (search, clustering, "
        "classifiers) to use.",
        TASKS_URL + "feature-extraction",
    ),
    "text-ranking": (
        "passage re-ranking",
        "The model reads a query and a passage together and scores how well the passage answers the query; "
        "every candidate passage needs its own pass, which suits re-ranking a short candidate list rather "
        "than searching a whole collection.",
        None,
    ),
    "text-generation": (
        "text generation",
        "The model continues a prompt one token at a time, each token predicted from the prompt and the "
        "tokens generated so far.",
        TASKS_URL + "text-generation",
    ),
    "text2text-generation": (
        "text-to-text generation",
        "The model generates an output text from an input text.",
        None,
    ),
    "summarization": (
        "summarization",
        "The model generates a shorter text that conveys the main content of an input document.",
        TASKS_URL + "summarization",
    ),
    "translation": (
        "translation",
        "The model generates text in a target language that conveys the meaning of an input text in a source language.",
        TASKS_URL + "translation",
    ),
    "automatic-speech-recognition": (
        "speech recognition",
        "The model transcribes spoken audio into text.",
        TASKS_URL + "automatic-speech-recognition",
    ),
    "image-classification": (
        "image classification",
        "The model assigns labels from a fixed set, learned in training, to a whole image.",
        TASKS_URL + "image-classification",
    ),
    "object-detection": (
        "object detection",
        "The model finds objects in an image and returns, for each, a bounding box, a class label from a "
        "fixed set and a confidence score.",
        TASKS_URL + "object-detection",
    ),
    "text-to-image": (
        "text-to-image generation",
        "The model generates an image from a text prompt.",
        TASKS_URL + "text-to-image",
    ),
    "image-to-text": (
        "image captioning",
        "The model generates text, such as a caption, from an image.",
        TASKS_URL + "image-to-text",
    ),
}
# What a task tag means, in words a reader compares on (every task above).
TASK_TITLES = {task: title for task, (title, _, _) in TASK_REFERENCE.items()}


def task_reference_evidence(task: str) -> dict | None:
    """The evidence entry for how a task works; None for a task the reference does not describe."""
    if task not in TASK_REFERENCE:
        return None
    title, how, url = TASK_REFERENCE[task]
    return {"source": "task-reference", "task": task, "quote": how, "url": url, "version": TASK_REFERENCE_VERSION}
