"""The rich-text sanitiser: known attacks, the allow-list, caps, and properties for any input."""

from __future__ import annotations

import ast
import re
import string
import subprocess
import sys
import threading
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.core import sanitise
from portal.core.sanitise import (
    ALLOWED_TAGS,
    LINK_REL,
    MAX_RICH_TEXT_LENGTH,
    MAX_RICH_TEXT_TAGS,
    RichTextRejected,
    RichTextTooLong,
    clean_rich_text,
    plain_text,
)

SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Structure(HTMLParser):
    """Every start tag and its attributes, as a browser would read the cleaned output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)


def structure(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser


def url_as_browser_reads_it(value: str) -> str:
    """WHATWG URL parsing: trim C0 controls and spaces, drop tabs and newlines anywhere."""
    trimmed = re.sub(r"\A[\x00-\x20]+|[\x00-\x20]+\Z", "", unescape(value))
    return re.sub(r"[\t\n\r]", "", trimmed).lower()


def assert_inert(output: str) -> None:
    assert "<script" not in output.lower()
    # Every "<" left in the output opens or closes an allowed tag; any other "<" was escaped.
    for name in re.findall(r"<\s*/?\s*([^\s/>]*)", output):
        assert name.lower() in ALLOWED_TAGS
    parsed = structure(output)
    assert parsed.comments == []
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS
        for name in attrs:
            # No event handler (on\w+=), style, class or anything else survives.
            assert not name.startswith("on")
            assert (tag, name) in {("a", "href"), ("a", "rel")}
        if "href" in attrs:
            href = url_as_browser_reads_it(attrs["href"] or "")
            assert href.startswith(SAFE_SCHEMES)
            assert attrs["rel"] == LINK_REL
        for value in attrs.values():
            assert "javascript:" not in url_as_browser_reads_it(value or "")


# --- known attacks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        ("<script>alert(1)</script>", "alert(1)"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", ""),
        ("<img src=x onerror=alert(1)>", ""),
        ('<svg onload="alert(1)">', ""),
        ("<svg><script>alert(1)</script></svg>", "alert(1)"),
        ('<iframe src="https://evil.example"></iframe>text', "text"),
        ('<p style="color:red" class="x" id="y" onclick="alert(1)">t</p>', "<p>t</p>"),
        ("<body onload=alert(1)>hi", "hi"),
        ('<object data="x.swf"></object><embed src="x">', ""),
        ('<form action="https://evil.example"><input name="q"><button>go</button></form>', "go"),
        ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ""),
        ('<base href="https://evil.example/">x', "x"),
        ("<!--[if IE]><script>alert(1)</script><![endif]-->ok", "ok"),
        ("<!-- a comment -->ok", "ok"),
    ],
)
def test_clean_rich_text_with_known_attack_leaves_nothing_active(attack, expected):
    output = clean_rich_text(attack)
    assert output == expected
    assert_inert(output)


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "&#0000106avascript:alert(1)",
        "javascript&colon;alert(1)",
        "jav&#x09;ascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "/subjects/123",
        "#top",
        "//evil.example/",
        "\xa1http://example.org/",
        "\xa0https://example.org/",
        "ht\xadtp://example.org/",
        "",
    ],
)
def test_clean_rich_text_with_unsafe_or_relative_link_drops_the_address(href):
    output = clean_rich_text(f'<a href="{href}">x</a>')
    assert output == "<a>x</a>"


@pytest.mark.parametrize(
    "href",
    ["http://example.org/", "HTTPS://example.org/a?b=1&amp;c=2", "mailto:spoc@example.gov.uk"],
)
def test_clean_rich_text_with_safe_link_keeps_it_and_adds_rel(href):
    output = clean_rich_text(f'<a href="{href}" rel="opener" target="_blank" title="t">x</a>')
    assert output == f'<a href="{href}" rel="{LINK_REL}">x</a>'


def test_clean_rich_text_with_quote_in_link_keeps_it_inside_the_attribute():
    output = clean_rich_text("<a href='https://example.org/\"onmouseover=\"alert(1)'>x</a>")
    ((tag, attrs),) = structure(output).tags
    assert tag == "a"
    assert set(attrs) == {"href", "rel"}
    assert attrs["href"] == 'https://example.org/"onmouseover="alert(1)'
    assert_inert(output)


@pytest.mark.parametrize(
    ("malformed", "expected"),
    [
        (
            "<p><strong>bold<em>both</strong>em</p>",
            "<p><strong>bold<em>both</em></strong><em>em</em></p>",
        ),
        ("<ul><li>a<li>b", "<ul><li>a</li><li>b</li></ul>"),
        ("<p>a<p>b", "<p>a</p><p>b</p>"),
        ("<<script>script>alert(1)<</script>/script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
        ("<a href='http://a.example'><a href='http://b.example'>x</a></a>", None),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "<p></p>"),
        ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", None),
        ("<textarea><script>alert(1)</script></textarea>", "alert(1)"),
        ("</p></strong>text<p", "<p></p>text&lt;p"),
    ],
)
def test_clean_rich_text_with_malformed_or_nested_tags_gives_well_formed_inert_html(
    malformed, expected
):
    output = clean_rich_text(malformed)
    if expected is not None:
        assert output == expected
    assert_inert(output)
    assert clean_rich_text(output) == output


# --- what is kept --------------------------------------------------------------------------


def test_clean_rich_text_with_allowed_formatting_keeps_it_unchanged():
    html = (
        "<h2>Risk summary</h2><p>Lives <strong>alone</strong>, <em>no</em> contact.<br>"
        "Second line.</p><h3>Actions</h3><ol><li>one</li></ol><ul><li>two</li></ul>"
        "<blockquote>quoted</blockquote>"
    )
    assert clean_rich_text(html) == html


def test_clean_rich_text_with_disallowed_formatting_keeps_its_text():
    html = (
        "<h1>Title</h1><div><span>in</span> <u>div</u></div><table><tr><td>cell</td></tr></table>"
    )
    assert clean_rich_text(html) == "Title\nin div\ncell"


def test_clean_rich_text_with_plain_text_escapes_markup_characters():
    assert clean_rich_text('a & b < c > d "q"') == 'a &amp; b &lt; c &gt; d "q"'
    assert clean_rich_text("") == ""


# --- caps ------------------------------------------------------------------------------------


def test_clean_rich_text_at_length_cap_is_accepted():
    assert len(clean_rich_text("x" * MAX_RICH_TEXT_LENGTH)) == MAX_RICH_TEXT_LENGTH


def test_clean_rich_text_over_length_cap_raises_with_the_limit_in_the_message():
    with pytest.raises(RichTextTooLong, match="100,000 characters"):
        clean_rich_text("x" * (MAX_RICH_TEXT_LENGTH + 1))


def test_clean_rich_text_at_tag_cap_is_accepted():
    html = "<p>x</p>" * MAX_RICH_TEXT_TAGS
    assert clean_rich_text(html) == html


@pytest.mark.parametrize("opening", ["<blockquote>", "<UL>", "<li >", "<Em/>"])
def test_clean_rich_text_over_tag_cap_raises_before_parsing(opening):
    with pytest.raises(RichTextTooLong, match="too much formatting"):
        clean_rich_text(opening * (MAX_RICH_TEXT_TAGS + 1))


def test_clean_rich_text_with_misnested_headings_stores_what_a_reparse_gives():
    html = "<h2><a href=http://x.example><h2><a href=http://y.example>z"
    link = '<a href="http://{}.example" rel="noopener noreferrer">{}</a>'
    expected = (
        f"<h2>{link.format('x', '')}</h2><h2>{link.format('x', '')}{link.format('y', 'z')}</h2>"
    )
    assert clean_rich_text(html) == expected


def test_clean_rich_text_when_markup_never_settles_is_rejected(monkeypatch):
    class Restless:
        def clean(self, html):
            return html + "!"

    monkeypatch.setattr(sanitise, "_cleaner", Restless)
    with pytest.raises(RichTextRejected, match="too tangled"):
        clean_rich_text("<p>x</p>")


def test_clean_rich_text_with_control_characters_removes_them():
    assert clean_rich_text("a\x00b\x0cc\x1fd\te\nf") == "abcd\te\nf"


def test_clean_rich_text_with_bytes_raises_type_error():
    with pytest.raises(TypeError):
        clean_rich_text(b"<p>x</p>")


# --- plain text ---------------------------------------------------------------------------


def test_plain_text_with_formatting_gives_lines_and_decoded_entities():
    html = (
        "<h2>Plan</h2><p>Fish &amp; chips,   &lt;not a tag&gt;</p>"
        "<ul><li>one</li><li>two<br>three</li></ul>"
    )
    assert plain_text(html) == "Plan\nFish & chips, <not a tag>\none\ntwo\nthree"


def test_plain_text_with_script_keeps_only_inert_text():
    assert plain_text('<script>alert("x")</script><img src=x onerror=y>') == 'alert("x")'


def test_plain_text_with_link_gives_its_text_only():
    assert plain_text('<a href="https://example.org">site</a>') == "site"


def test_plain_text_over_length_cap_raises():
    with pytest.raises(RichTextTooLong):
        plain_text("x" * (MAX_RICH_TEXT_LENGTH + 1))


# --- the library itself ----------------------------------------------------------------------


def test_import_and_use_under_warnings_as_errors_emits_nothing():
    code = (
        "import portal.core.sanitise as s; "
        "assert s.clean_rich_text('<p onclick=x>a</p>') == '<p>a</p>'; "
        "assert s.plain_text('<p>a</p>') == 'a'"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_bleach_is_imported_by_the_sanitiser_only():
    portal = Path(sanitise.__file__).resolve().parents[1]
    importers = set()
    for path in portal.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name.split(".")[0] in ("bleach", "html5lib") for name in names):
                importers.add(path.relative_to(portal).as_posix())
    assert importers == {"core/sanitise.py"}


def test_cleaner_is_one_per_thread():
    here = sanitise._cleaner()
    assert sanitise._cleaner() is here
    other = []
    thread = threading.Thread(target=lambda: other.append(sanitise._cleaner()))
    thread.start()
    thread.join()
    assert other[0] is not here


# --- properties for any input ------------------------------------------------------------------

FRAGMENTS = [
    "<script>",
    "</script>",
    "<SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe>",
    '<a href="',
    "<a href='",
    "<a href=",
    '">',
    "'>",
    ">",
    "</a>",
    "javascript:",
    "JaVaScRiPt:",
    "&#106;",
    "&#x6A;",
    "&colon;",
    "&#58;",
    "data:",
    "http://x",
    "mailto:",
    "\t",
    "\n",
    "\x00",
    "\x01",
    " onclick=",
    "onmouseover=",
    "style=",
    "<p>",
    "</p>",
    "<strong>",
    "<em>",
    "<ul>",
    "<li>",
    "<ol>",
    "<h2>",
    "<h3>",
    "<blockquote>",
    "<br/>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<",
    "</",
    "/>",
    '"',
    "'",
    "=",
    "&",
    "&amp;",
    "&lt;",
    "<style>",
    "<math>",
    "<mglyph>",
    "<noscript>",
    "<textarea>",
    "<title>",
    "<xmp>",
    "<plaintext>",
    "<template>",
    "<table>",
    "<td>",
    "<select>",
    "<option>",
    "<object>",
    "<base href=x>",
    "<form>",
]
rich_texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=40).map(
    "".join
)


@settings(max_examples=500)
@given(rich_texts)
@example("<a href=\xa1http://x<script>")
def test_clean_rich_text_of_any_input_has_no_script_handler_or_unsafe_url(html):
    assert_inert(clean_rich_text(html))


@settings(max_examples=500)
@given(rich_texts)
@example('0\x0c<![CDATA[<script>">')
@example("<h2><a href=<script><h2><a href=<script>")
def test_clean_rich_text_of_any_input_is_idempotent(html):
    once = clean_rich_text(html)
    assert clean_rich_text(once) == once


@given(rich_texts)
def test_plain_text_of_any_input_is_trimmed_lines_of_the_cleaned_text(html):
    text = plain_text(html)
    assert plain_text(clean_rich_text(html)) == text
    assert all(line and line == " ".join(line.split()) for line in text.split("\n") if text)


@given(st.text(alphabet=string.ascii_letters + string.digits + " \n.,;:!?'\"()-=>/", max_size=80))
def test_plain_text_of_text_without_markup_gives_the_same_words_and_lines(text):
    lines = (" ".join(line.split()) for line in text.split("\n"))
    assert plain_text(text) == "\n".join(line for line in lines if line)
