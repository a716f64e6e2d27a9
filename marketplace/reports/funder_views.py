"""The funder's report page (`/programme`): a territory, a convention (with its renewals)
or several territories side by side, over a period; its exports (CSV, XLSX, PDF) and the
projects behind each figure. Figures from `reports.funder`, the same as the command line."""

from __future__ import annotations

import io
from decimal import Decimal

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import Role
from marketplace.conventions.models import Convention, Territory
from marketplace.conventions.services import coordinator_territory_ids, visible_conventions
from marketplace.extensions import db
from marketplace.i18n import format_days, format_euros
from marketplace.params import BadParameter, choice_arg, int_arg, period_args
from marketplace.printing import pdf_download
from marketplace.reports import funder
from marketplace.reports.tables import slug
from marketplace.spreadsheets import people_csv, xlsx_append

bp = Blueprint("programme", __name__)
READERS = (Role.ADMIN, Role.COORDINATOR, Role.GROUP_REFERENT)


def report_territories(user) -> list[Territory]:
    """Administrators: every territory; coordinators: theirs; group referents: those where
    their group is a partner of a convention (aggregates only: no drill-down)."""
    query = select(Territory).order_by(Territory.name)
    if user.role != Role.ADMIN:
        ids = {c.territory_id for c in visible_conventions(user)}
        if user.role == Role.COORDINATOR:
            ids |= coordinator_territory_ids(user)
        query = query.where(Territory.id.in_(ids))
    return list(db.session.scalars(query))


def can_drill(user) -> bool:
    return user.role in (Role.ADMIN, Role.COORDINATOR)


def _scope() -> tuple[funder.Scope, list[Territory], list[Convention]]:
    territories = report_territories(current_user)
    visible = {t.id for t in territories}
    chosen = []
    for raw in request.args.getlist("territory"):
        try:
            territory_id = int(raw)
        except ValueError:
            raise BadParameter("territory", _("a whole number is expected")) from None
        if territory_id not in visible:
            abort(404)
        if territory_id not in chosen:
            chosen.append(territory_id)
    conventions = [c for c in visible_conventions(current_user) if c.territory_id in visible]
    convention_id = int_arg("convention")
    if convention_id is not None and convention_id not in {c.id for c in conventions}:
        abort(404)
    start, end = period_args()
    if not chosen and convention_id is None:
        if not territories:
            abort(404)
        chosen = [territories[0].id]
    scope = funder.Scope(
        territory_ids=[] if convention_id else chosen,
        convention_id=convention_id,
        with_renewals=request.args.get("renewals") == "1",
        start=start,
        end=end,
    )
    return scope, territories, sorted(conventions, key=lambda c: (c.territory_id, c.starts_on))


def value_text(kind: str, value) -> str:
    if value is None:
        return "—"
    if kind == "eur":
        return format_euros(int(Decimal(str(value)) * 100))
    if kind == "days":
        return format_days(float(value))
    if kind == "percent":
        return format_percent(float(value), format="#,##0 %")
    if kind == "ratio":
        return format_decimal(float(value), format="#,##0.0#") + " ×"
    return format_decimal(value)


def _columns():
    """The scope asked for and its report; a scope the report cannot read is a 400."""
    scope, territories, conventions = _scope()
    try:
        return scope, territories, conventions, funder.build(scope)
    except funder.ScopeError as error:
        raise BadParameter(error.field, str(error)) from None


def _page(scope, territories, conventions, columns, printable: bool = False) -> str:
    figures = [(c, c.figures(), c.per_inhabitants()) for c in columns]
    return render_template(
        "reports/programme.html",
        scope=scope,
        columns=columns,
        figures=figures,
        any_data=any(not c.empty for c in columns),
        any_per=any(per for _c, _f, per in figures),
        lines=funder.FIGURES,
        per_lines=funder.PER_INHABITANTS,
        labels={key: label for key, label, _kind in funder.FIGURES},
        drill=funder.DRILL,
        can_drill=can_drill(current_user) and not printable,
        territories=territories,
        conventions=conventions,
        value_text=value_text,
        printable=printable,
        issued=clock.today(),
    )


@bp.route("/programme")
@role_required(*READERS)
def programme():
    """The funder's report; `?format=csv|xlsx|pdf` downloads it."""
    fmt = choice_arg("format", ("csv", "xlsx", "pdf"))
    scope, territories, conventions, columns = _columns()
    stem = _stem(columns, scope)
    if fmt == "pdf":
        return pdf_download(_page(scope, territories, conventions, columns, True), stem)
    if fmt in ("csv", "xlsx"):
        rows = _people_rows(columns, scope)
        if fmt == "csv":
            return Response(
                people_csv(rows, french=str(get_locale()) == "fr"),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
            )
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Programme report")[:31])
        for number, row in enumerate(rows):
            xlsx_append(sheet, row, font=Font(bold=True) if number in (0, 3) else None)
        out = io.BytesIO()
        book.save(out)
        return Response(
            out.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
        )
    return _page(scope, territories, conventions, columns)


def _stem(columns, scope) -> str:
    names = "-".join(slug(c.territory.name) for c in columns)
    period = "-".join(d.isoformat() for d in (scope.start, scope.end) if d)
    return f"rapport-programme-{names}{'-' + period if period else ''}"


def _people_rows(columns, scope) -> list[list]:
    """The figures for spreadsheet software: a heading, then one line per figure with its
    label, one column per territory; numbers stay numbers."""
    period = " → ".join(d.isoformat() if d else "…" for d in (scope.start, scope.end))
    rows: list[list] = [
        [_("Programme report")],
        [_("Period"), period],
        [_("Issued on"), clock.today()],
        ["", *(c.territory.name for c in columns)],
    ]
    figures = [c.figures() for c in columns]
    for key, label, _kind in funder.FIGURES:
        values = []
        for f in figures:
            value = f[key]
            values.append(
                "" if value is None else float(value) if isinstance(value, Decimal) else value
            )
        rows.append([str(label), *values])
    per = [c.per_inhabitants() for c in columns]
    if any(per):
        rows.append([])
        rows.append([_("Per 10,000 inhabitants")])
        labels = {key: label for key, label, _kind in funder.FIGURES}
        for key in funder.PER_INHABITANTS:
            rows.append([str(labels[key]), *((float(p[key]) if p else "") for p in per)])
    return rows


@bp.route("/programme/projects")
@role_required(Role.ADMIN, Role.COORDINATOR)
def programme_projects():
    """The projects behind one figure of one territory's report."""
    figure = choice_arg("figure", funder.DRILL) or "projects"
    scope, _territories, _conventions, columns = _columns()
    labels = {key: label for key, label, _kind in funder.FIGURES}
    return render_template(
        "reports/programme_projects.html",
        scope=scope,
        columns=[(c, [r for r in c.rows if funder.DRILL[figure](r)]) for c in columns],
        figure=figure,
        label=labels.get(figure, figure),
    )
