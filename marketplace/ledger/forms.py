"""The correction form: a signed number of half days, a reason, the day it counts on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


class CorrectionForm(FlaskForm):
    days = StringField(_l("Days (negative to take back)"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    entry_on = DateField(_l("Counts on"), validators=[DataRequired()])

    def validate_days(self, field) -> None:
        try:
            value = float((field.data or "").strip().replace(",", "."))
        except ValueError:
            raise ValidationError(_l("Enter a number of days, e.g. -0.5 or 1.")) from None
        if value == 0 or not float(value * 2).is_integer() or abs(value) > 60:
            raise ValidationError(_l("A correction is a non-zero number of half days."))
        field.number = value
