"""The programme report for funders: a territory (or a convention and its renewals) over a
period, in the figures funders read — projects supported, advances, skill days, jobs,
the fund, repayments, leverage, survival at N+3, the value of the days.

Everything is computed from the rows, by one path: a table of the projects behind the
figures (one row per SME supported in the scope), then the totals as sums of that table.
Every figure therefore drills down to the projects behind it, and the totals agree with
the rows by construction (tests tally the raw rows independently).

Definitions (also in docs/domain.md):
- a project is an SME supported in the territory: an advance paid out in the period, or
  skill days logged in the period (ledger entries of the territory's conventions);
- advances: the money paid out in the period (disbursements); the advances counted are
  those with a disbursement in the period, classed by their status today: repaid,
  defaulted (defaulted or written off), running (the rest);
- jobs: each project's latest follow-up answer (N+3, else N+2, else N+1), counted once per
  project; a project not surveyed yet counts the jobs its missions' outcomes declared
  (the largest, never a sum across missions);
- leverage: the co-financing planned with those advances ÷ the money paid out;
- survival at N+3: projects still trading among those that answered the N+3 survey;
- fund: contributions up to the period's end (the endowment) and what was available at
  its end (contributions + principal repaid − principal paid out);
- value of the days: each day at its expert's daily cost, else their group's; days with
  no declared cost are counted apart, never valued at zero silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from marketplace.accounts.models import Organisation
from marketplace.advances.models import (
    Advance,
    AdvanceStatus,
    Cofinancing,
    Fund,
    FundMovement,
    MovementKind,
)
from marketplace.conventions.models import Convention, Territory
from marketplace.extensions import db
from marketplace.impact.models import FollowUp, Project
from marketplace.impact.services import day_cost_expression
from marketplace.ledger.models import LedgerEntry
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.spreadsheets import csv_row

DEFAULTED = (AdvanceStatus.DEFAULTED, AdvanceStatus.WRITTEN_OFF)
PER = 10_000  # figures per 10,000 inhabitants


@dataclass
class Scope:
    """What a report covers. A convention fixes the territory and, unless a period is
    given, the period (its dates; with its renewals, from its start to the last renewal's
    end)."""

    territory_ids: list[int] = field(default_factory=list)
    convention_id: int | None = None
    with_renewals: bool = False
    start: date | None = None
    end: date | None = None
    # resolved
    convention_ids: list[int] | None = None


class ScopeError(ValueError):
    def __init__(self, message: str, field_name: str):
        super().__init__(message)
        self.field = field_name


def renewals_of(convention: Convention) -> list[Convention]:
    """The convention and those that renew it, in order (each names its predecessor)."""
    chain = [convention]
    seen = {convention.id}
    while True:
        following = db.session.scalar(
            select(Convention)
            .where(Convention.predecessor_id == chain[-1].id)
            .order_by(Convention.starts_on)
            .limit(1)
        )
        if following is None or following.id in seen:
            return chain
        chain.append(following)
        seen.add(following.id)


def resolve(scope: Scope) -> Scope:
    if scope.convention_id is not None:
        convention = db.session.get(Convention, scope.convention_id)
        if convention is None:
            raise ScopeError("unknown convention", "convention")
        chain = renewals_of(convention) if scope.with_renewals else [convention]
        scope.convention_ids = [c.id for c in chain]
        scope.territory_ids = [convention.territory_id]
        scope.start = scope.start or min(c.starts_on for c in chain)
        scope.end = scope.end or max(c.ends_on for c in chain)
    if not scope.territory_ids:
        raise ScopeError("choose a territory or a convention", "territory")
    if scope.start and scope.end and scope.start > scope.end:
        raise ScopeError("the period ends before it starts", "to")
    return scope


@dataclass
class ProjectRow:
    """One SME supported in the scope: the figures it contributes to."""

    organisation_id: int
    name: str
    started_on: date | None = None
    advances: int = 0
    advances_cents: int = 0
    cofinancing_cents: int = 0
    repaid: int = 0
    repaid_cents: int = 0
    running: int = 0
    running_cents: int = 0
    defaulted: int = 0
    defaulted_cents: int = 0
    minutes: int = 0
    days: Decimal = Decimal(0)
    value_cents: int = 0
    unvalued_days: Decimal = Decimal(0)
    jobs_created: int = 0
    jobs_preserved: int = 0
    jobs_source: str | None = None  # "N+1" … "N+3", "outcome", None
    alive_n3: bool | None = None

    @property
    def skill_days(self) -> bool:
        return self.minutes > 0


@dataclass
class Column:
    """The report of one territory."""

    territory: Territory
    start: date | None
    end: date | None
    rows: list[ProjectRow]
    fund_initial_cents: int
    fund_available_cents: int

    def total(self, name: str):
        start = Decimal(0) if name in ("days", "unvalued_days") else 0
        return sum((getattr(r, name) for r in self.rows), start=start)

    @property
    def empty(self) -> bool:
        return not self.rows

    def figures(self) -> dict:
        advances_cents = self.total("advances_cents")
        survivors = [r.alive_n3 for r in self.rows if r.alive_n3 is not None]
        figures = {
            "projects": len(self.rows),
            "projects_with_advance": sum(1 for r in self.rows if r.advances),
            "projects_with_skill_days": sum(1 for r in self.rows if r.skill_days),
            "advances": self.total("advances"),
            "advances_eur": euros(advances_cents),
            "skill_days": number(self.total("days")),
            "jobs_created": self.total("jobs_created"),
            "jobs_preserved": self.total("jobs_preserved"),
            "fund_initial_eur": euros(self.fund_initial_cents),
            "fund_available_eur": euros(self.fund_available_cents),
            "advances_repaid": self.total("repaid"),
            "advances_repaid_eur": euros(self.total("repaid_cents")),
            "advances_running": self.total("running"),
            "advances_running_eur": euros(self.total("running_cents")),
            "advances_defaulted": self.total("defaulted"),
            "advances_defaulted_eur": euros(self.total("defaulted_cents")),
            "cofinancing_eur": euros(self.total("cofinancing_cents")),
            "leverage": (
                number(Decimal(self.total("cofinancing_cents")) / advances_cents)
                if advances_cents
                else None
            ),
            "survival_n3": (
                number(Decimal(sum(survivors)) / len(survivors)) if survivors else None
            ),
            "survival_n3_answers": len(survivors),
            "value_of_days_eur": euros(self.total("value_cents")),
            "unvalued_days": number(self.total("unvalued_days")),
        }
        return figures

    def per_inhabitants(self) -> dict | None:
        population = self.territory.population
        if not population:
            return None
        figures = self.figures()
        return {
            name: number(Decimal(str(figures[name])) * PER / population)
            for name in ("projects", "advances_eur", "skill_days", "jobs_created", "jobs_preserved")
        }


def euros(cents: int) -> int | Decimal:
    """Cents as euros for JSON and tables: whole euros as an int, else an exact Decimal."""
    return cents // 100 if cents % 100 == 0 else Decimal(cents) / 100


def number(value: Decimal) -> int | Decimal:
    rounded = Decimal(value).quantize(Decimal("0.01"))
    return int(rounded) if rounded == rounded.to_integral() else rounded


def _in_period(column, scope: Scope):
    conditions = []
    if scope.start:
        conditions.append(column >= scope.start)
    if scope.end:
        conditions.append(column <= scope.end)
    return conditions


def _ledger(territory_id: int, scope: Scope):
    """(SME, minutes per day of the convention, minutes, valued minutes × cost, unvalued
    minutes) per SME and convention."""
    cost = day_cost_expression()
    query = (
        select(
            Need.organisation_id,
            Convention.minutes_per_day,
            func.sum(LedgerEntry.minutes),
            func.sum(case((cost.is_not(None), LedgerEntry.minutes * cost), else_=0)),
            func.sum(case((cost.is_(None), LedgerEntry.minutes), else_=0)),
        )
        .join(Mission, Mission.id == LedgerEntry.mission_id)
        .join(Need, Need.id == Mission.need_id)
        .join(Convention, Convention.id == LedgerEntry.convention_id)
        .where(Convention.territory_id == territory_id, *_in_period(LedgerEntry.entry_on, scope))
        .group_by(Need.organisation_id, Convention.id, Convention.minutes_per_day)
    )
    if scope.convention_ids is not None:
        query = query.where(LedgerEntry.convention_id.in_(scope.convention_ids))
    return db.session.execute(query).all()


def _disbursed(territory_id: int, scope: Scope):
    """(advance, SME, status, cents paid out in the period) for the territory's funds."""
    return db.session.execute(
        select(
            Advance.id,
            Advance.organisation_id,
            Advance.status,
            func.sum(FundMovement.amount_cents),
        )
        .join(FundMovement, FundMovement.advance_id == Advance.id)
        .join(Fund, Fund.id == Advance.fund_id)
        .where(
            Fund.territory_id == territory_id,
            FundMovement.kind == MovementKind.DISBURSEMENT,
            *_in_period(FundMovement.moved_on, scope),
        )
        .group_by(Advance.id, Advance.organisation_id, Advance.status)
    ).all()


