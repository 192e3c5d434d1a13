"""The portal's Jinja environment: Flask's own, with a cheaper check behind every ``{% import %}``.

Each ``{% from "..." import macro %}`` in a page asks Jinja whether the page has globals the
imported template lacks: ``ctx.globals_keys - template.globals.keys()``, in
``Template._get_default_module``. The template globals are a :class:`collections.ChainMap` over the
environment's globals, and that difference over its ``KeysView`` tests every key against every map
in Python: a page with a dozen imports spent a sixth of its render time there. Here ``keys()``
answers with the union of the maps' keys as one set, built in C, so the difference is a set
operation. Lookups, the overlay of a template's own globals on the environment's, and changes to
the environment's globals showing in loaded templates are all ChainMap's own, unchanged.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from datetime import date
from typing import Any

from flask.templating import Environment


class _TemplateGlobals(ChainMap[str, Any]):
    def keys(self) -> set[str]:  # type: ignore[override]
        """The keys of every map, as they are now (a set, not a live view)."""
        return set().union(*self.maps)


class PortalEnvironment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _TemplateGlobals({} if d is None else d, self.globals)


def uk_date(value: date | str | None) -> str:
    """A day as GOV.UK writes it (``24 November 2026``), from a date or an ISO date string (a
    frozen record holds its dates as text); empty for none, anything else as it is."""
    if not value:
        return ""
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"
