"""The convention's settings a coordinator may change: its hours per day."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from marketplace.durations import parse_duration


class HoursPerDayForm(FlaskForm):
    hours = StringField(
        _l("Hours per day"),
        validators=[DataRequired()],
        description=_l("From 1 h to 12 h by half hours, e.g. 7, 7,5 or 7 h 30."),
    )

    def validate_hours(self, field) -> None:
        minutes = parse_duration(field.data)
        if minutes is None or minutes <= 0:
            raise ValidationError(_l("Enter hours, e.g. 7 or 7 h 30."))
        field.minutes = minutes
