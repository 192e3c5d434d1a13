"""Sign-in and account forms (presentation, CSRF and GOV.UK error summaries)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length

from portal.auth.passwords import MAX_LENGTH
from portal.core.widgets import SubmitButton


class SignInForm(FlaskForm):  # type: ignore[misc]
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password"), Length(max=MAX_LENGTH)],
    )
    next = HiddenField()
    submit = SubmitField("Continue", widget=SubmitButton())


class SecurityCodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the security code"), Length(max=12)],
    )
    submit = SubmitField("Sign in", widget=SubmitButton())


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your current password"), Length(max=MAX_LENGTH)],
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a new password"), Length(max=MAX_LENGTH)],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired("Confirm your new password"),
            EqualTo("new_password", "Passwords must match"),
        ],
    )
    submit = SubmitField("Change password", widget=SubmitButton())
