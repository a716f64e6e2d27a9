"""The forms of the finance pages: amounts typed as people write euros (« 15 000 »,
« 15000,50 »), read into integer cents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.advances.money import BadAmount, parse_euros
from marketplace.forms import select_choices


class EurosField(StringField):
    """Euros as typed; `.cents` holds the amount in integer cents once validated."""

    cents: int | None = None

    def pre_validate(self, form):
        self.cents = None
        if not (self.data or "").strip():
            return
        try:
            self.cents = parse_euros(self.data)
        except BadAmount:
            raise ValidationError(_l("An amount in euros, such as 15 000 or 15000,50.")) from None


class AdvanceForm(FlaskForm):
    organisation_id = SelectField(_l("SME"), coerce=int, validators=[Optional()])
    amount = EurosField(_l("Amount (€)"), validators=[DataRequired()])
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[DataRequired(), Length(max=4000)],
        description=_l("What the advance pays for: a cash gap, a development, a machine..."),
    )
    term_months = IntegerField(
        _l("Term (months)"), validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    grace_months = IntegerField(
        _l("Grace period (months)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=60)],
    )
    frequency = SelectField(
        _l("Instalments"),
        choices=select_choices([("monthly", _l("monthly")), ("quarterly", _l("quarterly"))]),
    )
    headcount = IntegerField(
        _l("Headcount today"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    jobs_to_create = IntegerField(
        _l("Jobs to create"), validators=[Optional(), NumberRange(min=0, max=10000)]
    )
    jobs_to_preserve = IntegerField(
        _l("Jobs to preserve"), validators=[Optional(), NumberRange(min=0, max=10000)]
    )
    lender = StringField(_l("Co-financing: lender"), validators=[Optional(), Length(max=200)])
    cofinancing = EurosField(_l("Co-financing: amount (€)"), validators=[Optional()])
    analysis = TextAreaField(
        _l("Case officer's analysis"), validators=[Optional(), Length(max=8000)]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        lender = bool((self.lender.data or "").strip())
        amount = bool((self.cofinancing.data or "").strip())
        if lender != amount:
            self.cofinancing.errors = [
                *self.cofinancing.errors,
                _l("Give both the lender and the amount, or neither."),
            ]
            valid = False
        return valid

    def fields(self) -> dict:
        """The application's columns (the analysis only when this form has the field)."""
        values = {
            "amount_cents": self.amount.cents,
            "purpose": self.purpose.data.strip(),
            "term_months": self.term_months.data,
            "grace_months": self.grace_months.data,
            "frequency": self.frequency.data,
            "headcount": self.headcount.data,
            "jobs_to_create": self.jobs_to_create.data,
            "jobs_to_preserve": self.jobs_to_preserve.data,
        }
        if self.analysis is not None:
            values["analysis"] = (self.analysis.data or "").strip() or None
        return values

    def cofinancing_rows(self) -> list[tuple[str, int]]:
        if self.cofinancing.cents is None:
            return []
        return [(self.lender.data.strip(), self.cofinancing.cents)]


class MoneyForm(FlaskForm):
    """A disbursement or a repayment."""

    amount = EurosField(_l("Amount (€)"), validators=[DataRequired()])
    on = DateField(_l("Date"), validators=[DataRequired()])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=120)])


class FundForm(FlaskForm):
    """A territory's fund and its committee, set up by an administrator."""

    territory_id = SelectField(_l("Territory"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name of the fund"), validators=[DataRequired(), Length(max=200)])
    min_amount = EurosField(
        _l("Smallest advance (€)"), default="15 000", validators=[DataRequired()]
    )
    max_amount = EurosField(
        _l("Largest advance (€)"), default="30 000", validators=[DataRequired()]
    )
    quorum = IntegerField(
        _l("Committee quorum (voting members present)"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=50)],
    )

    def validate_max_amount(self, field):
        if (
            self.min_amount.cents
            and field.cents is not None
            and field.cents < self.min_amount.cents
        ):
            raise ValidationError(_l("The largest advance cannot be below the smallest."))


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    user_id = SelectField(_l("Account (to see the dossiers)"), coerce=int, validators=[Optional()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    seat = SelectField(
        _l("Seat"),
        choices=select_choices(
            [("group", _l("group")), ("operator", _l("operator")), ("bank", _l("bank"))]
        ),
    )
    joined_on = DateField(_l("Member since"), validators=[DataRequired()])


class LinkForm(FlaskForm):
    """A link a member declares with an organisation: recused from its dossiers."""

    member_id = SelectField(_l("Member"), coerce=int, validators=[DataRequired()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    note = StringField(_l("The link"), validators=[Optional(), Length(max=500)])


class RescheduleForm(FlaskForm):
    start = DateField(_l("First month of the new schedule"), validators=[DataRequired()])
    term_months = IntegerField(
        _l("Term (months)"), validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    grace_months = IntegerField(
        _l("Grace period (months)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=60)],
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ContributionForm(FlaskForm):
    contributor_id = SelectField(_l("Contributor"), coerce=int, validators=[Optional()])
    contributor = StringField(
        _l("Or another contributor"), validators=[Optional(), Length(max=200)]
    )
    amount = EurosField(_l("Amount (€)"), validators=[DataRequired()])
    on = DateField(_l("Date"), validators=[DataRequired()])

    def validate_contributor(self, field):
        if not self.contributor_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Choose a group or name the contributor."))


class SessionForm(FlaskForm):
    held_on = DateField(_l("Date of the session"), validators=[DataRequired()])


class AgendaForm(FlaskForm):
    advance_id = SelectField(_l("Dossier"), coerce=int, validators=[DataRequired()])


class AttendanceForm(FlaskForm):
    present = SelectMultipleField(_l("Members present"), coerce=int, validators=[Optional()])


class DecisionForm(FlaskForm):
    items = SelectMultipleField(_l("Dossiers"), coerce=int, validators=[Optional()])
    decision = SelectField(
        _l("Decision"),
        choices=select_choices(
            [
                ("", _l("— choose —")),
                ("approved", _l("approved")),
                ("conditional", _l("approved with conditions")),
                ("adjourned", _l("adjourned")),
                ("refused", _l("refused")),
            ]
        ),
    )
    conditions = TextAreaField(
        _l("Conditions (one per line)"), validators=[Optional(), Length(max=4000)]
    )
    comment = TextAreaField(
        _l("Comment for the minutes"), validators=[Optional(), Length(max=4000)]
    )


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
