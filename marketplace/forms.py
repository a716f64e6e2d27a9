"""Small helpers shared by the forms of every feature."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def select_choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 choices (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]
