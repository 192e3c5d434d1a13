"""Route declarations: every view says who may reach it, or why it is public.

``@requires(Permission.X)`` and ``@public(reason=...)`` set ``__portal_access__`` on the view.
:func:`portal.access.default_deny.enforce` answers 404 for any endpoint without it, so a route
someone forgot to declare is unreachable rather than open.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from flask import redirect, request, url_for
from flask_login import current_user

from portal.access.permissions import Permission
from portal.access.policy import permissions_for
from portal.errors import Forbidden

P = ParamSpec("P")
R = TypeVar("R")

ACCESS_ATTRIBUTE = "__portal_access__"


@dataclass(frozen=True)
class AccessDeclaration:
    public: bool
    permissions: frozenset[Permission] = frozenset()
    reason: str = ""


def public(*, reason: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a route open to anyone, with the reason it must be."""
    if not reason.strip():
        raise ValueError("a public route needs a reason")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        setattr(view, ACCESS_ATTRIBUTE, AccessDeclaration(public=True, reason=reason))
        return view

    return decorate


def requires(*needed: Permission) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Declare a route for signed-in users holding every permission in ``needed``.

    Anonymous users are sent to sign in (JSON callers get 401); signed-in users without the
    permission get the 403 page. This is the coarse, role-level check; whether this user may
    open this record is decided by the gate inside the service.
    """
    if not needed:
        raise ValueError("requires() needs at least one permission")
    declared = frozenset(needed)

    def decorate(view: Callable[P, Any]) -> Callable[P, Any]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    from portal.errors import Unauthenticated

                    raise Unauthenticated()
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if not declared <= permissions_for(frozenset(current_user.roles)):
                raise Forbidden()
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, AccessDeclaration(public=False, permissions=declared))
        return wrapper

    return decorate


def declaration_of(view: Callable[..., Any] | None) -> AccessDeclaration | None:
    decl = getattr(view, ACCESS_ATTRIBUTE, None)
    return decl if isinstance(decl, AccessDeclaration) else None