def _fund(territory_id: int, scope: Scope) -> tuple[int, int]:
    """(contributions, available) up to the period's end, from the movements."""
    kinds = dict(
        db.session.execute(
            select(FundMovement.kind, func.sum(FundMovement.amount_cents))
            .join(Fund, Fund.id == FundMovement.fund_id)
            .where(
                Fund.territory_id == territory_id,
                *([FundMovement.moved_on <= scope.end] if scope.end else []),
            )
            .group_by(FundMovement.kind)
        ).all()
    )
    contributed = int(kinds.get(MovementKind.CONTRIBUTION, 0) or 0)
    lent = int(kinds.get(MovementKind.DISBURSEMENT, 0) or 0)
    back = int(kinds.get(MovementKind.REPAYMENT, 0) or 0)
    return contributed, contributed + back - lent


def column(territory: Territory, scope: Scope) -> Column:
    rows: dict[int, ProjectRow] = {}

    def row(organisation_id: int) -> ProjectRow:
        if organisation_id not in rows:
            rows[organisation_id] = ProjectRow(organisation_id, "")
        return rows[organisation_id]

    for organisation_id, per_day, minutes, valued, unvalued in _ledger(territory.id, scope):
        if not minutes:
            continue
        r = row(organisation_id)
        r.minutes += int(minutes)
        r.days += Decimal(int(minutes)) / per_day
        r.value_cents += (int(valued or 0) + per_day // 2) // per_day
        r.unvalued_days += Decimal(int(unvalued or 0)) / per_day
    rows = {k: v for k, v in rows.items() if v.minutes > 0}  # corrections to nothing

    disbursed = _disbursed(territory.id, scope)
    cofinancing = dict(
        db.session.execute(
            select(Cofinancing.advance_id, func.sum(Cofinancing.amount_cents))
            .where(Cofinancing.advance_id.in_([d[0] for d in disbursed]))
            .group_by(Cofinancing.advance_id)
        ).all()
        if disbursed
        else []
    )
    for advance_id, organisation_id, status, cents in disbursed:
        r = row(organisation_id)
        cents = int(cents)
        r.advances += 1
        r.advances_cents += cents
        r.cofinancing_cents += int(cofinancing.get(advance_id, 0))
        kind = (
            "repaid"
            if status == AdvanceStatus.REPAID
            else "defaulted"
            if status in DEFAULTED
            else "running"
        )
        setattr(r, kind, getattr(r, kind) + 1)
        setattr(r, f"{kind}_cents", getattr(r, f"{kind}_cents") + cents)

    if rows:
        _jobs(territory.id, scope, rows)
        names = dict(
            db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(rows))
            ).all()
        )
        for r in rows.values():
            r.name = names.get(r.organisation_id, "?")
    contributed, available = _fund(territory.id, scope)
    return Column(
        territory=territory,
        start=scope.start,
        end=scope.end,
        rows=sorted(rows.values(), key=lambda r: (r.name.casefold(), r.organisation_id)),
        fund_initial_cents=contributed,
        fund_available_cents=available,
    )


