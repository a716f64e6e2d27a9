"""Time as the programme counts it: whole minutes in the database, days for people.

Every amount of time that is counted (sessions, ledger entries, reservations, offers'
capacity, the convention and group counters) is an integer number of minutes, so sums are
exact. People still set quotas, commitments, needs and offers in days (half-day steps): a
day is the convention's « hours per day » (7 h unless the convention says otherwise), and
a half day is half of it, always a whole number of minutes (hours per day go in steps of
half an hour).
"""

from __future__ import annotations

import re
from fractions import Fraction

DEFAULT_MINUTES_PER_DAY = 7 * 60
# Hours per day a convention may set: 1 h to 12 h, in steps of 30 minutes (so that half a
# day is a whole number of minutes, and a multiple of 15 minutes).
MIN_MINUTES_PER_DAY, MAX_MINUTES_PER_DAY, DAY_STEP = 60, 12 * 60, 30
# Sessions and corrections go in steps of 15 minutes.
STEP = 15


def days_to_minutes(days: float, per_day: int) -> int:
    """Half-day steps to minutes, exactly (a half day is a whole number of minutes)."""
    value = Fraction(days) * per_day
    if (Fraction(days) * 2).denominator != 1 or value.denominator != 1:
        raise ValueError(f"{days} days is not a number of half days of {per_day} minutes")
    return int(value)


def minutes_to_days(minutes: int, per_day: int) -> float:
    """For display only: the figure of record stays the minutes."""
    return minutes / per_day


_HOURS = re.compile(
    r"^\s*(?P<sign>[-+−]?)\s*(?:(?P<h>\d{1,3})\s*(?:h|:)\s*(?P<m>\d{1,2})?\s*(?:min)?"
    r"|(?P<only_m>\d{1,4})\s*min|(?P<dec>\d{1,3}(?:[.,]\d{1,2})?))\s*$",
    re.IGNORECASE,
)


def parse_duration(text: str | None) -> int | None:
    """Minutes from what people type: « 2 », « 2,5 » (hours), « 2 h 30 », « 2:30 »,
    « 45 min », with an optional sign. None when it cannot be read."""
    match = _HOURS.match(text or "")
    if not match:
        return None
    if match["h"] is not None:
        minutes = int(match["h"]) * 60 + int(match["m"] or 0)
        if match["m"] is not None and int(match["m"]) >= 60:
            return None
    elif match["only_m"] is not None:
        minutes = int(match["only_m"])
    else:
        hours = Fraction(match["dec"].replace(",", "."))
        if (hours * 60).denominator != 1:
            return None
        minutes = int(hours * 60)
    return -minutes if match["sign"] in ("-", "−") else minutes


def hours_text(minutes: int | None) -> str:
    """« 2 h », « 2 h 30 », « 45 min », « -1 h 15 »: the same in French and English."""
    if minutes is None:
        return "—"
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(int(minutes)), 60)
    if not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} h {rest:02d}" if rest else f"{sign}{hours} h"


def duration_choices(per_day: int) -> list[tuple[int, str]]:
    """A session's lengths, 15 minutes to one day, as (minutes, « 2 h 30 »)."""
    return [(m, hours_text(m)) for m in range(STEP, per_day + 1, STEP)]
