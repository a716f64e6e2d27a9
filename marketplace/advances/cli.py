"""`flask --app wsgi advances ...`: an advance's schedule, and repayments from a bank file."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace import clock
from marketplace.advances.models import Advance
from marketplace.advances.money import BadAmount, parse_euros
from marketplace.advances.services import current_schedule, record_repayment
from marketplace.errors import DomainError
from marketplace.extensions import db

advances_cli = AppGroup("advances", help="Repayable advances: schedules and repayments.")

BANK_COLUMNS = ("date", "amount", "reference")
ADVANCE_REF = re.compile(r"A-\d{6,}")  # as written by create_advance: A-000001


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@advances_cli.command("schedule")
@click.argument("ref")
def schedule_command(ref: str) -> None:
    """Print the current schedule of advance REF (A-000001): number, due date, amount, paid."""
    advance = db.session.scalar(select(Advance).where(Advance.ref == ref))
    if advance is None:
        raise click.ClickException(f"no advance {ref}")
    rows = current_schedule(advance)
    if not rows:
        raise click.ClickException(f"{ref} has no schedule yet (status {advance.status})")
    click.echo(f"{ref} · version {advance.schedule_version} · {_euros(advance.amount_cents)} EUR")
    for row in rows:
        click.echo(
            f"{row.number:>3}  {row.due_on.isoformat()}  {_euros(row.amount_cents):>10}  "
            f"paid {_euros(row.paid_cents):>10}"
        )
    click.echo(f"total {_euros(sum(r.amount_cents for r in rows))} EUR")


def read_bank_file(text: str) -> tuple[list[tuple[int, date, int, Advance]], list[str]]:
    """The rows of a bank statement (date;amount;reference, or with commas), each matched
    to the advance whose reference (A-000001) its reference holds; only the advances the
    file names are read. Errors name the row and the column."""
    sample = text.lstrip("\ufeff")
    dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=";,")
    reader = csv.DictReader(io.StringIO(sample), dialect=dialect)
    missing = [c for c in BANK_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [
            f"header: missing column(s) {', '.join(missing)} (expected {';'.join(BANK_COLUMNS)})"
        ]
    lines = list(reader)
    named = {ref for row in lines for ref in ADVANCE_REF.findall(row["reference"] or "")}
    advances = (
        {a.ref: a for a in db.session.scalars(select(Advance).where(Advance.ref.in_(named)))}
        if named
        else {}
    )
    rows, errors = [], []
    for number, row in enumerate(lines, start=2):
        try:
            on = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            errors.append(f"row {number}, column date: {row['date']!r} is not a date YYYY-MM-DD")
            continue
        try:
            cents = parse_euros(row["amount"])
        except BadAmount:
            errors.append(f"row {number}, column amount: {row['amount']!r} is not an amount")
            continue
        found = sorted(
            {ref for ref in ADVANCE_REF.findall(row["reference"] or "") if ref in advances}
        )
        if len(found) != 1:
            errors.append(
                f"row {number}, column reference: {row['reference']!r} names "
                + ("no advance" if not found else "several advances")
            )
            continue
        rows.append((number, on, cents, advances[found[0]]))
    return rows, errors


@advances_cli.command("import-repayments")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_repayments_command(path: Path) -> None:
    """Record the repayments of a bank statement CSV (date;amount;reference): all or
    nothing. A row that is not a repayment of a running advance stops the import, named."""
    rows, errors = read_bank_file(path.read_text(encoding="utf-8"))
    if not errors:
        now = clock.now()
        for number, on, cents, advance in rows:
            try:
                with db.session.begin_nested():
                    record_repayment(
                        None,
                        advance,
                        cents,
                        on,
                        now,
                        f"bank {path.name} row {number}",
                        source="import",
                    )
            except DomainError as error:
                errors.append(f"row {number}, column reference: {advance.ref}: {error.message}")
    if errors:
        db.session.rollback()
        for line in errors:
            click.echo(line, err=True)
        raise click.ClickException(f"nothing imported: {len(errors)} error(s)")
    db.session.commit()
    click.echo(f"{len(rows)} repayment(s) recorded")
