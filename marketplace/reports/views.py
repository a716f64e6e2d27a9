"""The convention dashboard and the funder reports (pages, CSV, XLSX, printable)."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from openpyxl import Workbook
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import Organisation
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import Role
from marketplace.catalog import CATEGORIES, category_label
from marketplace.conventions.models import Convention, ConventionGroup, Territory
from marketplace.conventions.services import conventions_for
from marketplace.extensions import db
from marketplace.jobs.services import last_runs
from marketplace.params import choice_arg, int_arg, period_args
from marketplace.reports.chart import burn_up_svg
from marketplace.reports.dashboard import burn_up, convention_standing
from marketplace.reports.programme import ReportFilters, build_report
from marketplace.reports.tables import report_table
from marketplace.spreadsheets import csv_row, xlsx_append

bp = Blueprint("reports", __name__)
ANYONE = (Role.SME_MANAGER, Role.VOLUNTEER, Role.GROUP_REFERENT, Role.COORDINATOR, Role.ADMIN)
PAGE_MISSIONS = 200  # the page lists these; the XLSX has them all


def visible_conventions(user) -> list[Convention]:
    """Coordinators their conventions, admins all, referents those their group is partner of."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return conventions_for(user)
    if user.role == Role.GROUP_REFERENT:
        return list(
            db.session.scalars(
                select(Convention)
                .join(ConventionGroup)
                .where(ConventionGroup.organisation_id == user.organisation_id)
            )
        )
    return []


@bp.route("/conventions/<int:convention_id>")
@role_required(Role.COORDINATOR, Role.ADMIN, Role.GROUP_REFERENT)
def show_convention(convention_id: int):
    """Where a convention stands: quota, reserved, delivered, groups, burn-up, alerts, jobs."""
    convention = next((c for c in visible_conventions(current_user) if c.id == convention_id), None)
    if convention is None:
        abort(404)
    whole, groups = convention_standing(convention)
    if current_user.role == Role.GROUP_REFERENT:
        mine = db.session.get(Organisation, current_user.organisation_id).name
        groups = [g for g in groups if g[0] == mine]
    points = burn_up(convention, clock.today())
    labels = {
        "delivered": _("days delivered"),
        "committed": _("delivered + reserved"),
        "pace": _("even pace"),
        "quota": _("quota"),
    }
    svg = burn_up_svg(
        points,
        convention.skill_days_quota,
        _("Skill days of %(name)s over time", name=convention.name),
        labels,
    )
    return render_template(
        "reports/convention.html",
        convention=convention,
        whole=whole,
        groups=groups,
        points=points,
        chart=Markup(svg),  # noqa: S704 - built by burn_up_svg, every text escaped
        job_runs=last_runs(),
    )


def _filters() -> ReportFilters:
    """The report's filters from the query string; a malformed one is a 400 naming it."""
    start, end = period_args("from", "to")
    choice_arg("print", ("0", "1"))
    return ReportFilters(
        convention_id=int_arg("convention"),
        start=start,
        end=end,
        group_id=int_arg("group"),
        category=choice_arg("category", CATEGORIES),
        territory_id=int_arg("territory"),
    )


def _choices():
    conventions = visible_conventions(current_user)
    groups = db.session.scalars(
        select(Organisation).where(Organisation.kind == "group").order_by(Organisation.name)
    ).all()
    territories = db.session.scalars(select(Territory).order_by(Territory.name)).all()
    return conventions, groups, territories


def drill_down(filters: ReportFilters, group_ids: dict[str, int]):
    """Links from a breakdown row to the same report narrowed to that row (its missions)."""
    base = {k: v for k, v in request.args.items() if k != "print" and v}

    def link(**changes) -> str:
        return url_for("reports.reports", **{**base, **changes})

    def month(key: str) -> str:
        year, number = int(key[:4]), int(key[5:7])
        first = date(year, number, 1)
        last = date(year, number, calendar.monthrange(year, number)[1])
        start = max(first, filters.start) if filters.start else first
        end = min(last, filters.end) if filters.end else last
        return link(**{"from": start.isoformat(), "to": end.isoformat()})

    return {
        "group": lambda name: link(group=group_ids[name]) if name in group_ids else None,
        "category": lambda code: link(category=code) if code else None,
        "month": month,
    }


@bp.route("/reports")
@role_required(*ANYONE)
def reports():
    """The programme's figures, filtered, with breakdowns and the missions behind them."""
    filters = _filters()
    report = build_report(current_user, filters, listed=PAGE_MISSIONS)
    conventions, groups, territories = _choices()
    return render_template(
        "reports/report.html",
        report=report,
        filters=filters,
        conventions=conventions,
        groups=groups,
        territories=territories,
        categories=CATEGORIES,
        category_label=category_label,
        drill=drill_down(filters, report.group_ids),
        printable=request.args.get("print") == "1",
    )


@bp.route("/reports.csv")
@role_required(*ANYONE)
def reports_csv():
    """The report as CSV."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        csv_row(row)
        for row in report_table(build_report(current_user, _filters(), with_missions=False))
    )
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="report.csv"'},
    )


@bp.route("/reports.xlsx")
@role_required(*ANYONE)
def reports_xlsx():
    """The report as an Excel workbook (figures, then the missions)."""

    report = build_report(current_user, _filters())
    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    for row in report_table(report):
        xlsx_append(sheet, row)
    missions = book.create_sheet("Missions")
    xlsx_append(
        missions,
        [
            "ref",
            "title",
            "sme",
            "group",
            "category",
            "days",
            "rating",
            "jobs_created",
            "jobs_preserved",
        ],
    )
    for m in report.missions:
        xlsx_append(
            missions,
            [
                m["ref"],
                m["title"],
                m["sme"],
                m["group"],
                m["category"],
                m["days"],
                m["rating"],
                m["jobs_created"],
                m["jobs_preserved"],
            ],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="report.xlsx"'},
    )
