"""The upload form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from marketplace.forms import select_choices


class UploadForm(FlaskForm):
    kind = SelectField(
        _l("What the file holds"),
        choices=select_choices(
            [("needs", _l("Needs (needs.csv)")), ("offers", _l("Offers (offers.csv)"))]
        ),
    )
    file = FileField(_l("CSV file"), validators=[FileRequired()])
