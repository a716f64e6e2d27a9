"""`flask --app wsgi report`: the skill-days figures (`--convention ID --format json|csv`)
and `report programme`, the funder's report (a contract, see docs/domain.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from marketplace.accounts.roles import COMMAND_LINE
from marketplace.conventions.models import Territory
from marketplace.extensions import db
from marketplace.reports import funder
from marketplace.reports.programme import ReportFilters, build_report
from marketplace.reports.tables import report_table


@click.group("report", invoke_without_command=True)
@with_appcontext
@click.option("--convention", "convention_id", type=int, help="Convention id (default: all).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day.")
@click.option("--group", "group_id", type=int, help="Partner group (organisation id).")
@click.option("--category", help="Category code (hr, legal, ...).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.pass_context
def report_command(ctx, convention_id, start, end, group_id, category, fmt) -> None:
    """The skill-days figures, as on /reports: projects, missions, days, jobs, ratings.
    `report programme` is the funder's report."""
    if ctx.invoked_subcommand is not None:
        return
    filters = ReportFilters(
        convention_id=convention_id,
        start=start.date() if start else None,
        end=end.date() if end else None,
        group_id=group_id,
        category=category,
    )
    report = build_report(COMMAND_LINE, filters, with_missions=(fmt == "json"))
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(report_table(report))
        click.echo(out.getvalue(), nl=False)
        return
    click.echo(
        json.dumps(
            {
                "filters": {
                    k: (v.isoformat() if isinstance(v, date) else v)
                    for k, v in filters.__dict__.items()
                },
                "totals": report.totals.as_dict(),
                "by_group": {name: f.as_dict() for name, f in report.by_group},
                "by_category": {code: f.as_dict() for code, f in report.by_category},
                "by_month": {month: f.as_dict() for month, f in report.by_month},
                "missions": report.missions,
            },
            ensure_ascii=False,
        )
    )


def _decimal(value):
    if isinstance(value, Decimal):
        return float(value)  # two decimals at most: the JSON number reads back exactly
    raise TypeError(type(value).__name__)


@report_command.command("programme")
@with_appcontext
@click.option("--territory", "territory_name", help="Territory name, as on its page.")
@click.option("--convention", "convention_id", type=int, help="Convention id.")
@click.option("--with-renewals", is_flag=True, help="The convention and its renewals as one.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
def programme_command(territory_name, convention_id, with_renewals, start, end, fmt) -> None:
    """The funder's report: projects, advances, skill days, jobs, fund, repayments,
    leverage, survival at N+3, value of the days, for a territory or a convention."""
    territory_ids = []
    if territory_name:
        territory = db.session.scalar(
            select(Territory).where(func.lower(Territory.name) == territory_name.strip().lower())
        )
        if territory is None:
            known = ", ".join(db.session.scalars(select(Territory.name).order_by(Territory.name)))
            raise click.BadParameter(
                f"no territory named {territory_name!r} (known: {known or 'none'})",
                param_hint="--territory",
            )
        territory_ids = [territory.id]
    scope = funder.Scope(
        territory_ids=territory_ids,
        convention_id=convention_id,
        with_renewals=with_renewals,
        start=start.date() if start else None,
        end=end.date() if end else None,
    )
    try:
        columns = funder.build(scope)
    except funder.ScopeError as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
    if territory_ids and scope.territory_ids != territory_ids:
        raise click.BadParameter(
            "the convention belongs to another territory", param_hint="--convention"
        )
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(funder.csv_rows(columns, scope))
        click.echo(out.getvalue(), nl=False)
        return
    click.echo(json.dumps(funder.as_json(columns, scope), ensure_ascii=False, default=_decimal))
