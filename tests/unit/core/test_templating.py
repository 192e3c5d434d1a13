"""The portal's Jinja environment keeps Jinja's globals semantics with its cheaper ``keys()``;
its ``uk_date`` filter writes days as GOV.UK does."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from jinja2 import DictLoader

from portal.core.templating import PortalEnvironment, uk_date

_TEMPLATES = {
    "macros.html": "{% macro hello(who) %}Hello {{ who }} ({{ site }}){% endmacro %}",
    "page.html": '{% from "macros.html" import hello %}{{ hello(name) }} {{ extra }}',
}


def _env() -> PortalEnvironment:
    env = PortalEnvironment(Flask(__name__), loader=DictLoader(_TEMPLATES), autoescape=True)
    env.globals["site"] = "portal"
    return env


def test_template_globals_overlay_the_environments_and_keys_are_every_maps():
    env = _env()
    page = env.get_template("page.html", globals={"extra": "own"})
    assert set(page.globals.keys()) == {*env.globals, "extra"}
    assert page.render(name="<b>") == "Hello &lt;b&gt; (portal) own"
    # The template's own globals stay its own.
    assert "extra" not in env.globals
    assert env.get_template("macros.html").globals.keys() == set(env.globals)


def test_a_global_added_to_the_environment_later_shows_in_loaded_templates():
    env = _env()
    page = env.get_template("page.html")
    env.globals["extra"] = "later"
    assert page.globals.keys() >= {"extra", "site"}
    assert page.render(name="x") == "Hello x (portal) later"


def test_an_imported_template_is_built_once_not_once_per_import():
    env = _env()
    page = env.get_template("page.html")
    page.render(name="a")
    module = env.get_template("macros.html")._module
    assert module is not None
    page.render(name="b")
    assert env.get_template("macros.html")._module is module


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (date(2026, 11, 4), "4 November 2026"),
        ("2027-02-22", "22 February 2027"),
        (datetime(2026, 1, 31, 23, 59), "31 January 2026"),
        ("", ""),
        (None, ""),
        ("not a date", "not a date"),
    ],
)
def test_uk_date_writes_the_day_as_gov_uk_does(value: object, shown: str) -> None:
    assert uk_date(value) == shown  # type: ignore[arg-type]
