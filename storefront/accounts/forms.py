"""Forms for accounts and profiles; the rules that need the database live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

_EMAIL = [DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=320)]


class SignUpForm(FlaskForm):
    display_name = StringField(
        "Your name", [DataRequired("Enter the name other people will see."), Length(max=80)]
    )
    email = EmailField("Email", _EMAIL)
    password = PasswordField(
        "Password",
        [InputRequired("Choose a password."), Length(max=1024)],
        description="At least 10 characters. A few unrelated words work well.",
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", _EMAIL)
    password = PasswordField("Password", [InputRequired("Enter your password."), Length(max=1024)])
    next = HiddenField()


class EmailOnlyForm(FlaskForm):
    email = EmailField("Email", _EMAIL)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        [InputRequired("Choose a password."), Length(max=1024)],
        description="At least 10 characters.",
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", [InputRequired("Enter your current password.")])
    new_password = PasswordField(
        "New password",
        [InputRequired("Choose a new password."), Length(max=1024)],
        description="At least 10 characters. You stay logged in here; other devices are logged out.",
    )


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        "New email",
        [DataRequired("Enter the new address."), Email("Enter a valid email address."), Length(max=320)],
    )
    password = PasswordField("Password", [InputRequired("Enter your password to confirm.")])


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Password", [InputRequired("Enter your password to confirm.")])
    confirm = BooleanField(
        "I understand that this cannot be undone", [DataRequired("Tick the box to confirm.")]
    )


class ConfirmForm(FlaskForm):
    """A button that carries only the CSRF token: for confirmations that must not happen on GET."""


class ProfileForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter a name."), Length(max=120)])
    slug = StringField(
        "Address",
        [Optional(), Length(max=60)],
        description="Lowercase letters, digits and hyphens. Left empty, it is made from the name.",
    )
    bio = TextAreaField("About", [Optional(), Length(max=5000)])
    location = StringField("Location", [Optional(), Length(max=120)])
    links = TextAreaField("Links", [Optional(), Length(max=2500)], description="One web address per line.")
    avatar = FileField("Picture", description="JPEG, PNG or WebP, up to 8 MB. It is cropped to a square.")


class InviteForm(FlaskForm):
    email = EmailField("Email of the person to invite", _EMAIL)


class MemberRoleForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("member", "Member"),
            SelectChoice("owner", "Owner"),
            SelectChoice("remove", "Remove"),
        ],
    )


class RosterForm(FlaskForm):
    slug = StringField(
        "Address of the profile", [DataRequired("Enter the profile's address."), Length(max=60)]
    )


class LabelStandingForm(FlaskForm):
    verified = BooleanField("Verified by the platform (its vouches verify artists)")
    trusted_to_approve = BooleanField("Trusted to approve (its staff's approvals are certified)")
