"""The offer form: the shared listing fields, the expert and the travel distance."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from marketplace.listings.forms import DaysField, ListingForm


class OfferForm(ListingForm):
    expert_id = SelectField(_l("Expert"), coerce=int)
    days = DaysField(_l("Capacity (days)"))
    max_km = IntegerField(
        _l("Maximum travel distance (km)"),
        validators=[InputRequired(), NumberRange(min=0, max=2000)],
        default=50,
    )
