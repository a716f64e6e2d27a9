"""The forms of the impact pages: the follow-up survey and the declared daily costs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.advances.forms import EurosField


class SurveyForm(FlaskForm):
    headcount = IntegerField(
        _l("People employed today"),
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
    )
    jobs_created = IntegerField(
        _l("Jobs created since the support"),
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
    )
    jobs_preserved = IntegerField(
        _l("Jobs preserved thanks to the support"),
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
        description=_l("Jobs that would have been lost without it."),
    )
    still_trading = BooleanField(_l("The company is still trading"), default=True)
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class DailyCostForm(FlaskForm):
    cost = EurosField(
        _l("Daily cost of an expert day (€)"),
        validators=[Optional()],
        description=_l("Between 50 € and 3,000 €; leave empty if not declared."),
    )
