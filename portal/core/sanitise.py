"""Rich text in, safe HTML out: the one module that uses bleach.

Minutes, notes and risk summaries accept a little formatting. Whatever a user or partner system
sends goes through :func:`clean_rich_text` before it is stored; templates still autoescape
everything else and mark only this module's output as safe (ASVS 1.3.1: sanitise on input *and*
encode on output).

The allow-list is deliberately small: paragraphs, line breaks, bold, italic, lists, two heading
levels, quotations and links. Links keep only an absolute ``http``, ``https`` or ``mailto``
address (relative and fragment links are dropped too, so a stored link can never point into the
portal) and get ``rel="noopener noreferrer"``. No other attribute survives: no ``style``,
``class``, ``id`` or event handler. Comments are removed. Disallowed tags are removed but their
text is kept, escaped, so nothing a user typed silently disappears; a pasted ``<script>`` leaves
its source visible as inert text.

bleach is deprecated upstream in favour of nh3 (``reference/security.md`` §6.4) but is the
stack's choice; keeping it behind these two functions makes the swap a one-file change. bleach
6.4 silences html5lib's own "sanitizer is deprecated" warning itself, with a filter narrowed to
that message and module, so importing it raises nothing under ``-W error``; nothing is
suppressed here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from html import unescape
from html.parser import HTMLParser
from typing import Any, Final

from bleach.sanitizer import Cleaner

ALLOWED_TAGS: Final = frozenset(
    {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "blockquote", "a"}
)
ALLOWED_PROTOCOLS: Final = frozenset({"http", "https", "mailto"})
LINK_REL: Final = "noopener noreferrer"
MAX_RICH_TEXT_LENGTH: Final = 100_000
# html5lib's tree building is quadratic in nesting depth (30 s for 20,000 nested <blockquote>
# measured on the build machine), so the number of allowed tags is capped as well as the length.
# At 2,000 the worst nesting found costs under a second, all passes included; minutes need far
# less formatting than that.
MAX_RICH_TEXT_TAGS: Final = 2_000

# Counts every opening of an allowed tag html5lib could see, and more (in comments, attribute
# values, "<p-x>"): it can only over-count, so the cap cannot be slipped past.
_ALLOWED_OPENING = re.compile(rf"<(?:{'|'.join(sorted(ALLOWED_TAGS))})\b", re.IGNORECASE)
# How the WHATWG URL parser finds a scheme: it drops leading and trailing C0 controls and
# spaces and every tab or line break, then reads an ASCII letter followed by letters, digits,
# "+", "-" or "." up to ":". Anything else (a leading "\xa0" or "\xa1" included) is no scheme.
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"\A([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Control characters other than tab, line feed and carriage return. bleach turns them into "?"
# in text but not in whitespace runs, so cleaning would not be idempotent ("0\x0c<![CDATA[..."
# found by Hypothesis); nobody means to type them, so they go before parsing.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class RichTextRejected(ValueError):
    """Rich text the sanitiser refuses; the message can be shown to the user."""


class RichTextTooLong(RichTextRejected):
    """Rich text over the length or formatting cap."""


def _href_allowed(value: str) -> bool:
    """An absolute http, https or mailto URL, judged as a browser would read the attribute.

    bleach's own protocol check runs afterwards too, but it ignores non-ASCII characters and
    allows relative URLs; this check is the stricter of the two.
    """
    # bleach hands attribute values over with their character references still encoded.
    url = _TAB_OR_NEWLINE.sub("", unescape(value)).strip(_C0_AND_SPACE)
    scheme = _SCHEME.match(url)
    return scheme is not None and scheme.group(1).lower() in ALLOWED_PROTOCOLS


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    return tag == "a" and name == "href" and _href_allowed(value)


class _LinkRel:
    """An html5lib filter (duck-typed) that adds ``rel`` to every link left with an address.

    It runs after bleach's sanitiser, which has already dropped any ``rel`` the input had.
    """

    def __init__(self, source: Iterable[dict[str, Any]]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in self.source:
            if (
                token["type"] in ("StartTag", "EmptyTag")
                and token["name"] == "a"
                and (None, "href") in token["data"]
            ):
                token["data"][(None, "rel")] = LINK_REL
            yield token


# bleach's Cleaner holds parser state and is not thread-safe: one per thread.
_local = threading.local()


def _cleaner() -> Cleaner:
    cleaner: Cleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = Cleaner(
            tags=ALLOWED_TAGS,
            attributes=_allow_attribute,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[_LinkRel],
        )
        _local.cleaner = cleaner
    return cleaner


def _check_size(html: str) -> None:
    if not isinstance(html, str):
        raise TypeError("rich text must be str")
    if len(html) > MAX_RICH_TEXT_LENGTH:
        raise RichTextTooLong(
            f"The text must be {MAX_RICH_TEXT_LENGTH:,} characters or fewer, "
            f"including formatting. It is {len(html):,}."
        )
    if len(_ALLOWED_OPENING.findall(html)) > MAX_RICH_TEXT_TAGS:
        raise RichTextTooLong(
            f"The text has too much formatting (more than {MAX_RICH_TEXT_TAGS:,} tags). "
            "Simplify it or split it."
        )


def clean_rich_text(html: str) -> str:
    """Sanitise user-supplied HTML with the portal's allow-list; the result is safe to store.

    Control characters other than tab and line breaks are removed. Cleaning is idempotent:
    cleaning the result again returns it unchanged. The result can be longer than the input
    (``&`` becomes ``&amp;``).

    :raises RichTextTooLong: when the input is over :data:`MAX_RICH_TEXT_LENGTH` characters or
        opens more than :data:`MAX_RICH_TEXT_TAGS` allowed tags.
    :raises RichTextRejected: when the markup does not settle after a few passes (none found).
    """
    _check_size(html)
    cleaner = _cleaner()
    cleaned: str = cleaner.clean(_CONTROL.sub("", html))
    # html5lib can build a tree its own serialisation does not parse back to (misnested
    # headings and links: "<h2><a href=x><h2>" nests one h2 in another). Clean again until
    # nothing changes, so what is stored is exactly what any later parse will see.
    for _ in range(_MAX_PASSES):
        again: str = cleaner.clean(cleaned)
        if again == cleaned:
            return cleaned
        cleaned = again
    raise RichTextRejected("The formatting is too tangled to keep. Simplify it and try again.")


_MAX_PASSES: Final = 4
_BLOCKS: Final = frozenset({"p", "li", "h2", "h3", "blockquote", "ul", "ol"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The text of rich text, for places that cannot show HTML (e-mail subjects, CSV, search).

    Entities are decoded, each paragraph, heading, list item and line break starts a new line,
    runs of spaces are collapsed and blank lines dropped. The result is **not** HTML-safe:
    anything that puts it in a page must escape it (Jinja's autoescape does).

    :raises RichTextRejected: as :func:`clean_rich_text`.
    """
    collector = _TextCollector()
    # Parse only what the sanitiser let through: it is well-formed, so the standard library's
    # simple parser reads it as a browser would.
    collector.feed(clean_rich_text(html))
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).splitlines())
    return "\n".join(line for line in lines if line)
