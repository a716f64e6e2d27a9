"""`flask --app wsgi report --convention ID --format json|csv`: the report's figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import click
from flask.cli import with_appcontext

from marketplace.accounts.roles import COMMAND_LINE
from marketplace.reports.programme import ReportFilters, build_report
from marketplace.reports.tables import report_table


@click.command("report")
@with_appcontext
@click.option("--convention", "convention_id", type=int, help="Convention id (default: all).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day.")
@click.option("--group", "group_id", type=int, help="Partner group (organisation id).")
@click.option("--category", help="Category code (hr, legal, ...).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
def report_command(convention_id, start, end, group_id, category, fmt) -> None:
    """The programme's figures, as on /reports: projects, missions, days, jobs, ratings."""
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
