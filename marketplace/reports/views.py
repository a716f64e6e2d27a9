"""The convention dashboard and the funder reports (pages, CSV, XLSX, PDF, printable)."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.accounts.models import Organisation
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, Role
from marketplace.catalog import CATEGORIES, category_label
from marketplace.conventions.forms import HoursPerDayForm
from marketplace.conventions.models import Convention, Territory
from marketplace.conventions.services import (
    can_manage,
    set_hours_per_day,
    visible_conventions,
)
from marketplace.durations import hours_text
from marketplace.extensions import db
from marketplace.forms import commit_or_show
from marketplace.i18n import format_days
from marketplace.jobs.services import last_runs
from marketplace.missions import access
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.paging import bounded_count
from marketplace.params import choice_arg, int_arg, period_args
from marketplace.printing import pdf_download
from marketplace.reports.chart import burn_up_svg
from marketplace.reports.dashboard import burn_up, convention_standing
from marketplace.reports.programme import ReportFilters, build_report, hours_number
from marketplace.reports.tables import (
    Heading,
    format_month,
    heading,
    people_table,
    report_table,
    short_month,
    spreadsheet_number,
)
from marketplace.spreadsheets import csv_row, people_csv, xlsx_append

bp = Blueprint("reports", __name__)
ANYONE = ALL_ROLES
PAGE_MISSIONS = 200  # the page lists these; the XLSX has them all
DASHBOARD_MISSIONS = 10  # the newest on the dashboard; the missions list has them all


def _visible_convention(convention_id: int) -> Convention:
    convention = next((c for c in visible_conventions(current_user) if c.id == convention_id), None)
    if convention is None:
        abort(404)
    return convention


@bp.route("/conventions/<int:convention_id>/hours", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN, Role.GROUP_REFERENT)
def set_hours(convention_id: int):
    """The convention's hours per day (its coordinators and admins, while nothing is counted)."""
    convention = _visible_convention(convention_id)
    if not can_manage(current_user, convention):
        abort(403)
    form = HoursPerDayForm()
    status = 400
    if form.validate_on_submit():
        _done, refused = commit_or_show(
            form.hours, lambda: set_hours_per_day(current_user, convention, form.hours.minutes)
        )
        status = refused or status
        if refused is None:
            flash(
                _(
                    "A day of %(name)s now lasts %(hours)s.",
                    name=convention.name,
                    hours=hours_text(convention.minutes_per_day),
                ),
                "success",
            )
            return redirect(url_for("reports.show_convention", convention_id=convention.id))
    return show_convention(convention.id, form), status


