"""Time in the tests: minutes, as the database counts them (a day of the default 7 h)."""

from __future__ import annotations

import math

DAY = 420  # minutes in a day of 7 h, the conventions' default
HALF = DAY // 2


def half_days_for(minutes: int, per_day: int = DAY) -> float:
    """The days a mission asks for this much time: rounded up to a half day."""
    return math.ceil(minutes * 2 / per_day) / 2
