"""Checking one row of an import file, cell by cell (no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from marketplace.accounts.siren import normalise_siren, postcode_ok, siren_problem
from marketplace.catalog import CATEGORY_CODES
from marketplace.listings.models import half_day_ok
from marketplace.textnorm import split_list

REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
TRUE_WORDS = {"yes", "oui", "y", "o", "true", "1", "vrai"}
FALSE_WORDS = {"no", "non", "n", "false", "0", "faux"}
MAX_DAYS = 60
MAX_SKILLS = 30


@dataclass
class CellError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return str(_l("row %(row)d: %(message)s", row=self.row, message=self.message))
        return str(
            _l(
                "row %(row)d, column %(column)s: %(message)s",
                row=self.row,
                column=self.column,
                message=self.message,
            )
        )


class _Checker:
    def __init__(self, number: int, cells: dict[str, str], errors: list[CellError]):
        self.number, self.cells, self.errors = number, cells, errors
        self.values: dict = {}

    def fail(self, column: str, message) -> None:
        self.errors.append(CellError(self.number, column, str(message)))

    def text(self, column: str, max_length: int, required: bool = True) -> str:
        value = (
            " ".join((self.cells.get(column) or "").split())
            if column != "description"
            else (self.cells.get(column) or "").strip()
        )
        if required and not value:
            self.fail(column, _l("this cell is required"))
        elif len(value) > max_length:
            self.fail(
                column,
                _l(
                    "too long (%(length)d characters, at most %(max)d)",
                    length=len(value),
                    max=max_length,
                ),
            )
        self.values[column] = value
        return value

    def ref(self) -> str:
        value = self.text("ref", 40)
        if value and not REF_RE.match(value):
            self.fail("ref", _l("a reference uses letters, digits, '-', '_', '.', '/' only"))
        return value

    def siren(self) -> str | None:
        value = normalise_siren(self.cells.get("siren") or "")
        problem = siren_problem(value) if value else None
        if problem == "length":
            self.fail("siren", _l("a SIREN has exactly 9 digits (got %(value)s)", value=value))
        elif problem == "digits":
            self.fail("siren", _l("a SIREN contains digits only (got %(value)s)", value=value))
        elif problem == "checksum":
            self.fail("siren", _l("SIREN %(value)s is not valid (wrong check digit)", value=value))
        self.values["siren"] = value or None
        return value or None

    def skills(self) -> None:
        items = split_list(self.cells.get("skills"))
        if len(items) > MAX_SKILLS:
            self.fail("skills", _l("at most %(max)d skills", max=MAX_SKILLS))
        for item in items:
            if len(item) > 80:
                self.fail(
                    "skills",
                    _l("a skill has at most 80 characters: %(skill)s", skill=item[:40] + "…"),
                )
        self.values["skills"] = ";".join(items)

    def category(self) -> None:
        value = (self.cells.get("category") or "").strip().lower()
        if value and value not in CATEGORY_CODES:
            self.fail(
                "category",
                _l(
                    "unknown category %(value)s; use one of: %(codes)s",
                    value=value,
                    codes=", ".join(CATEGORY_CODES),
                ),
            )
        self.values["category"] = value or None

    def decimal(self, column: str) -> float | None:
        raw = (self.cells.get(column) or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.fail(column, _l("%(value)s is not a number", value=raw))
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(column, _l("%(value)s is not a number", value=raw))
            return None
        return value

    def days(self) -> None:
        if not (self.cells.get("days") or "").strip():
            self.fail("days", _l("this cell is required"))
            return
        value = self.decimal("days")
        if value is None:
            return
        if not half_day_ok(value):
            self.fail(
                "days",
                _l("days go in half-day steps: 0.5, 1, 1.5… (got %(value)s)", value=_plain(value)),
            )
        elif not 0.5 <= value <= MAX_DAYS:
            self.fail(
                "days",
                _l(
                    "between 0.5 and %(max)d days (got %(value)s)",
                    max=MAX_DAYS,
                    value=_plain(value),
                ),
            )
        self.values["days"] = value

    def place(self) -> None:
        raw = (self.cells.get("postcode") or "").strip()
        postcode = raw.zfill(5) if raw.isdigit() and len(raw) == 4 else raw
        if not postcode_ok(postcode):
            self.fail("postcode", _l("a postcode has 5 digits (got %(value)s)", value=raw or "∅"))
        self.values["postcode"] = postcode
        self.text("commune", 120)
        lat, lon = self.decimal("lat"), self.decimal("lon")
        if lat is not None and not -90 <= lat <= 90:
            self.fail(
                "lat", _l("a latitude is between -90 and 90 (got %(value)s)", value=_plain(lat))
            )
        if lon is not None and not -180 <= lon <= 180:
            self.fail(
                "lon", _l("a longitude is between -180 and 180 (got %(value)s)", value=_plain(lon))
            )
        if (lat is None) != (lon is None):
            self.fail("lon" if lon is None else "lat", _l("give both lat and lon, or neither"))
        self.values["lat"], self.values["lon"] = lat, lon

    def boolean(self, column: str) -> None:
        raw = (self.cells.get(column) or "").strip().lower()
        if raw in TRUE_WORDS:
            self.values[column] = True
        elif raw in FALSE_WORDS:
            self.values[column] = False
        else:
            self.fail(column, _l("write yes or no (got %(value)s)", value=raw or "∅"))

    def date(self, column: str) -> date | None:
        raw = (self.cells.get(column) or "").strip()
        value = None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                value = datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
                break
            except ValueError:
                continue
        if value is None:
            self.fail(column, _l("a date is written YYYY-MM-DD (got %(value)s)", value=raw or "∅"))
        self.values[column] = value
        return value

    def window(self, start: str, end: str) -> None:
        first, last = self.date(start), self.date(end)
        if first and last and first > last:
            self.fail(
                end,
                _l(
                    "%(end)s (%(last)s) is before %(start)s (%(first)s)",
                    end=end,
                    last=last.isoformat(),
                    start=start,
                    first=first.isoformat(),
                ),
            )

    def integer(self, column: str, low: int, high: int) -> None:
        raw = (self.cells.get(column) or "").strip()
        try:
            value = int(float(raw)) if raw and float(raw).is_integer() else int(raw)
        except ValueError:
            self.fail(column, _l("a whole number is expected (got %(value)s)", value=raw or "∅"))
            return
        if not low <= value <= high:
            self.fail(
                column,
                _l("between %(low)d and %(high)d (got %(value)d)", low=low, high=high, value=value),
            )
        self.values[column] = value

    def email(self, column: str) -> None:
        value = (self.cells.get(column) or "").strip().lower()
        if not EMAIL_RE.match(value) or len(value) > 254:
            self.fail(column, _l("not a valid e-mail address: %(value)s", value=value or "∅"))
        self.values[column] = value


def _plain(value: float) -> str:
    return f"{value:g}"


def _width_problem(number: int, cells: dict, errors: list[CellError]) -> bool:
    if "__width__" in cells:
        errors.append(
            CellError(
                number,
                "",
                str(
                    _l(
                        "%(count)s cells instead of %(expected)s (a quote or separator is off)",
                        count=cells["__width__"],
                        expected=cells["__expected__"],
                    )
                ),
            )
        )
        return True
    return False


def check_need_row(number: int, cells: dict[str, str], errors: list[CellError]) -> dict | None:
    """The clean values of a needs.csv row, or None (errors appended)."""
    if _width_problem(number, cells, errors):
        return None
    before = len(errors)
    check = _Checker(number, cells, errors)
    check.ref()
    check.text("sme", 200)
    check.siren()
    check.text("title", 200)
    check.text("description", 5000, required=False)
    check.skills()
    check.category()
    check.days()
    check.place()
    check.boolean("remote_ok")
    check.window("earliest", "latest")
    return check.values if len(errors) == before else None


def check_offer_row(number: int, cells: dict[str, str], errors: list[CellError]) -> dict | None:
    """The clean values of an offers.csv row, or None (errors appended)."""
    if _width_problem(number, cells, errors):
        return None
    before = len(errors)
    check = _Checker(number, cells, errors)
    check.ref()
    check.text("group", 200)
    check.text("expert", 120)
    check.email("expert_email")
    check.text("title", 200)
    check.text("description", 5000, required=False)
    check.skills()
    check.category()
    check.days()
    check.place()
    check.integer("max_km", 0, 2000)
    check.boolean("remote_ok")
    check.window("available_from", "available_until")
    return check.values if len(errors) == before else None
