"""Input contracts for user administration: exactly what an administrator may submit.

Each schema rejects fields it does not know (an ``agency_id`` included), caps every length and
loads into a frozen command. The messages are written for the page: the views show them in the
GOV.UK error summary as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from portal.auth.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from portal.auth.passwords import password_problem
from portal.core.identity import Clearance, Role
from portal.core.inputs import has_control_characters

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 200
#: Fields whose value is kept exactly as typed (passwords are never trimmed or case-folded).
_VERBATIM = frozenset({"password", "confirm_password"})


@dataclass(frozen=True)
class CreateUserCommand:
    email: str
    full_name: str
    password: str = field(repr=False)
    roles: frozenset[Role]
    clearance: Clearance


@dataclass(frozen=True)
class SetPasswordCommand:
    password: str = field(repr=False)


@dataclass(frozen=True)
class ChangeRolesCommand:
    roles: frozenset[Role]
    clearance: Clearance
    #: Which roles and clearance the page showed (see :func:`portal.users.service.roles_version`).
    version: str | None = None


def _no_control_characters(value: str) -> None:
    if has_control_characters(value, multiline=False):
        raise ValidationError("Full name must only include letters, spaces and punctuation")


def _roles_field() -> fields.List[Role]:
    role = fields.Enum(
        Role, by_value=True, error_messages={"unknown": "Select roles from the list"}
    )
    return fields.List(
        role,
        required=True,
        error_messages={
            "required": "Select at least one role",
            "invalid": "Select roles from the list",
        },
        validate=[
            validate.Length(min=1, error="Select at least one role"),
            validate.Length(max=len(Role), error="Select roles from the list"),
        ],
    )


def _clearance_field() -> fields.Enum[Clearance]:
    return fields.Enum(
        Clearance,
        by_value=True,
        required=True,
        error_messages={
            "required": "Select the user's security clearance",
            "unknown": "Select a security clearance from the list",
        },
    )


class _InputSchema(Schema):
    """Unknown fields are errors; blank known fields count as missing; text is trimmed."""

    class Meta:
        unknown = RAISE

    #: Fields compared case-insensitively everywhere, so stored in lower case.
    lower_case: frozenset[str] = frozenset()

    @pre_load
    def tidy(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow reports the wrong type
        tidied: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str) and key not in _VERBATIM:
                value = value.strip()
                value = value.lower() if key in self.lower_case else value
            if key in self.fields and value in (None, "", []):
                continue  # reported as "required", with the field's own message
            tidied[key] = value
        return tidied


class _NewPasswordSchema(_InputSchema):
    """A password an administrator gives a user, typed twice.

    The password's rules are those of :func:`portal.auth.passwords.password_problem`, checked
    against the account's e-mail address too (here, or by the service when the address is
    not part of the form).
    """

    password = fields.String(
        required=True,
        error_messages={"required": "Enter a password for the user"},
        validate=validate.Length(
            max=PASSWORD_MAX_LENGTH,
            error=f"Password must be {PASSWORD_MAX_LENGTH} characters or fewer",
        ),
    )
    confirm_password = fields.String(
        required=True,
        load_only=True,
        error_messages={"required": "Enter the password again"},
        validate=validate.Length(max=PASSWORD_MAX_LENGTH, error="Passwords must match"),
    )

    @validates("password")
    def acceptable_password(self, value: str, **_: Any) -> None:
        problem = password_problem(value)
        if problem:
            raise ValidationError(problem)

    @validates_schema(skip_on_field_errors=False)
    def passwords_agree(self, data: Mapping[str, Any], **_: Any) -> None:
        password = data.get("password")
        if password is None:
            return
        email = data.get("email")
        problem = password_problem(password, email=email) if email else None
        if problem:
            raise ValidationError(problem, field_name="password")
        confirm = data.get("confirm_password")
        if confirm is not None and confirm != password:
            raise ValidationError("Passwords must match", field_name="confirm_password")


class CreateUserSchema(_NewPasswordSchema):
    lower_case = frozenset({"email"})

    full_name = fields.String(
        required=True,
        error_messages={"required": "Enter the user's full name"},
        validate=[
            validate.Length(
                max=NAME_MAX_LENGTH,
                error=f"Full name must be {NAME_MAX_LENGTH} characters or fewer",
            ),
            _no_control_characters,
        ],
    )
    email = fields.Email(
        required=True,
        error_messages={
            "required": "Enter the user's email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        validate=validate.Length(
            max=EMAIL_MAX_LENGTH,
            error=f"Email address must be {EMAIL_MAX_LENGTH} characters or fewer",
        ),
    )
    roles = _roles_field()
    clearance = _clearance_field()

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> CreateUserCommand:
        return CreateUserCommand(
            email=data["email"],
            full_name=data["full_name"],
            password=data["password"],
            roles=frozenset(data["roles"]),
            clearance=data["clearance"],
        )


class SetPasswordSchema(_NewPasswordSchema):
    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> SetPasswordCommand:
        return SetPasswordCommand(password=data["password"])


class ChangeRolesSchema(_InputSchema):
    roles = _roles_field()
    clearance = _clearance_field()
    version = fields.String(load_default=None, validate=validate.Length(max=64))

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> ChangeRolesCommand:
        return ChangeRolesCommand(
            roles=frozenset(data["roles"]),
            clearance=data["clearance"],
            version=data.get("version"),
        )
