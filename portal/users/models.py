"""User and role assignment."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.agencies.models import Agency
from portal.core.identity import Clearance, Role, UserStatus
from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


class User(UUIDPrimaryKey, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(enum_check("clearance", Clearance), name="clearance"),
        CheckConstraint(enum_check("status", UserStatus), name="status"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    clearance: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.ACTIVE)
    #: argon2id hash; NULL for an account that signs in only through its agency's provider.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    #: The password was chosen by an administrator (a new account, or one they set): after a
    #: password sign-in the user reaches nothing but the page that changes it.
    password_change_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enrolled_at: Mapped[datetime | None]
    #: The time-step counter of the last accepted code: a code is never accepted twice.
    totp_last_counter: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    def set_roles(self, roles: frozenset[Role]) -> None:
        keep = [row for row in self.role_rows if row.role in roles]
        present = {row.role for row in keep}
        self.role_rows = keep + [UserRole(role=r.value) for r in sorted(roles - present)]

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(enum_check("role", Role), name="role"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