@bp.route("/conventions/<int:convention_id>")
@role_required(Role.COORDINATOR, Role.ADMIN, Role.GROUP_REFERENT)
def show_convention(convention_id: int, hours_form: HoursPerDayForm | None = None):
    """Where a convention stands: quota, reserved, delivered, groups, burn-up, alerts, jobs."""
    convention = _visible_convention(convention_id)
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
        convention.quota_days,
        _("Skill days of %(name)s over time", name=convention.name),
        labels,
        number=format_days,
        month=short_month,
    )
    missions = access.visible_missions(current_user).where(Mission.convention_id == convention.id)
    return render_template(
        "reports/convention.html",
        missions=db.session.scalars(
            missions.options(
                joinedload(Mission.need).joinedload(Need.organisation),
                joinedload(Mission.offer).joinedload(Offer.expert),
            )
            .order_by(None)
            .order_by(Mission.created_at.desc(), Mission.id.desc())
            .limit(DASHBOARD_MISSIONS)
        ).all(),
        mission_count=bounded_count(missions),
        month_label=format_month,
        convention=convention,
        whole=whole,
        groups=groups,
        points=points,
        chart=Markup(svg),  # noqa: S704 - built by burn_up_svg, every text escaped
        job_runs=last_runs(),
        hours_form=(
            hours_form
            or HoursPerDayForm(hours=hours_text(convention.minutes_per_day).replace(" h 00", " h"))
        )
        if can_manage(current_user, convention)
        else None,
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


def _report_page(printable: bool) -> tuple[str, Heading]:
    """The report page: filters, figures, breakdowns, the missions behind them; printable
    (and in the PDF) with its heading instead of the filters."""
    filters, head = _export_context()
    report = build_report(current_user, filters, listed=PAGE_MISSIONS)
    conventions, groups, territories = _choices()
    html = render_template(
        "reports/report.html",
        report=report,
        filters=filters,
        conventions=conventions,
        groups=groups,
        territories=territories,
        categories=CATEGORIES,
        category_label=category_label,
        drill=drill_down(filters, report.group_ids),
        printable=printable,
        head=head,
        month_label=format_month,
    )
    return html, head


@bp.route("/reports")
@role_required(*ANYONE)
def reports():
    """The programme's figures, filtered, with breakdowns and the missions behind them."""
    return _report_page(printable=request.args.get("print") == "1")[0]


@bp.route("/reports.pdf")
@role_required(*ANYONE)
def reports_pdf():
    """The printable report (heading: programme, convention, period, issue date) as a PDF."""
    html, head = _report_page(printable=True)
    return pdf_download(html, head.filename_stem)


def _export_context():
    """The report, its heading (programme, convention, period, issue date) for a download."""
    filters = _filters()
    convention = (
        db.session.get(Convention, filters.convention_id) if filters.convention_id else None
    )
    if convention is not None and convention not in visible_conventions(current_user):
        convention = None  # the figures are filtered by the report itself; only the name is shown
    return filters, heading(filters, convention.name if convention else None, clock.today())


@bp.route("/reports.csv")
@role_required(*ANYONE)
def reports_csv():
    """The report as CSV for spreadsheet software: in French, `;`-separated with a BOM and
    decimal commas (what French Excel opens as columns), a heading block, labels not keys.
    `?format=data` gives the keyed table of `flask report --format csv` instead (for tools)."""
    data = choice_arg("format", ("people", "data")) == "data"
    filters, head = _export_context()
    report = build_report(current_user, filters, with_missions=False)
    if data:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(csv_row(r) for r in report_table(report))
        return Response(
            out.getvalue().encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{head.filename_stem}.csv"'},
        )
    rows: list[list] = [[head.title], *([label, value] for label, value in head.lines), []]
    for number, row in enumerate(people_table(report)):
        rows.append(row if number == 0 else [*row[:2], *(spreadsheet_number(v) for v in row[2:])])
    return Response(
        people_csv(rows, french=str(get_locale()) == "fr"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{head.filename_stem}.csv"'},
    )


@bp.route("/reports.xlsx")
@role_required(*ANYONE)
def reports_xlsx():
    """The report as an Excel workbook: a title and heading, typed figures, then the missions."""
    filters, head = _export_context()
    report = build_report(current_user, filters)
    # Write-only: rows are streamed to the file instead of kept as cells (the missions sheet
    # has one row per mission); column widths are set before the rows.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Figures")[:31])
    for column, width in zip("ABCDEFGHI", (16, 34, 14, 14, 10, 14, 13, 14, 13), strict=True):
        sheet.column_dimensions[column].width = width
    xlsx_append(sheet, [head.title], font=Font(bold=True, size=14))
    for label, value in head.typed_lines:
        xlsx_append(sheet, [label, value])
    xlsx_append(sheet, [])
    table = people_table(report)
    xlsx_append(sheet, table[0], font=Font(bold=True))
    for row in table[1:]:
        xlsx_append(sheet, row)
    missions = book.create_sheet(_("Missions")[:31])
    for column, width in zip("ABCDEFGHIJ", (12, 44, 28, 22, 24, 14, 14, 8, 13, 14), strict=True):
        missions.column_dimensions[column].width = width
    xlsx_append(
        missions,
        [
            _("Mission"),
            _("Title"),
            _("SME"),
            _("Group"),
            _("Category"),
            _("Days delivered"),
            _("Hours delivered"),
            _("Rating"),
            _("Jobs created"),
            _("Jobs preserved"),
        ],
        font=Font(bold=True),
    )
    for m in report.missions:
        xlsx_append(
            missions,
            [
                m["ref"],
                m["title"],
                m["sme"],
                m["group"],
                category_label(m["category"]),
                round(m["days"], 2),
                hours_number(m["minutes"]),
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
        headers={"Content-Disposition": f'attachment; filename="{head.filename_stem}.xlsx"'},
    )
