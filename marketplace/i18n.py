"""Locale-aware formatting helpers exposed to templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date as babel_date
from babel.numbers import format_currency as babel_currency
from flask import Flask
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
)

from marketplace.durations import hours_text, minutes_to_days


def format_days(value: float | None) -> str:
    """Days as people write them: 3, 2,5, 3,29 (fr) or 3.29 (en)."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.##")


def format_days_unit(value: float | None) -> str:
    """Days with their word: « 1,5 jour », « 2 jours » (French: singular below 2), « 1 day »,
    « 1.5 days » (English: singular for exactly one)."""
    if value is None:
        return "—"
    french = str(get_locale() or "fr").startswith("fr")
    one = value < 2 if french else value == 1
    word = gettext("day") if one else gettext("days")  # outside an f-string: extracted
    return format_days(value) + " " + word


def format_share(value: float | None) -> str:
    """A share (0.0-1.0) as a percentage: « 98 % »."""
    return "—" if value is None else format_percent(value, format="#,##0 %")


def format_minutes_as_days(minutes: int | None, per_day: int) -> str:
    """Minutes (the figure of record) as days of `per_day` minutes: « 3,29 »."""
    return "—" if minutes is None else format_days(minutes_to_days(minutes, per_day))


def format_euros(cents: int | None) -> str:
    """Integer cents as the page's language writes money: « 15 000,00 € », « €15,000.00 »
    (exact: a Decimal, never a float)."""
    if cents is None:
        return "—"
    return _euros(int(cents), str(get_locale() or "fr"))


@lru_cache(maxsize=16384)
def _euros(cents: int, locale: str) -> str:
    """Babel reads the locale's currency pattern on every call (a tenth of a millisecond):
    a list of a hundred amounts paid for it on every page, so each amount is written once
    per language (bounded: the least recently used are forgotten)."""
    return babel_currency(Decimal(cents) / 100, "EUR", locale=locale)


def format_day(value, fmt: str = "medium") -> str:
    """A date as people read it in the page's language: « 8 déc. 2026 ». A calendar date
    is written once per language and format (tables repeat the same days); a datetime goes
    through Flask-Babel, which first moves it to the reader's timezone."""
    if not value:
        return "—"
    if isinstance(value, date) and not isinstance(value, datetime):
        return _day(value, fmt, str(get_locale() or "fr"))
    return format_date(value, fmt)


@lru_cache(maxsize=16384)
def _day(value: date, fmt: str, locale: str) -> str:
    return babel_date(value, fmt, locale=locale)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_day
    app.jinja_env.filters["datetime"] = lambda d, fmt="short": format_datetime(d, fmt) if d else "—"
    app.jinja_env.filters["number"] = lambda n: format_decimal(n) if n is not None else "—"
    app.jinja_env.filters["days"] = format_days
    app.jinja_env.filters["euros"] = format_euros
    app.jinja_env.filters["days_unit"] = format_days_unit
    app.jinja_env.filters["hours"] = hours_text
    app.jinja_env.filters["days_of"] = format_minutes_as_days
    app.jinja_env.filters["percent"] = format_share

    @app.context_processor
    def _locale():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
