"""Reading what a URL carries, bounded: path ids and query parameters.

A path id beyond what the database holds never matches a route (404); a query parameter
that is malformed, out of bounds, unknown or repeated with different values is a 400 whose
message names the parameter. Nothing reaches the database unchecked: an integer of 2^64 in
an OFFSET or a WHERE would otherwise fail inside the driver (a 500).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: 32-bit on PostgreSQL, and no table here gets near 2^31 rows.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
MAX_TEXT = 200


class BadParameter(BadRequest):
    """A 400 that names the query parameter at fault."""

    def __init__(self, name: str, message: str):
        self.parameter = name
        super().__init__(description=f"{name} : {message}")


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in routes: 1 … MAX_ID, so a huge id is a 404, not a driver overflow."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if not values:
        return None
    if len(set(values)) > 1:
        raise BadParameter(name, str(_l("given more than once with different values")))
    value = values[0]
    if "\x00" in value or len(value) > MAX_TEXT:
        raise BadParameter(name, str(_l("not a valid value")))
    return value


def int_arg(name: str, default: int | None = None, minimum: int = 1, maximum: int = MAX_ID):
    """An integer query parameter within bounds; `default` when absent or empty."""
    raw = _one(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadParameter(name, str(_l("a whole number is expected"))) from None
    if not minimum <= value <= maximum:
        raise BadParameter(
            name,
            str(_l("between %(low)s and %(high)s", low=minimum, high=maximum)),
        )
    return value


def date_arg(name: str) -> date | None:
    """A date query parameter, YYYY-MM-DD."""
    raw = _one(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadParameter(name, str(_l("a date YYYY-MM-DD is expected"))) from None


def choice_arg(name: str, choices: Iterable[str]) -> str | None:
    """One of the known values, or None when absent or empty."""
    raw = _one(name)
    if raw is None or raw == "":
        return None
    if raw not in set(choices):
        raise BadParameter(name, str(_l("unknown value")))
    return raw


def period_args(start_name: str = "from", end_name: str = "to") -> tuple[date | None, date | None]:
    """A period from two date parameters; the start may not come after the end."""
    start, end = date_arg(start_name), date_arg(end_name)
    if start and end and start > end:
        raise BadParameter(
            start_name, str(_l("the start comes after the end (%(end)s)", end=end_name))
        )
    return start, end
