"""Crafted ``next=`` values and the check that a redirect target stays on this host.

Shared by the unit test of :func:`portal.auth.redirects.safe_next` and the security test that
drives them through the real sign-in.
"""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

#: Values an attacker would put in ``/sign-in?next=...`` (as the portal receives them).
CRAFTED_NEXT = (
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "//evil.example/%2F..",
    "//localhost@evil.example",
    "//evil.example:443/",
    "//[::1]/",
    "/\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https://evil.example",
    "http://evil",
    "HTTP://evil.example",
    "https://localhost@evil.example",
    "http:\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2Fevil.example",
    "/%2F/evil.example",
    "%252F%252Fevil.example",
    "/%252Fevil.example",
    "/%25252F%25252Fevil.example",
    "/%2525252F%2525252Fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%255Cevil.example",
    "/%09/evil.example",
    "/%0D%0ALocation:%20http://evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\x00//evil.example",
    " //evil.example",
    "/ /evil.example",
    "／／evil.example",  # fullwidth solidus
    "/／evil.example",
    "⁄⁄evil.example",  # fraction slash
    "/∕evil.example",  # division slash
    "＼＼evil.example",  # fullwidth reverse solidus
    "/%EF%BC%8F%EF%BC%8Fevil.example",
    "//evil.example%23.localhost",
    "/" + "a" * 2100,
)

#: Odd but local: dot segments resolve to ``//evil.example`` *on this host*. The portal may keep
#: them; a browser following them must still stay here.
ON_HOST_NEXT = ("/.//evil.example", "/%2e%2e//evil.example", "/./users/", "/%2e/")

#: Local paths that must survive (so a safe_next that always said "/" would fail the tests).
LOCAL_NEXT = ("/", "/users/", "/account/password", "/users/?page=2&sort=name")

HOST = "portal.test"


def decodings(value: str) -> list[str]:
    """``value`` and every further percent-decoding of it, until decoding changes nothing."""
    seen = [value]
    while (decoded := unquote(seen[-1])) != seen[-1]:
        seen.append(decoded)
    return seen


def stays_on_host(location: str, *, base: str = f"https://{HOST}/sign-in/security-code") -> bool:
    """True when a browser following ``Location: location`` from ``base`` stays on this host.

    Browsers treat ``\\`` as ``/`` and drop tabs and newlines before resolving, so any of those
    fail the check outright, as does a target that resolves to another scheme or host, or one
    that would do so after any amount of percent-decoding.
    """
    if not location.startswith("/"):
        return False
    for form in decodings(location):
        if "\\" in form or any(ord(ch) < 32 or ord(ch) == 127 for ch in form):
            return False
        if form.startswith("//"):
            return False
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return False
        resolved = urlsplit(urljoin(base, form))
        if (resolved.scheme, resolved.netloc) != ("https", HOST):
            return False
    return True
