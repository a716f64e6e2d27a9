"""The correction form: a signed duration (quarter hours), a reason, the day it counts on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.durations import STEP, parse_duration

# A correction never moves more than sixty days of twelve hours.
LARGEST = 60 * 12 * 60


class CorrectionForm(FlaskForm):
    duration = StringField(
        _l("Hours (negative to take back)"),
        validators=[DataRequired()],
        description=_l("e.g. 2 h 30, -1 h 15, 45 min, 3,5"),
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    entry_on = DateField(_l("Counts on"), validators=[DataRequired()])

    def validate_duration(self, field) -> None:
        minutes = parse_duration(field.data)
        if minutes is None:
            raise ValidationError(_l("Enter hours and minutes, e.g. 2 h 30 or -1 h 15."))
        if minutes == 0:
            raise ValidationError(_l("A correction cannot be zero."))
        if minutes % STEP:
            raise ValidationError(_l("A correction goes in steps of 15 minutes."))
        if abs(minutes) > LARGEST:
            raise ValidationError(_l("A correction moves at most 720 hours."))
        field.minutes = minutes
