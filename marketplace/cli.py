"""Command line: thin click groups over the services."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace import clock
from marketplace.accounts.forms import PASSWORD_MAX, PASSWORD_MIN
from marketplace.accounts.models import User
from marketplace.accounts.roles import COMMAND_LINE, Role
from marketplace.accounts.services import hash_password, normalise_email
from marketplace.advances.cli import advances_cli
from marketplace.backup import BackupError, backup_database
from marketplace.demo import ACCOUNTS, database_is_empty, load_demo
from marketplace.extensions import db
from marketplace.geo.services import CommuneFileError, import_communes
from marketplace.imports.csvio import MAX_IMPORT_BYTES, FileProblem, decode
from marketplace.imports.services import apply_import, plan_import
from marketplace.jobs.lock import SchedulerLock
from marketplace.jobs.registry import JOBS_BY_ID
from marketplace.jobs.scheduler import run_until_stopped
from marketplace.jobs.services import last_runs, run_job
from marketplace.labelled_sets import evaluate_command, fit_command
from marketplace.ledger.cli import ledger_cli
from marketplace.matching.cli import match_cli
from marketplace.missions.cli import missions_cli
from marketplace.reports.cli import report_command

demo_cli = AppGroup("demo", help="Demo data.")
jobs_cli = AppGroup("jobs", help="Scheduled jobs, run by hand.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process.")
accounts_cli = AppGroup("accounts", help="User accounts.")
import_cli = AppGroup("import", help="Import needs or offers from CSV (import format v1).")
geo_cli = AppGroup("geo", help="The commune table (postcodes and coordinates).")


def _read_file(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_IMPORT_BYTES + 1)
        return decode(raw)
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from error
    except FileProblem as problem:
        raise click.ClickException(f"{path}: row {problem.row}: {problem.message}") from problem


def _importer(email: str | None):
    """The user the import acts as (`--as`), or the command line as an administrator."""
    if email is None:
        click.echo("No --as given: importing as an administrator.", err=True)
        return COMMAND_LINE
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        raise click.ClickException(f"--as {email}: no active account has this e-mail")
    return user


def _import(kind: str, path: str, email: str | None) -> None:
    actor = _importer(email)
    text = _read_file(path)
    total = max(1, text.count("\n"))
    with (
        force_locale("en"),
        click.progressbar(length=total * 2, label=f"Importing {kind}", file=sys.stderr) as bar,
    ):
        plan = plan_import(kind, text, actor, progress=bar.update)
        if not plan.ok:
            db.session.rollback()
            bar.render_finish()
            for error in plan.errors:
                click.echo(f"{path}: {error}", err=True)
            raise click.ClickException(f"{len(plan.errors)} error(s): nothing was imported.")
        try:
            apply_import(plan, clock.now(), progress=bar.update)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{len(plan.rows)} {kind}: {plan.creates} created, {plan.updates} updated, "
        f"{plan.unchanged} unchanged"
        + (
            f"; {len(plan.new_organisations)} organisation(s) created"
            if plan.new_organisations
            else ""
        )
        + (
            f"; {len(plan.new_experts)} expert account(s) created (inactive, to invite)"
            if plan.new_experts
            else ""
        )
        + (f"; {len(plan.warnings)} row(s) with an unknown distance" if plan.warnings else "")
    )


@import_cli.command("needs")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--as", "email", help="Import as this user (their scope); default: an administrator.")
def import_needs(path: str, email: str | None) -> None:
    """Import needs.csv: all rows or none; a ref already known is updated."""
    _import("needs", path, email)


@import_cli.command("offers")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--as", "email", help="Import as this user (their scope); default: an administrator.")
def import_offers(path: str, email: str | None) -> None:
    """Import offers.csv: all rows or none; a ref already known is updated."""
    _import("offers", path, email)


@geo_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def geo_import(path: str) -> None:
    """Load a national communes file (La Poste, data.gouv or FranceCities CSV)."""

    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {path} as UTF-8 text: {error}") from error
    try:
        report = import_communes(text)
        db.session.commit()
    except CommuneFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}") from error
    click.echo(
        f"{report.communes} commune/postcode pairs loaded from {report.rows} rows"
        + (f"; {len(report.skipped)} rows skipped" if report.skipped else "")
    )
    for line in report.skipped[:20]:
        click.echo(f"skipped {line}", err=True)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no user.")
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="Also load the territories' past since 2012 (advances, missions, follow-ups).",
)
def demo_load(if_empty: bool, history: bool) -> None:
    """Load the demo territories, convention, organisations and accounts (idempotent)."""

    if if_empty and not database_is_empty():
        click.echo("Database not empty: demo data not loaded.")
        return
    try:
        created = load_demo(current_app.config["PASSWORD_HASH_METHOD"], history=history)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo("Demo data: " + ", ".join(f"{n} {k} created" for k, n in created.items()))


@demo_cli.command("accounts")
def demo_accounts() -> None:
    """Print the demo accounts and their passwords."""

    click.echo("Demo accounts (demo passwords, for this demo only):")
    width = max(len(a.email) for a in ACCOUNTS)
    for account in ACCOUNTS:
        click.echo(f"  {account.role:<15} {account.email:<{width}}  {account.password}")


def _parse_today(value: str | None) -> date:
    if value is None:
        return clock.today()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter("expected a date YYYY-MM-DD", param_hint="--today") from error


@jobs_cli.command("run")
@click.argument("name")
@click.option("--today", "today_text", help="The day to run for (YYYY-MM-DD); default today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def jobs_run(name: str, today_text: str | None, fmt: str) -> None:
    """Run one scheduled job once, now, and print what it did."""

    if name not in JOBS_BY_ID:
        raise click.UsageError(f"unknown job {name!r}; known: {', '.join(sorted(JOBS_BY_ID))}")
    today = _parse_today(today_text)
    run = run_job(name, today, clock.now())
    if fmt == "json":
        payload = {
            "job": name,
            "today": today.isoformat(),
            "status": run.status,
            **(run.counts or {}),
        }
        if run.error:
            payload["error"] = run.error
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        details = ", ".join(f"{k}={v}" for k, v in (run.counts or {}).items())
        click.echo(f"{name} ({today.isoformat()}): {run.status} {details or run.error or ''}")
    if run.status != "succeeded":
        sys.exit(1)


@jobs_cli.command("list")
def jobs_list() -> None:
    """Show the schedule and the last run of each job."""

    for job_id, _description, last in last_runs():
        when = " ".join(f"{k}={v}" for k, v in JOBS_BY_ID[job_id].cron.items())
        last_text = (
            f"last run {last.started_at:%Y-%m-%d %H:%M} UTC {last.status} {last.counts or ''}"
            if last
            else "never run"
        )
        click.echo(f"{job_id:<24} cron {when:<20} {last_text}")


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler process (the one place scheduled jobs run)."""

    app = current_app._get_current_object()
    lock = SchedulerLock(db.engine, timedelta(seconds=app.config["SCHEDULER_LOCK_STALE_SECONDS"]))
    run_until_stopped(app, lock, click.echo, app.config["SCHEDULER_POLL_SECONDS"])
    click.echo("Scheduler stopped.")


