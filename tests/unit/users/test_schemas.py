"""The input contracts for user administration, without a database or a request."""

from __future__ import annotations

import dataclasses

import pytest
from marshmallow import ValidationError

from portal.core.identity import Clearance, Role
from portal.users.schemas import (
    ChangeRolesCommand,
    ChangeRolesSchema,
    CreateUserCommand,
    CreateUserSchema,
)

PASSWORD = "lantern-orchard-gravel-91"
VALID = {
    "full_name": "  Robin Officer ",
    "email": "  Robin.Officer@Police.TEST ",
    "password": PASSWORD,
    "confirm_password": PASSWORD,
    "roles": ["mosovo_officer", "csods_officer", "mosovo_officer"],
    "clearance": "SC",
}


def _errors(schema, data):
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    return caught.value.messages


def test_load_valid_user_gives_frozen_normalised_command():
    command = CreateUserSchema().load(VALID)

    assert isinstance(command, CreateUserCommand)
    assert command.email == "robin.officer@police.test"
    assert command.full_name == "Robin Officer"
    assert command.roles == frozenset({Role.MOSOVO_OFFICER, Role.CSODS_OFFICER})
    assert command.clearance is Clearance.SC
    assert command.password == PASSWORD
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.email = "other@police.test"  # type: ignore[misc]


def test_load_valid_user_keeps_password_out_of_repr():
    assert PASSWORD not in repr(CreateUserSchema().load(VALID))


def test_load_password_with_spaces_keeps_it_verbatim():
    padded = "  lantern orchard gravel  "
    command = CreateUserSchema().load({**VALID, "password": padded, "confirm_password": padded})

    assert command.password == padded


@pytest.mark.parametrize("extra", ["agency_id", "status", "totp_secret", "id", "password_hash"])
def test_load_user_with_extra_field_is_rejected(extra):
    assert _errors(CreateUserSchema(), {**VALID, extra: "x"}) == {extra: ["Unknown field."]}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "a-b-c-d", "confirm_password": "a-b-c-d"}, "password", "12 characters"),
        ({"password": "x" * 257, "confirm_password": "x" * 257}, "password", "256 characters"),
        (
            {"password": "Password123!", "confirm_password": "Password123!"},
            "password",
            "too common",
        ),
        (
            {"password": "robin.officer-1984", "confirm_password": "robin.officer-1984"},
            "password",
            "email address",
        ),
        ({"confirm_password": PASSWORD + "x"}, "confirm_password", "must match"),
        ({"email": "robin@"}, "email", "correct format"),
        ({"email": "a" * 250 + "@p.test"}, "email", "254 characters"),
        ({"full_name": "x" * 201}, "full_name", "200 characters"),
        ({"full_name": "Robin\x00Officer"}, "full_name", "letters, spaces and punctuation"),
        ({"roles": ["mosovo_officer", "superuser"]}, "roles", "from the list"),
        ({"roles": "mosovo_officer"}, "roles", "from the list"),
        ({"roles": ["mosovo_officer"] * 9}, "roles", "from the list"),
        ({"clearance": "SECRET"}, "clearance", "from the list"),
        ({"clearance": "sc"}, "clearance", "from the list"),
    ],
)
def test_load_user_with_bad_value_names_the_field(changes, field, message):
    errors = _errors(CreateUserSchema(), {**VALID, **changes})

    assert field in errors
    assert message in str(errors[field])


@pytest.mark.parametrize("blank", [None, "", []])
def test_load_user_with_blank_fields_asks_for_each(blank):
    data = {key: blank for key in VALID}

    errors = _errors(CreateUserSchema(), data)

    assert set(errors) == set(VALID)
    assert errors["full_name"] == ["Enter the user's full name"]
    assert errors["roles"] == ["Select at least one role"]


def test_load_user_with_only_spaces_asks_for_text_but_judges_password_as_typed():
    data = {key: "   " for key in VALID}

    errors = _errors(CreateUserSchema(), data)

    assert errors["full_name"] == ["Enter the user's full name"]
    assert errors["email"] == ["Enter the user's email address"]
    assert errors["clearance"] == ["Select the user's security clearance"]
    assert errors["password"] == ["Password must be 12 characters or more"]


def test_load_non_mapping_is_rejected():
    assert _errors(CreateUserSchema(), ["not", "a", "form"]) == {"_schema": ["Invalid input type."]}


def test_load_roles_change_gives_command():
    command = ChangeRolesSchema().load({"roles": ["agency_admin"], "clearance": "DV"})

    assert command == ChangeRolesCommand(
        roles=frozenset({Role.AGENCY_ADMIN}), clearance=Clearance.DV
    )


@pytest.mark.parametrize("extra", ["agency_id", "email", "status"])
def test_load_roles_change_with_extra_field_is_rejected(extra):
    errors = _errors(
        ChangeRolesSchema(), {"roles": ["agency_admin"], "clearance": "DV", extra: "1"}
    )

    assert errors == {extra: ["Unknown field."]}
