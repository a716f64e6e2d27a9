"""Form pieces shared by needs and offers."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.accounts.siren import postcode_ok
from marketplace.catalog import CATEGORIES
from marketplace.forms import select_choices
from marketplace.i18n import format_days
from marketplace.listings.models import half_day_ok
from marketplace.textnorm import split_list


def category_choices(blank_label) -> list:
    return select_choices(
        [("", blank_label), *((code, label) for code, label in CATEGORIES.items())]
    )


class DaysField(StringField):
    """Days in half-day steps; accepts 2,5 as well as 2.5."""

    def __init__(self, label, minimum: float = 0.5, maximum: float = 60, **kwargs):
        super().__init__(label, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.number: float | None = None

    def pre_validate(self, form):
        raw = (self.data or "").strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError(_l("Enter a number of days, e.g. 2 or 2.5.")) from None
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(
                _l(
                    "Between %(min)s and %(max)s days.",
                    min=format_days(self.minimum),
                    max=format_days(self.maximum),
                )
            )
        if not half_day_ok(value):
            raise ValidationError(_l("Days go in half-day steps: 0.5, 1, 1.5…"))
        self.number = value


def _skills(form, field):
    items = split_list(field.data)
    if len(items) > 30:
        raise ValidationError(_l("At most 30 skills."))
    if any(len(item) > 80 for item in items):
        raise ValidationError(_l("A skill has at most 80 characters."))
    field.data = ";".join(items)


def _postcode(form, field):
    field.data = (field.data or "").strip()
    if postcode_ok(field.data):
        return
    if field.data.isdigit() and len(field.data) == 5:
        raise ValidationError(
            _l("%(code)s is not a French postcode: no département starts so.", code=field.data)
        )
    raise ValidationError(_l("A postcode has 5 digits, e.g. 54200."))


class ListingForm(FlaskForm):
    """Title, description, skills, category, days, window and place."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    skills = StringField(_l("Skills"), validators=[Optional(), Length(max=2000), _skills])
    category = SelectField(_l("Category"), choices=category_choices(_l("— choose —")))
    days = DaysField(_l("Days"))
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("Until"), validators=[DataRequired()])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(max=5), _postcode])
    commune = StringField(_l("Commune"), validators=[DataRequired(), Length(max=120)])
    is_remote_ok = BooleanField(_l("Remote work is fine"))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end comes before the start."))
        if field.data and field.data < self.today:
            raise ValidationError(_l("The window is entirely in the past."))


class ListFilterForm(FlaskForm):
    """The filters above a list (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)])
    territory_id = SelectField(_l("Territory"), validators=[Optional()])
    window_from = DateField(_l("Available from"), validators=[Optional()])
    window_to = DateField(_l("until"), validators=[Optional()])
    sort = SelectField(
        _l("Sort by"),
        validators=[Optional()],
        choices=select_choices(
            [
                ("recent", _l("most recent")),
                ("start", _l("start date")),
                ("days", _l("most days")),
                ("title", _l("title")),
            ]
        ),
    )
