"""``next=`` handling: only paths on this host, never another origin or a script URL."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_SAFE_PATH = re.compile(r"^/[A-Za-z0-9\-._~/?=&%+]*$")


def safe_next(value: str | None, default: str = "/") -> str:
    """Return ``value`` if it is a plain local path, otherwise ``default``.

    Accepts only ``/path?query`` made of unreserved URL characters. Refuses ``//host``,
    ``/\\host``, anything with a scheme or host, control characters, and values whose percent
    decoding, applied any number of times, would produce any of those or a non-ASCII look-alike.
    """
    if not value or len(value) > 2000:
        return default
    if not _SAFE_PATH.fullmatch(value):
        return default
    decoded = value
    while True:  # each decoding that changes anything shortens the text, so this ends
        if decoded.startswith(("//", "/\\")) or "\\" in decoded or not decoded.isascii():
            return default
        parts = urlsplit(decoded)
        if parts.scheme or parts.netloc:
            return default
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in decoded):
            return default
        once = unquote(decoded)
        if once == decoded:
            return value
        decoded = once