def _jobs(territory_id: int, scope: Scope, rows: dict[int, ProjectRow]) -> None:
    """Each project's jobs, once: its latest follow-up answer, else the largest figures its
    missions' outcomes declared."""
    projects = db.session.execute(
        select(Project.organisation_id, Project.started_on, Project.id).where(
            Project.territory_id == territory_id, Project.organisation_id.in_(rows)
        )
    ).all()
    by_project = {}
    for organisation_id, started_on, project_id in projects:
        rows[organisation_id].started_on = started_on
        by_project[project_id] = rows[organisation_id]
    if by_project:
        answers = db.session.execute(
            select(
                FollowUp.project_id,
                FollowUp.year,
                FollowUp.jobs_created,
                FollowUp.jobs_preserved,
                FollowUp.still_trading,
            )
            .where(FollowUp.project_id.in_(by_project), FollowUp.answered_at.is_not(None))
            .order_by(FollowUp.project_id, FollowUp.year)
        ).all()
        for project_id, year, created, preserved, trading in answers:
            r = by_project[project_id]  # the latest year wins (ordered)
            r.jobs_created, r.jobs_preserved = created or 0, preserved or 0
            r.jobs_source = f"N+{year}"
            if year == 3:
                r.alive_n3 = bool(trading)
    waiting = [o for o, r in rows.items() if r.jobs_source is None]
    if waiting:
        query = (
            select(
                Need.organisation_id,
                func.max(Mission.jobs_created),
                func.max(Mission.jobs_preserved),
            )
            .join(Need, Need.id == Mission.need_id)
            .join(Convention, Convention.id == Mission.convention_id)
            .where(
                Convention.territory_id == territory_id,
                Need.organisation_id.in_(waiting),
                (Mission.jobs_created.is_not(None)) | (Mission.jobs_preserved.is_not(None)),
            )
            .group_by(Need.organisation_id)
        )
        for organisation_id, created, preserved in db.session.execute(query):
            r = rows[organisation_id]
            r.jobs_created, r.jobs_preserved = created or 0, preserved or 0
            r.jobs_source = "outcome"