@accounts_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option("--password", help="Prompted for when not given.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account (for a real, non-demo installation)."""

    email = normalise_email(email)
    if not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise click.BadParameter(
            f"between {PASSWORD_MIN} and {PASSWORD_MAX} characters", param_hint="--password"
        )
    if db.session.scalar(select(func.count(User.id)).where(User.email == email)):
        raise click.BadParameter(f"an account {email} already exists", param_hint="--email")
    db.session.add(
        User(
            email=email,
            name=name.strip(),
            role=Role.ADMIN,
            is_active_account=True,
            password_hash=hash_password(password, current_app.config["PASSWORD_HASH_METHOD"]),
        )
    )
    db.session.commit()
    click.echo(f"Administrator {email} created.")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database to PATH while the app serves (SQLite backup API, or pg_dump)."""
    try:
        click.echo(backup_database(db.engine, path))
    except BackupError as error:
        raise click.ClickException(str(error)) from error


def init_app(app: Flask) -> None:
    """Register every command group on the app."""

    match_cli.add_command(evaluate_command)
    match_cli.add_command(fit_command)

    for group in (
        advances_cli,
        demo_cli,
        jobs_cli,
        scheduler_cli,
        accounts_cli,
        import_cli,
        geo_cli,
        match_cli,
        missions_cli,
        ledger_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(report_command)
    app.cli.add_command(backup_command)
