"""Statements built once at import carry a type on every parameter, whatever the import order.

A foreign-key column's type is known only once the table it refers to is; a parameter compared
with it while it is still untyped reaches the driver unconverted (SQLite refuses a UUID). Each
module is imported first, on its own, in a fresh interpreter, as a worker process might.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

MODULES = [
    "portal.access.facts",
    "portal.auth.loader",
    "portal.auth.sessions",
    "portal.audit.recorder",
    "portal.governance.breakglass",
    "portal.records.repository",
    "portal.subjects.repository",
]

PROBE = """
import importlib, json, sys
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import NullType
module = importlib.import_module(sys.argv[1])
found = {}
for name, value in vars(module).items():
    if isinstance(value, Executable) and isinstance(value, ClauseElement):
        binds = value.compile().binds
        found[name] = {key: isinstance(b.type, NullType) for key, b in binds.items()}
print(json.dumps(found))
"""


def _prebuilt(module: str) -> dict[str, dict[str, bool]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, dict[str, bool]] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("module", MODULES)
def test_every_parameter_of_a_prebuilt_statement_is_typed(module: str) -> None:
    statements = _prebuilt(module)
    assert statements, f"{module} has no statement built at import (update MODULES)"
    untyped = {name: [k for k, null in binds.items() if null] for name, binds in statements.items()}
    assert not any(untyped.values()), untyped


def test_the_probe_sees_an_untyped_parameter() -> None:
    """The check can fail: a plain bindparam against a foreign key, built at import, is untyped."""
    probe = PROBE.replace(
        "module = importlib.import_module(sys.argv[1])",
        "from sqlalchemy import bindparam, select\n"
        "from portal.access.models import AccessGrant\n"
        "import types\n"
        "module = types.SimpleNamespace(Q=select(AccessGrant.id)"
        ".where(AccessGrant.subject_id == bindparam('subject_id')))",
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, "-"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == {"Q": {"subject_id": True}}
