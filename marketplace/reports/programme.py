"""The programme's figures: one set of SQL aggregates behind the dashboard, the reports, the
CSV/XLSX exports and the command line, so that they always agree.

Time delivered is the sum of the ledger, in minutes (the figure of record); days are those
minutes at each convention's hours per day, for people. A mission counts in a period when
it has ledger entries in it; projects are the distinct SMEs of those missions; jobs and
ratings come from the outcomes those missions recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import (
    Float,
    Integer,
    String,
    cast,
    distinct,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.models import Convention
from marketplace.conventions.models import convention_coordinators as coordinators
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry, LedgerMonth
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.offers.models import Offer


@dataclass
class ReportFilters:
    convention_id: int | None = None
    start: date | None = None
    end: date | None = None
    group_id: int | None = None
    category: str | None = None
    territory_id: int | None = None


@dataclass
class Figures:
    projects: int = 0
    missions: int = 0
    minutes: int = 0
    days: float = 0.0  # the minutes at their conventions' hours per day
    jobs_created: int = 0
    jobs_preserved: int = 0
    average_rating: float | None = None

    def as_dict(self) -> dict:
        return {
            "projects": self.projects,
            "missions": self.missions,
            "days": round(self.days, 2),
            "hours": hours_number(self.minutes),
            "minutes": self.minutes,
            "jobs_created": self.jobs_created,
            "jobs_preserved": self.jobs_preserved,
            "average_rating": self.average_rating,
        }


@dataclass
class Report:
    filters: ReportFilters
    totals: Figures
    by_group: list[tuple[str, Figures]] = field(default_factory=list)
    by_category: list[tuple[str, Figures]] = field(default_factory=list)
    by_month: list[tuple[str, Figures]] = field(default_factory=list)
    missions: list[dict] = field(default_factory=list)
    mission_count: int = 0
    group_ids: dict[str, int] = field(default_factory=dict)  # name → id, to drill down


def hours_number(minutes: int) -> int | float:
    """Minutes as a number of hours for files and JSON: 46, 22.5, 0.25 (exact: quarter
    hours are binary fractions)."""
    return minutes // 60 if minutes % 60 == 0 else minutes / 60


class month_bucket(FunctionElement):
    """The month of a date, cheap to group by: date_trunc on PostgreSQL (much cheaper
    than formatting every row), the 'YYYY-MM' prefix of the ISO text on SQLite."""

    inherit_cache = True


@compiles(month_bucket)
def _month_bucket_sqlite(element, compiler, **kw):
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_bucket, "postgresql")
def _month_bucket_postgresql(element, compiler, **kw):
    return f"date_trunc('month', {compiler.process(element.clauses, **kw)})"


class month_label(FunctionElement):
    """A month_bucket as 'YYYY-MM' text (applied to the few grouped rows only)."""

    type = String()
    inherit_cache = True


@compiles(month_label)
def _month_label_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(month_label, "postgresql")
def _month_label_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


def whole_months(filters: ReportFilters) -> bool:
    """True when the period starts on a month's first day and ends on a month's last (or is
    open at either end)."""
    starts = filters.start is None or filters.start.day == 1
    ends = filters.end is None or (filters.end + timedelta(days=1)).day == 1
    return starts and ends


def _ledger_rows(user: User, filters: ReportFilters):
    """The ledger minutes (and days) per mission and month (aggregated on the ledger's own
    index first), with what the report needs of each mission, for what this user may see:
    a CTE."""
    # Whole months (the usual case: a year, a quarter, a month's drill-down) are read from
    # the monthly sums; a period that cuts a month reads the entries themselves.
    source = LedgerMonth if whole_months(filters) else LedgerEntry
    day = source.month if source is LedgerMonth else LedgerEntry.entry_on
    month = month_bucket(day)
    per_month = select(
        source.mission_id.label("mission_id"),
        source.group_id.label("group_id"),
        month.label("month"),
        func.sum(source.minutes).label("minutes"),
        func.sum(cast(source.minutes, Float) / Convention.minutes_per_day).label("days"),
    ).join(Convention, Convention.id == source.convention_id)
    if filters.convention_id:
        per_month = per_month.where(source.convention_id == filters.convention_id)
    if filters.start:
        per_month = per_month.where(day >= filters.start)
    if filters.end:
        per_month = per_month.where(day <= filters.end)
    if filters.group_id:
        per_month = per_month.where(source.group_id == filters.group_id)
    if user.role == Role.COORDINATOR:
        per_month = per_month.where(
            source.convention_id.in_(
                select(coordinators.c.convention_id).where(coordinators.c.user_id == user.id)
            )
        )
    elif user.role == Role.GROUP_REFERENT:
        per_month = per_month.where(source.group_id == user.organisation_id)
    agg = per_month.group_by(source.mission_id, source.group_id, month).subquery()
    query = (
        select(
            agg.c.mission_id,
            agg.c.group_id,
            agg.c.month,
            agg.c.minutes,
            agg.c.days,
            Need.organisation_id.label("sme_id"),
            func.coalesce(Need.category, "").label("category"),
            Mission.rating.label("rating"),
            Mission.jobs_created.label("created"),
            Mission.jobs_preserved.label("preserved"),
        )
        .select_from(agg)
        .join(Mission, Mission.id == agg.c.mission_id)
        .join(Need, Need.id == Mission.need_id)
    )
    if user.role == Role.SME_MANAGER:
        query = query.where(Need.organisation_id == user.organisation_id)
    elif user.role == Role.VOLUNTEER:
        query = query.join(Offer, Offer.id == Mission.offer_id).where(Offer.expert_id == user.id)
    if filters.category:
        query = query.where(Need.category == filters.category)
    if filters.territory_id:
        query = query.join(Organisation, Organisation.id == Need.organisation_id).where(
            Organisation.territory_id == filters.territory_id
        )
    return query.cte("report_rows")


def _report_statement(user: User, filters: ReportFilters, listed: int | None, with_missions: bool):
    """One statement for the whole report: the totals, one row per group, per category
    and per month, then (optionally) the missions, as rows of the same shape:
    (section, key, missions, projects, minutes, days, created, preserved, rating, mission,
    group, category)."""
    rows = _ledger_rows(user, filters)
    attributes = (rows.c.group_id, rows.c.sme_id, rows.c.category, rows.c.rating)
    jobs = (rows.c.created, rows.c.preserved)
    per_mission = (
        select(
            rows.c.mission_id,
            *attributes,
            *jobs,
            func.sum(rows.c.minutes).label("minutes"),
            func.sum(rows.c.days).label("days"),
        )
        .group_by(rows.c.mission_id, *attributes, *jobs)
        .cte("report_missions")
    )
    no_int, no_text = null().cast(Integer), null().cast(String)

    def figures(section: str, source, key, group_by=()):
        query = select(
            literal(section, String).label("section"),
            key.label("key"),
            func.count(distinct(source.c.mission_id)).label("missions"),
            func.count(distinct(source.c.sme_id)).label("projects"),
            func.coalesce(func.sum(source.c.minutes), 0).label("minutes"),
            func.coalesce(func.sum(source.c.days), 0.0).label("days"),
            func.coalesce(func.sum(source.c.created), 0).label("created"),
            func.coalesce(func.sum(source.c.preserved), 0).label("preserved"),
            func.avg(source.c.rating).label("rating"),
            no_int.label("mission_id"),
            no_int.label("group_id"),
            no_text.label("category"),
        )
        return query.group_by(*group_by) if group_by else query

    parts = [
        figures("total", per_mission, no_text),
        figures(
            "group", per_mission, cast(per_mission.c.group_id, String), [per_mission.c.group_id]
        ),
        figures("category", per_mission, per_mission.c.category, [per_mission.c.category]),
        figures("month", rows, month_label(rows.c.month), [rows.c.month]),
    ]
    if with_missions:
        listing = select(
            literal("mission", String).label("section"),
            no_text.label("key"),
            no_int.label("missions"),
            no_int.label("projects"),
            per_mission.c.minutes,
            per_mission.c.days,
            per_mission.c.created,
            per_mission.c.preserved,
            per_mission.c.rating,
            per_mission.c.mission_id,
            per_mission.c.group_id,
            per_mission.c.category,
        ).order_by(per_mission.c.mission_id)
        if listed is not None:
            listing = listing.limit(listed)
        parts.append(select(listing.subquery()))
    return union_all(*parts)


def _mission_details(ids: list[int]) -> dict[int, tuple]:
    """ref, title and SME name of these missions (only those listed are looked up)."""
    details: dict[int, tuple] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for row in db.session.execute(
            select(Mission.id, Mission.ref, Need.title, Organisation.name)
            .join(Need, Need.id == Mission.need_id)
            .join(Organisation, Organisation.id == Need.organisation_id)
            .where(Mission.id.in_(chunk))
        ):
            details[row[0]] = tuple(row[1:])
    return details


def _as_figures(row) -> Figures:
    return Figures(
        projects=int(row.projects),
        missions=int(row.missions),
        minutes=int(row.minutes),
        days=float(row.days),
        jobs_created=int(row.created),
        jobs_preserved=int(row.preserved),
        average_rating=None if row.rating is None else round(float(row.rating), 2),
    )


def build_report(
    user: User, filters: ReportFilters, with_missions: bool = True, listed: int | None = None
) -> Report:
    """The figures, aggregated in SQL in one statement; with_missions adds the missions
    behind them (only the first `listed`, by id, when a page shows only those)."""
    report = Report(filters=filters, totals=Figures())
    by_group: list[tuple[int, Figures]] = []
    listing = []
    for row in db.session.execute(_report_statement(user, filters, listed, with_missions)):
        if row.section == "mission":
            listing.append(row)
        elif row.section == "total":
            report.totals = _as_figures(row)
        elif row.section == "group":
            by_group.append((int(row.key), _as_figures(row)))
        elif row.section == "category":
            report.by_category.append((row.key, _as_figures(row)))
        else:
            report.by_month.append((row.key, _as_figures(row)))
    report.mission_count = report.totals.missions
    group_ids = {key for key, _ in by_group} | {row.group_id for row in listing}
    group_names = (
        dict(
            db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(group_ids))
            ).all()
        )
        if group_ids
        else {}
    )
    report.by_group = sorted((group_names.get(key, str(key)), f) for key, f in by_group)
    report.group_ids = {group_names.get(key, str(key)): key for key, _ in by_group}
    report.by_category.sort(key=lambda item: item[0])
    report.by_month.sort(key=lambda item: item[0])
    if with_missions:
        details = _mission_details([row.mission_id for row in listing])
        report.missions = sorted(
            (
                {
                    "id": row.mission_id,
                    "ref": details[row.mission_id][0],
                    "title": details[row.mission_id][1],
                    "sme": details[row.mission_id][2],
                    "group": group_names.get(row.group_id, ""),
                    "category": row.category,
                    "minutes": int(row.minutes),
                    "days": float(row.days),
                    # the union gives these the figures' types (avg: numeric)
                    "rating": None if row.rating is None else int(row.rating),
                    "jobs_created": None if row.created is None else int(row.created),
                    "jobs_preserved": None if row.preserved is None else int(row.preserved),
                }
                for row in listing
            ),
            key=lambda m: m["ref"],
        )
    return report


# ---------------------------------------------------------------- the convention page
