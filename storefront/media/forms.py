"""Forms of the media pages: a format to download, and the artist's preview policy."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..audio.formats import DOWNLOAD_FORMATS


class FormatForm(FlaskForm):
    format = SelectField(
        "Format",
        choices=[SelectChoice(f.key, f.label) for f in DOWNLOAD_FORMATS.values()],
        validators=[DataRequired()],
    )


class PreviewPolicyForm(FlaskForm):
    mode = RadioField(
        "What listeners may play before buying",
        choices=[SelectChoice("full", "Every track in full"), SelectChoice("clip", "A clip of each track")],
        default="full",
        validators=[DataRequired()],
    )
    clip_start = DecimalField(
        "Clip starts at (seconds)", default=0, places=1, validators=[Optional(), NumberRange(min=0)]
    )
    clip_length = DecimalField(
        "Clip length (seconds)", default=30, places=1, validators=[Optional(), NumberRange(min=5, max=600)]
    )
