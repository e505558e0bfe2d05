"""The sharegpt reader: roles, ids, HTML exports back to Markdown, Markdown left alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from curate.readers.base import content_id
from curate.readers.markup import has_html, to_markdown
from tests.reader_helpers import read_records, rejects, roles, rows


def record(*turns: tuple[str, Any], **fields: Any) -> dict[str, Any]:
    return {"conversations": [{"from": who, "value": value} for who, value in turns], **fields}


@pytest.mark.parametrize(
    ("speaker", "role"),
    [
        ("human", "user"),
        ("user", "user"),
        ("gpt", "assistant"),
        ("chatgpt", "assistant"),
        ("bard", "assistant"),
        ("bing", "assistant"),
        ("assistant", "assistant"),
        ("system", "system"),
        ("GPT", "assistant"),
    ],
)
def test_roles(tmp_path: Path, speaker: str, role: str) -> None:
    read = read_records(tmp_path, [record((speaker, "x"), id="a")], "sharegpt")
    assert roles(rows(read)[0]) == [(role, "x")]


def test_ids_meta_model_language_and_system(tmp_path: Path) -> None:
    turns = [("human", "hi"), ("gpt", "hello")]
    read = read_records(
        tmp_path,
        [
            record(*turns, id="x1", model="gpt-4", lang="en", score=3),
            record(*turns),
            record(*turns, id=7, system="Be brief.", lang="pt-BR"),
        ],
        "sharegpt",
    )
    first, second, third = rows(read)
    assert (first["id"], first["model"], first["language"], first["meta"]) == (
        "x1",
        "gpt-4",
        "en",
        {"score": 3},
    )
    expected_id = content_id([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    assert (second["id"], second["meta"]) == (expected_id, {})
    assert len(expected_id) == 24
    assert third["id"] == "7"
    assert roles(third)[0] == ("system", "Be brief.")
    assert (third["language"], third["meta"]) == ("pt", {"lang": "pt-BR"})


RAW_EXPORT = (
    '<div class="markdown prose w-full break-words dark:prose-invert light"><p>Use <code>sorted</code> '
    'on a_list, or 2*3 things:</p><pre><div class="bg-black mb-4 rounded-md"><div class="flex items-center '
    'relative text-gray-200 bg-gray-800 px-4 py-2 text-xs font-sans"><span class="">python</span><button '
    'class="flex ml-auto gap-2"><svg stroke="currentColor"><path d="M16 4h2"></path></svg>Copy code</button>'
    '</div><div class="p-4 overflow-y-auto"><code class="!whitespace-pre hljs language-python">'
    '<span class="hljs-built_in">print</span>(<span class="hljs-built_in">sorted</span>(a_list))\n'
    "</code></div></div></pre><ol><li><p>first</p></li><li><p>second</p></li></ol>"
    "<table><thead><tr><th>k</th><th>v</th></tr></thead><tbody><tr><td>a</td><td>1</td></tr></tbody></table></div>"
)
MARKDOWN = (
    "Use `sorted` on a_list, or 2*3 things:\n\n```python\nprint(sorted(a_list))\n```\n\n"
    "1. first\n2. second\n\n| k | v |\n| --- | --- |\n| a | 1 |"
)


@pytest.mark.parametrize(
    ("value", "html", "expected"),
    [
        (RAW_EXPORT, "auto", MARKDOWN),
        (
            "<p>Hello <strong>there</strong></p><ul><li>one</li><li>two</li></ul>",
            "auto",
            "Hello **there**\n\n- one\n- two",
        ),
        ("<div><h3>Title</h3><blockquote><p>quote</p></blockquote></div>", "auto", "### Title\n\n> quote"),
        # Plain text and Markdown pass through byte for byte.
        (
            "**bold**, *it*, snake_case, # not a heading\n\n- item",
            "auto",
            "**bold**, *it*, snake_case, # not a heading\n\n- item",
        ),
        ("if a < b and c > d: print('<p>')", "auto", "if a < b and c > d: print('<p>')"),
        (
            "Write `<p>x</p>` like so:\n```html\n<div><p>x</p></div>\n```\n",
            "auto",
            "Write `<p>x</p>` like so:\n```html\n<div><p>x</p></div>\n```\n",
        ),
        ("  spaces kept  \n", "auto", "  spaces kept  \n"),
        (RAW_EXPORT, "never", RAW_EXPORT),
        ("<b>bold</b> only inline", "always", "**bold** only inline"),
    ],
    ids=[
        "chatgpt-export",
        "inline-and-list",
        "heading-quote",
        "markdown",
        "comparison",
        "code",
        "spaces",
        "never",
        "always",
    ],
)
def test_html_becomes_markdown_only_where_there_is_html(
    tmp_path: Path, value: str, html: str, expected: str
) -> None:
    read = read_records(tmp_path, [record(("gpt", value), id="h")], "sharegpt", options={"html": html})
    assert rows(read)[0]["messages"][0]["content"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>a</p>", True),
        ("<DIV class='x'>a</DIV>", True),
        ("a <br> b", False),
        ("x = '<li>'", False),
        ("`<p>a</p>`", False),
        ("</p>", False),
    ],
)
def test_has_html(text: str, expected: bool) -> None:
    assert has_html(text) is expected


def test_to_markdown_of_a_url_like_value_does_not_warn() -> None:
    assert to_markdown("https://example.org/a_b") == "https://example.org/a_b"


@pytest.mark.parametrize(
    ("bad", "reason", "detail"),
    [
        ({"id": "b"}, "missing_field", "conversations: missing"),
        ({"conversations": "hi"}, "wrong_type", "conversations: expected a list, got str"),
        ({"conversations": []}, "no_messages", "conversations: the list of messages is empty"),
        ({"conversations": ["hi"]}, "wrong_type", "conversations[0]: expected an object, got str"),
        (
            record(("human", "a"), ("observation", "b")),
            "invalid_value",
            "conversations[1].from: unknown role",
        ),
        (record(("human", 3)), "wrong_type", "conversations[0].value: expected a string, got int"),
        (record(("human", None)), "missing_field", "conversations[0].value: missing"),
        (record(("human", "a"), id=1.5), "wrong_type", "id: expected a string or an integer, got float"),
        (record(("human", "a"), system=["x"]), "wrong_type", "system: expected a string, got list"),
    ],
)
def test_bad_records(tmp_path: Path, bad: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [bad, record(("human", "ok"), id="fine")], "sharegpt")
    assert read.frame["id"].to_list() == ["fine"]
    [(line, got_reason, got_detail)] = rejects(read)
    assert (line, got_reason) == (1, reason)
    assert got_detail.startswith(detail)
