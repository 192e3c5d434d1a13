"""Default deny: every route declares who may reach it; the public ones are a reviewed list.

ASVS 8.2.1, 8.3.1, 6.3.4 (reference/security.md A2, A28; section 7 item 1).
"""

from __future__ import annotations

from flask import Flask

from portal.access.decorators import AccessDeclaration, declaration_of, public, requires
from portal.access.permissions import Permission
from tests.security.conftest import is_sign_in_redirect

#: Every endpoint reachable without signing in, and why. Adding one is a security review.
PUBLIC_ENDPOINTS = {
    "auth.sign_in": "the sign-in form",
    "auth.security_code": "second step of signing in",
    "auth.set_up_authenticator": "first sign-in enrols the second factor",
    "auth.signed_out": "confirmation after signing out",
    "oidc.start": "starts sign-in at an agency's identity provider",
    "oidc.callback": "the identity provider's redirect back",
    "home.healthz": "load balancer health check",
    "home.static": "CSS, JavaScript, images",
    "home.govuk_assets": "GOV.UK Frontend fonts and images",
}


def _declarations(app: Flask) -> dict[str, AccessDeclaration | None]:
    return {
        rule.endpoint: declaration_of(app.view_functions.get(rule.endpoint))
        for rule in app.url_map.iter_rules()
    }


def test_every_endpoint_has_an_access_declaration(app):
    declarations = _declarations(app)
    assert len(declarations) >= 10
    undeclared = sorted(endpoint for endpoint, decl in declarations.items() if decl is None)
    assert not undeclared, f"endpoints without @requires or @public: {undeclared}"


def test_public_endpoints_are_the_reviewed_allowlist(app):
    declarations = _declarations(app)
    public_now = {
        endpoint for endpoint, decl in declarations.items() if decl is not None and decl.public
    }
    unreviewed = sorted(public_now - set(PUBLIC_ENDPOINTS))
    assert not unreviewed, f"public endpoints not in the reviewed allowlist: {unreviewed}"
    assert {"auth.sign_in", "home.healthz", "home.static"} <= public_now
    for endpoint in public_now:
        decl = declarations[endpoint]
        assert decl is not None
        assert decl.reason.strip()


def test_protected_endpoints_name_at_least_one_permission(app):
    for endpoint, decl in _declarations(app).items():
        assert decl is not None
        if not decl.public:
            assert decl.permissions, endpoint


def test_undeclared_route_answers_404(app, client, factories, signed_in):
    def forgotten() -> str:
        return "this must never be served"

    app.add_url_rule("/test-only/forgotten", "test_forgotten", forgotten, methods=["GET", "POST"])

    anonymous = client.get("/test-only/forgotten")
    assert anonymous.status_code == 404
    assert "never be served" not in anonymous.get_data(as_text=True)

    signed_in(client, factories.user())
    for response in (client.get("/test-only/forgotten"), client.post("/test-only/forgotten")):
        assert response.status_code in (400, 404)  # CSRF may answer a POST first
        assert "never be served" not in response.get_data(as_text=True)
    assert client.get("/test-only/forgotten").status_code == 404


def test_declared_routes_answer_as_declared(app, client, factories, signed_in):
    @public(reason="test only")
    def open_view() -> str:
        return "open to all"

    @requires(Permission.USERS_MANAGE)
    def admin_view() -> str:
        return "administrators only"

    app.add_url_rule("/test-only/open", "test_open", open_view)
    app.add_url_rule("/test-only/admin", "test_admin", admin_view)

    assert client.get("/test-only/open").get_data(as_text=True) == "open to all"
    assert is_sign_in_redirect(client.get("/test-only/admin"))
    signed_in(client, factories.user())  # a probation officer: no users:manage
    forbidden = client.get("/test-only/admin")
    assert forbidden.status_code == 403
    assert "administrators only" not in forbidden.get_data(as_text=True)