def build(scope: Scope) -> list[Column]:
    scope = resolve(scope)
    territories = {
        t.id: t
        for t in db.session.scalars(select(Territory).where(Territory.id.in_(scope.territory_ids)))
    }
    missing = [t for t in scope.territory_ids if t not in territories]
    if missing:
        raise ScopeError("unknown territory", "territory")
    return [column(territories[t], scope) for t in scope.territory_ids]


# What a figure's drill-down shows: the projects with something in that figure.
DRILL = {
    "projects": lambda r: True,
    "advances_eur": lambda r: r.advances_cents > 0,
    "skill_days": lambda r: r.minutes > 0,
    "jobs_created": lambda r: r.jobs_created > 0,
    "jobs_preserved": lambda r: r.jobs_preserved > 0,
    "advances_repaid": lambda r: r.repaid > 0,
    "advances_running": lambda r: r.running > 0,
    "advances_defaulted": lambda r: r.defaulted > 0,
    "leverage": lambda r: r.cofinancing_cents > 0,
    "survival_n3": lambda r: r.alive_n3 is not None,
    "value_of_days_eur": lambda r: r.minutes > 0,
}


# The report's lines, in the order funders read them: (key, label, kind).
FIGURES = (
    ("projects", _l("Projects supported"), "count"),
    ("projects_with_advance", _l("… with a repayable advance"), "count"),
    ("projects_with_skill_days", _l("… with skill days"), "count"),
    ("advances", _l("Advances paid out"), "count"),
    ("advances_eur", _l("Amount of advances paid out"), "eur"),
    ("cofinancing_eur", _l("Co-financing obtained alongside"), "eur"),
    ("leverage", _l("Leverage (co-financing ÷ advances)"), "ratio"),
    ("advances_repaid", _l("Advances repaid"), "count"),
    ("advances_repaid_eur", _l("… amount"), "eur"),
    ("advances_running", _l("Advances being repaid"), "count"),
    ("advances_running_eur", _l("… amount"), "eur"),
    ("advances_defaulted", _l("Advances defaulted or written off"), "count"),
    ("advances_defaulted_eur", _l("… amount"), "eur"),
    ("fund_initial_eur", _l("Fund endowment (contributions)"), "eur"),
    ("fund_available_eur", _l("Fund available at the period's end"), "eur"),
    ("skill_days", _l("Skill days delivered"), "days"),
    ("value_of_days_eur", _l("Value of the days (declared daily costs)"), "eur"),
    ("unvalued_days", _l("Days without a declared cost"), "days"),
    ("jobs_created", _l("Jobs created"), "count"),
    ("jobs_preserved", _l("Jobs preserved"), "count"),
    ("survival_n3", _l("Still trading at N+3"), "percent"),
    ("survival_n3_answers", _l("… projects that answered at N+3"), "count"),
)
PER_INHABITANTS = ("projects", "advances_eur", "skill_days", "jobs_created", "jobs_preserved")


def as_json(columns: list[Column], scope: Scope) -> dict:
    """The contract's object: one territory's figures at the top level, plus the scope;
    several territories under `territories`."""

    def one(c: Column) -> dict:
        return {
            "territory": c.territory.name,
            "population": c.territory.population,
            "empty": c.empty,
            **c.figures(),
            "per_10000_inhabitants": c.per_inhabitants(),
        }

    head = {
        "convention": scope.convention_id,
        "with_renewals": scope.with_renewals,
        "conventions": scope.convention_ids,
        "from": scope.start.isoformat() if scope.start else None,
        "to": scope.end.isoformat() if scope.end else None,
    }
    if len(columns) == 1:
        return {**one(columns[0]), **head}
    return {**head, "territories": [one(c) for c in columns]}


def csv_rows(columns: list[Column], scope: Scope) -> list[list]:
    """The figures as machine-readable rows (the command line's CSV): one line per figure
    key, one column per territory; numbers with a dot."""
    figures = [c.figures() for c in columns]
    per = [c.per_inhabitants() or {} for c in columns]
    rows = [
        csv_row(["figure", *(c.territory.name for c in columns)]),
        ["from", *([scope.start.isoformat() if scope.start else ""] * len(columns))],
        ["to", *([scope.end.isoformat() if scope.end else ""] * len(columns))],
    ]
    for key, _label, _kind in FIGURES:
        rows.append([key, *("" if f[key] is None else f[key] for f in figures)])
    for key in PER_INHABITANTS:
        rows.append([f"{key}_per_10000", *(p.get(key, "") for p in per)])
    return rows
