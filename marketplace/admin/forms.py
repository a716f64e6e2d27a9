"""Forms to create organisations and invite users."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.accounts.roles import OrgKind, Role
from marketplace.accounts.siren import normalise_siren, postcode_ok, siren_problem
from marketplace.forms import select_choices

SIREN_MESSAGES = {
    "length": _l("A SIREN has exactly 9 digits."),
    "digits": _l("A SIREN contains digits only."),
    "checksum": _l("This SIREN is not valid (its check digit is wrong)."),
}

ORG_KIND_LABELS = {
    OrgKind.SME: _l("SME"),
    OrgKind.GROUP: _l("Group"),
    OrgKind.OPERATOR: _l("Operator"),
}

ROLE_LABELS = {
    Role.SME_MANAGER: _l("SME manager"),
    Role.VOLUNTEER: _l("Corporate volunteer"),
    Role.GROUP_REFERENT: _l("Group referent"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}

_NAF = re.compile(r"^\d{2}\.?\d{2}[A-Z]$")


def _siren(form, field):
    value = normalise_siren(field.data or "")
    field.data = value or None
    if value:
        problem = siren_problem(value)
        if problem:
            raise ValidationError(SIREN_MESSAGES[problem])


def _postcode(form, field):
    value = (field.data or "").strip()
    field.data = value
    if not postcode_ok(value):
        raise ValidationError(_l("A postcode has 5 digits, e.g. 54200."))


def _naf(form, field):
    value = (field.data or "").strip().upper()
    field.data = value or None
    if value and not _NAF.match(value):
        raise ValidationError(_l("A NAF code looks like 25.62B."))


class OrganisationForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), choices=select_choices((k.value, label) for k, label in ORG_KIND_LABELS.items())
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    siren = StringField(_l("SIREN"), validators=[Optional(), Length(max=20), _siren])
    naf_code = StringField(_l("NAF code"), validators=[Optional(), Length(max=6), _naf])
    headcount = IntegerField(
        _l("Headcount"), validators=[Optional(), NumberRange(min=0, max=500000)]
    )
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(max=5), _postcode])
    commune = StringField(_l("Commune"), validators=[DataRequired(), Length(max=120)])
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(min=-90, max=90)])
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(min=-180, max=180)])
    territory_id = SelectField(_l("Territory"), coerce=int)


class InviteUserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), Email()])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"))
    organisation_id = SelectField(_l("Organisation"), coerce=int)
