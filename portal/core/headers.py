"""Security headers on every response, errors included, with a fresh CSP nonce each time."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

STATIC_PREFIXES = ("/static/", "/assets/")


def csp_nonce() -> str:
    """The nonce for this response's inline ``<script>`` (GOV.UK's js-enabled line)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return str(nonce)


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def install(app: Flask, *, hsts: bool) -> None:
    # ``Referrer-Policy: no-referrer`` means browsers send no Referer (and ``Origin: null`` on a
    # POST), so Flask-WTF's HTTPS-only Referer check would refuse every form in production.
    # CSRF rests on the token held in the server-side session, SameSite=Lax and the __Host-
    # cookie prefix (which stops a sibling subdomain planting a session cookie).
    app.config["WTF_CSRF_SSL_STRICT"] = False

    @app.after_request
    def set_headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = content_security_policy(csp_nonce())
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if hsts:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path.startswith(STATIC_PREFIXES) and response.status_code == 200:
            h["Cache-Control"] = "public, max-age=3600"
        else:
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        if request_id := g.get("request_id"):
            h["X-Request-Id"] = request_id
        return response
