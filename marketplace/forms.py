"""Small helpers shared by the forms of every feature."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice

from marketplace.errors import DomainError
from marketplace.extensions import db


def select_choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 choices (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


def commit_or_show(field, call, form=None):
    """Run a service `call` for a submitted form and commit. A refusal (DomainError) undoes
    whatever the call began and is shown under `field`, or under the `form`'s field the
    refusal names: returns (result, None), or (None, the refusal's HTTP status)."""
    try:
        result = call()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        named = getattr(form, error.field, None) if form is not None and error.field else None
        target = named if named is not None and hasattr(named, "errors") else field
        target.errors = [*target.errors, error.message]
        return None, error.status_code
    return result, None
