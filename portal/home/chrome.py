"""The page chrome (skip link, GOV.UK header, service navigation, footer), rendered once per shape.

The header, footer and skip link are the same on every page, and the service navigation takes one
of a few shapes (the links a set of roles opens and which one is current). Rendering the GOV.UK
macros for them was a third of a page's cost, so each shape is rendered once per process and
reused. Nothing that differs between users or sessions is ever cached: the account slot (name,
agency, the sign-out form with its CSRF token) is rendered with each page and put in its place in
the cached navigation afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from markupsafe import Markup

_KEY = "portal.chrome"
_SLOT = Markup("<!--app-account-slot-->")
#: Shapes kept per process; a shape is (home URL, the navigation links, the current one).
_MAX_SHAPES = 512

_SOURCE = {
    "skip_link": (
        '{% from "govuk_frontend_jinja/components/skip-link/macro.html" import govukSkipLink %}'
        '{{ govukSkipLink({"href": "#main-content", "text": "Skip to main content"}) }}'
    ),
    "header": (
        '{% from "govuk_frontend_jinja/components/header/macro.html" import govukHeader %}'
        '{{ govukHeader({"homepageUrl": home_url}) }}'
    ),
    "footer": (
        '{% from "govuk_frontend_jinja/components/footer/macro.html" import govukFooter %}'
        '{{ govukFooter({"meta": {"items": []}}) }}'
    ),
    "navigation": (
        '{% from "govuk_frontend_jinja/components/service-navigation/macro.html"'
        " import govukServiceNavigation %}"
        '{{ govukServiceNavigation({"serviceName": "Public Protection Sharing Portal",'
        ' "serviceUrl": home_url, "navigation": nav, "slots": {"end": slot}}) }}'
    ),
}


def _cached(name: str, key: tuple[Any, ...], **values: Any) -> Markup:
    cache: dict[tuple[Any, ...], Markup] = current_app.extensions.setdefault(_KEY, {})
    full_key = (name, *key)
    html = cache.get(full_key)
    if html is None:
        template = current_app.jinja_env.from_string(_SOURCE[name])
        # The output of an autoescaping template: the GOV.UK macros escape what they are given.
        html = Markup(template.render(**values))  # noqa: S704
        if len(cache) >= _MAX_SHAPES:
            cache.clear()
        cache[full_key] = html
    return html


def skip_link() -> Markup:
    return _cached("skip_link", ())


def header(home_url: str) -> Markup:
    return _cached("header", (home_url,), home_url=home_url)


def footer() -> Markup:
    return _cached("footer", ())


def service_navigation(
    home_url: str, nav: Iterable[Mapping[str, object]], account_slot: Markup | str
) -> Markup:
    """The service navigation for ``nav`` with ``account_slot`` at its end.

    ``account_slot`` is the page's own rendering (Markup); a plain string would be escaped.
    """
    links = list(nav)
    shape = tuple((str(i["href"]), str(i["text"]), bool(i["active"])) for i in links)
    html = _cached("navigation", (home_url, shape), home_url=home_url, nav=links, slot=_SLOT)
    return html.replace(_SLOT, account_slot, 1)


def install(globals_: dict[str, Any]) -> None:
    """Make the pieces available to every template as ``chrome``."""
    globals_["chrome"] = {
        "skip_link": skip_link,
        "header": header,
        "footer": footer,
        "service_navigation": service_navigation,
    }
