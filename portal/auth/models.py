"""Server-side sessions, sign-in throttles and federated identities."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base, UUIDPrimaryKey


class UserSession(Base):
    """One browser session. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    #: How the session was authenticated ("password+totp", "oidc"); NULL before sign-in.
    auth_method: Mapped[str | None] = mapped_column(String(32))


class LoginThrottle(Base):
    """Consecutive sign-in failures for one account name, known to the portal or not.

    Keyed by a hash of the normalised name so unknown names are throttled exactly like real
    ones, and the table never lists who tried to sign in.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]


class UserIdentity(UUIDPrimaryKey, Base):
    """A federated identity: (issuer, subject) from an agency's OpenID provider, never e-mail."""

    __tablename__ = "user_identity"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_user_identity_issuer_subject"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
