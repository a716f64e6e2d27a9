"""Money as integer cents: parsing what people type, writing it as they read it, and the
repayment schedule of a 0 % advance (exact: the last instalment takes the rounding)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

FREQUENCIES = {"monthly": 1, "quarterly": 3}
_AMOUNT = re.compile(r"^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€|eur|EUR)?\s*$")


class BadAmount(ValueError):
    """Not an amount of euros and cents."""


def parse_euros(text: str) -> int:
    """« 15 000 », « 15000,50 », « 15 000 € » → cents. Spaces (also narrow and no-break ones)
    group thousands; a comma or a point separates at most two decimals."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text or "")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise BadAmount(text)
    euros, cents = match.groups()
    return int(euros) * 100 + int((cents or "0").ljust(2, "0"))


def euros_text(cents: int) -> str:
    """Cents as a form shows them back, read again by `parse_euros`: « 15000 », « 15000,50 »."""
    euros, rest = divmod(cents, 100)
    return f"{euros},{rest:02d}" if rest else str(euros)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    amount_cents: int


class BadSchedule(ValueError):
    """A schedule that cannot be drawn; `field` names the form field it is about."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field
        self.message = message


def schedule(
    amount_cents: int, term_months: int, grace_months: int, frequency: str, start: date
) -> list[Instalment]:
    """A 0 % schedule: nothing during the grace period, then equal instalments every month
    or quarter until the term; the last one takes what rounding left over, so the
    instalments always add up to the amount, to the cent."""
    if amount_cents <= 0:
        raise BadSchedule("amount", _l("The amount must be positive."))
    if frequency not in FREQUENCIES:
        raise BadSchedule("frequency", _l("Monthly or quarterly."))
    if term_months <= 0:
        raise BadSchedule("term_months", _l("The term must be at least one month."))
    if not 0 <= grace_months < term_months:
        raise BadSchedule("grace_months", _l("The grace period must be shorter than the term."))
    every = FREQUENCIES[frequency]
    repaying = term_months - grace_months
    if repaying % every:
        raise BadSchedule(
            "term_months", _l("The months after the grace period must be whole quarters.")
        )
    count = repaying // every
    base = amount_cents // count
    return [
        Instalment(
            number,
            add_months(start, grace_months + number * every),
            base if number < count else amount_cents - base * (count - 1),
        )
        for number in range(1, count + 1)
    ]
