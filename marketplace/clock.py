"""The one clock: `now()` is an aware UTC instant, `today()` the date in the programme's
timezone (`TIMEZONE`, default Europe/Paris).

Only the edges (views, commands, the scheduler) read the clock; services and jobs take
`today` and `now` as parameters, so tests choose them. A date is never taken from the
server's local time nor from the UTC date: a job fired at 00:30 in Paris in summer is
still the previous day in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Europe/Paris"


def timezone() -> tzinfo:
    """The programme's timezone (from the app's config when there is an app)."""
    name = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def local_date(instant: datetime) -> date:
    """The programme's calendar date at an instant (aware)."""
    return instant.astimezone(timezone()).date()


def today() -> date:
    """Today's date in the programme's timezone."""
    return local_date(now())
