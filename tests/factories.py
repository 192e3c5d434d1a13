"""factory_boy factories, reachable only through the ``factories`` fixture.

Each call runs in its own ``transaction()`` inside an app context, commits, and returns the
object (detached, with its attributes loaded) or, for users, a :class:`UserHandle` that also
carries the plain password and TOTP secret a test needs to sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory
import pyotp
from factory.alchemy import SQLAlchemyModelFactory
from flask import Flask

from portal.agencies.models import Agency, AgencyType
from portal.auth.passwords import hash_password
from portal.config import TEST_ARGON2
from portal.core.identity import Clearance, Role, UserStatus
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users.models import User
from tests.leaks import remember_secret

DEFAULT_PASSWORD = "correct-horse-battery-staple-7"


class AgencyFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Agency
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    code = factory.Sequence(lambda n: f"AG{n:04d}")
    name = factory.Sequence(lambda n: f"Test Agency {n}")
    type = AgencyType.POLICE.value
    is_competent_authority = True


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    email = factory.Sequence(lambda n: f"user{n}@agency.test")
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    clearance = Clearance.SC.value
    status = UserStatus.ACTIVE.value
    password_hash = factory.LazyFunction(lambda: hash_password(DEFAULT_PASSWORD, TEST_ARGON2))
    totp_secret = factory.LazyFunction(pyotp.random_base32)


@dataclass
class UserHandle:
    id: Any
    email: str
    password: str
    totp_secret: str | None
    agency_id: Any


class Factories:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def agency(self, **kwargs: Any) -> Agency:
        with self.app.app_context(), transaction():
            agency: Agency = AgencyFactory(**kwargs)
        return agency

    def user(
        self,
        *,
        agency: Agency | None = None,
        roles: tuple[Role, ...] = (Role.PROBATION_OFFICER,),
        password: str = DEFAULT_PASSWORD,
        enrolled: bool = True,
        **kwargs: Any,
    ) -> UserHandle:
        agency = agency or self.agency()
        with self.app.app_context(), transaction():
            if password != DEFAULT_PASSWORD:
                kwargs["password_hash"] = hash_password(password, TEST_ARGON2)
            if not enrolled:
                kwargs["totp_secret"] = None
            user: User = UserFactory(agency_id=agency.id, **kwargs)
            remember_secret(password)
            remember_secret(user.totp_secret)
            user.set_roles(frozenset(roles))
            db.session.flush()
            handle = UserHandle(user.id, user.email, password, user.totp_secret, agency.id)
        return handle
