"""Time-based one-time passwords (RFC 6238) with single use enforced by counter.

A code is accepted for the current 30-second step or the one before it (clock drift), and only
if its step is later than the last step accepted for that user: a code is never accepted twice.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup

STEP_SECONDS = 30
ISSUER = "Public Protection Sharing Portal"


def new_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The provisioning URI as an inline SVG QR code, drawn on the server (no outside service)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    return Markup(svg)  # noqa: S704 - segno builds the SVG from the URI's bits; no user markup


def matching_counter(
    secret: str, code: str, *, now: datetime, last_counter: int | None
) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than ``last_counter``."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for counter in (current, current - 1):
        if last_counter is not None and counter <= last_counter:
            continue
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator shows at ``when`` (demo and tests)."""
    return pyotp.TOTP(secret).at(when)
