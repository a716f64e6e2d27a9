"""The report as rows: one shape for the CSV, the XLSX and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from marketplace.catalog import category_label
from marketplace.i18n import format_day
from marketplace.reports.programme import hours_number
from marketplace.textnorm import fold


def report_table(report) -> list[list]:
    """The report as rows: the same numbers in the CSV, the XLSX and the command line."""
    header = [
        "section",
        "key",
        "days",
        "hours",
        "missions",
        "projects",
        "jobs_created",
        "jobs_preserved",
        "average_rating",
    ]
    rows = [header]

    def add(section, key, figures):
        rows.append(
            [
                section,
                key,
                round(figures.days, 2),
                hours_number(figures.minutes),
                figures.missions,
                figures.projects,
                figures.jobs_created,
                figures.jobs_preserved,
                "" if figures.average_rating is None else figures.average_rating,
            ]
        )

    add("total", "", report.totals)
    for name, figures in report.by_group:
        add("group", name, figures)
    for code, figures in report.by_category:
        add("category", code, figures)
    for month, figures in report.by_month:
        add("month", month, figures)
    return rows


# ------------------------------------------------------------------ for people (exports)


@dataclass(frozen=True)
class Heading:
    """What a funder's file says about itself: programme, convention, period, issue date."""

    title: str
    lines: list[tuple[str, str]]
    filename_stem: str
    # The same heading with its dates as dates (an XLSX writes them as date cells).
    typed_lines: list[tuple[str, object]]


def heading(filters, convention_name: str | None, issued_on: date) -> Heading:
    start = format_day(filters.start) if filters.start else _("the start")
    end = format_day(filters.end) if filters.end else _("today")
    lines = [
        (_("Programme"), _("Skill days · Alizé")),
        (_("Convention"), convention_name or _("all your conventions")),
        (_("Period"), _("from %(start)s to %(end)s", start=start, end=end)),
        (_("Issued on"), format_day(issued_on)),
    ]
    parts = ["report", slug(convention_name or "all")]
    if filters.start or filters.end:
        parts.append(
            f"{filters.start.isoformat() if filters.start else 'start'}"
            f"_{filters.end.isoformat() if filters.end else 'today'}"
        )
    parts.append(issued_on.isoformat())
    typed = [
        *lines[:2],
        (_("From"), filters.start or _("the start")),
        (_("Until"), filters.end or _("today")),
        (_("Issued on"), issued_on),
    ]
    return Heading(_("Skill days delivered"), lines, "-".join(parts), typed)


def slug(text: str) -> str:
    return "-".join(fold(text).split())[:60] or "all"


def people_table(report) -> list[list]:
    """The report's figures with labels a funder reads (not keys), numbers left as numbers."""
    rows = [
        [
            _("Breakdown"),
            _("Item"),
            _("Days delivered"),
            _("Hours delivered"),
            _("Missions"),
            _("Projects (SMEs)"),
            _("Jobs created"),
            _("Jobs preserved"),
            _("Average rating"),
        ]
    ]

    def add(section, item, figures):
        rows.append(
            [
                section,
                item,
                round(figures.days, 2),
                hours_number(figures.minutes),
                figures.missions,
                figures.projects,
                figures.jobs_created,
                figures.jobs_preserved,
                figures.average_rating,
            ]
        )

    add(_("Total"), "", report.totals)
    for name, figures in report.by_group:
        add(_("Group"), name, figures)
    for code, figures in report.by_category:
        add(_("Category"), category_label(code), figures)
    for month, figures in report.by_month:
        add(_("Month"), format_month(month), figures)
    return rows


def format_month(key: str) -> str:
    """'2026-03' as « mars 2026 »."""
    return format_date(date(int(key[:4]), int(key[5:7]), 1), "MMMM yyyy")


def short_month(key: str) -> str:
    """'2026-03' as « mars 26 » (a chart's axis)."""
    return format_date(date(int(key[:4]), int(key[5:7]), 1), "MMM yy")


def spreadsheet_number(value) -> str:
    """A number as the page's language writes it in a CSV (decimal comma in French)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and not value.is_integer():
        return format_decimal(value, format="0.##")
    return str(int(value)) if isinstance(value, float) else str(value)
