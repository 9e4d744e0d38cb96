"""Forms of the release workspace: details, tracks, credits."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from .identifiers import CURRENCIES
from .models import ContributorRole, License, ReleaseType

LICENSE_LABELS = {
    License.ALL_RIGHTS_RESERVED: "All rights reserved",
    License.CC_BY: "Creative Commons Attribution (CC BY)",
    License.CC_BY_SA: "CC BY-SA (share alike)",
    License.CC_BY_ND: "CC BY-ND (no derivatives)",
    License.CC_BY_NC: "CC BY-NC (non-commercial)",
    License.CC_BY_NC_SA: "CC BY-NC-SA",
    License.CC_BY_NC_ND: "CC BY-NC-ND",
    License.CC0: "CC0 (public domain dedication)",
}
ROLE_LABELS = {
    ContributorRole.COMPOSER: "Composer",
    ContributorRole.LYRICIST: "Lyricist",
    ContributorRole.PERFORMER: "Performer",
    ContributorRole.PRODUCER: "Producer",
    ContributorRole.MIXING_ENGINEER: "Mixing engineer",
    ContributorRole.MASTERING_ENGINEER: "Mastering engineer",
    ContributorRole.ARTWORK: "Artwork",
}


class ReleaseForm(FlaskForm):
    title = StringField("Title", [DataRequired("Enter a title."), Length(max=200)])
    release_type = SelectField(
        "Type",
        choices=[
            SelectChoice(t.value, t.value.upper() if t == ReleaseType.EP else t.value.title())
            for t in ReleaseType
        ],
    )
    release_date = DateField("Release date", [Optional()])
    description = TextAreaField("About this release", [Optional(), Length(max=10000)])
    genre = StringField("Genre", [Optional(), Length(max=60)])
    tags = StringField("Tags", [Optional(), Length(max=600)], description="Separated by commas, up to 12.")
    location = StringField("Location", [Optional(), Length(max=120)])
    license = SelectField("License", choices=[SelectChoice(k.value, v) for k, v in LICENSE_LABELS.items()])
    upc = StringField(
        "UPC / EAN",
        [Optional(), Length(max=20)],
        description="12 or 13 digits, if a distributor gave you one.",
    )
    currency = SelectField("Currency", choices=[SelectChoice(c, c) for c in CURRENCIES])
    price = StringField(
        "Price",
        [Length(max=12)],
        default="0",
        description="For the whole release. 0 with pay-what-you-want makes it free.",
    )
    pay_what_you_want = BooleanField("Let fans pay more if they want (pay what you want)")
    minimum_price = StringField(
        "Minimum price",
        [Optional(), Length(max=12)],
        default="0",
        description="With pay-what-you-want: the least a fan pays; 0 means name your price.",
    )
    label_slug = SelectField("Label", choices=[], validate_choice=False)


class TrackForm(FlaskForm):
    title = StringField("Title", [DataRequired("Enter the track's title."), Length(max=200)])
    isrc = StringField("ISRC", [Optional(), Length(max=20)], description="Like GB-ABC-24-00001.")
    lyrics = TextAreaField("Lyrics", [Optional(), Length(max=20000)])
    explicit = BooleanField("Explicit lyrics")
    instant_grat = BooleanField(
        "Available at once on a pre-order",
        description="Buyers may download it as soon as they pre-order; the others wait for the release date.",
    )
    price = StringField(
        "Price on its own",
        [Optional(), Length(max=12)],
        description="Leave empty to sell this track only with the release.",
    )


class NewTrackForm(FlaskForm):
    title = StringField("New track title", [DataRequired("Enter the track's title."), Length(max=200)])


class ContributorForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter the person's name."), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()])
    instrument = StringField(
        "Instrument or voice",
        [Optional(), Length(max=80)],
        description="For performers, e.g. “lead vocals”, “drums”.",
    )
    track_id = SelectField("Credit for", choices=[], validate_choice=False)


class OrderForm(FlaskForm):
    order = HiddenField(validators=[DataRequired()])
