"""The programme's figures: one set of SQL aggregates behind the dashboard, the reports, the
CSV/XLSX exports and the command line, so that they always agree.

Days delivered are the sum of the ledger; a mission counts in a period when it has ledger
days in it; projects are the distinct SMEs of those missions; jobs and ratings come from the
outcomes those missions recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.ledger import ledger_total
from marketplace.conventions.models import Convention, ConventionGroup, LedgerEntry
from marketplace.conventions.models import convention_coordinators as coordinators
from marketplace.extensions import db
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
    days: float = 0.0
    jobs_created: int = 0
    jobs_preserved: int = 0
    average_rating: float | None = None

    def as_dict(self) -> dict:
        return {
            "projects": self.projects,
            "missions": self.missions,
            "days": self.days,
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


def _rows(user: User, filters: ReportFilters) -> list:
    """One query: the ledger days per mission and month (aggregated first, on the ledger's
    own index), then what the report shows about each mission. Every figure is a sum or a
    count over these rows."""
    month = func.substr(func.cast(LedgerEntry.entry_on, db.String), 1, 7)
    per_month = select(
        LedgerEntry.mission_id.label("mission_id"),
        LedgerEntry.group_id.label("group_id"),
        month.label("month"),
        func.sum(LedgerEntry.days).label("days"),
    )
    if filters.convention_id:
        per_month = per_month.where(LedgerEntry.convention_id == filters.convention_id)
    if filters.start:
        per_month = per_month.where(LedgerEntry.entry_on >= filters.start)
    if filters.end:
        per_month = per_month.where(LedgerEntry.entry_on <= filters.end)
    if filters.group_id:
        per_month = per_month.where(LedgerEntry.group_id == filters.group_id)
    if user.role == Role.COORDINATOR:
        per_month = per_month.where(
            LedgerEntry.convention_id.in_(
                select(coordinators.c.convention_id).where(coordinators.c.user_id == user.id)
            )
        )
    elif user.role == Role.GROUP_REFERENT:
        per_month = per_month.where(LedgerEntry.group_id == user.organisation_id)
    agg = per_month.group_by(LedgerEntry.mission_id, LedgerEntry.group_id, month).subquery()
    query = (
        select(
            Mission.id,
            Need.organisation_id,
            agg.c.group_id,
            Need.category,
            agg.c.month,
            agg.c.days,
            Mission.rating,
            Mission.jobs_created,
            Mission.jobs_preserved,
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
    return db.session.execute(query).all()


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


def _figures(missions: dict[int, list]) -> Figures:
    """Figures of missions given as {id: [days, sme, group, category, rating, jobs created,
    jobs preserved]}."""
    days = 0.0
    created = preserved = 0
    ratings = []
    smes = set()
    for item in missions.values():
        days += item[0]
        smes.add(item[1])
        created += item[5] or 0
        preserved += item[6] or 0
        if item[4] is not None:
            ratings.append(item[4])
    return Figures(
        projects=len(smes),
        missions=len(missions),
        days=float(days),
        jobs_created=created,
        jobs_preserved=preserved,
        average_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


def build_report(
    user: User, filters: ReportFilters, with_missions: bool = True, listed: int | None = None
) -> Report:
    """The figures; with_missions adds the missions behind them (the first `listed` only
    carry their ref, title and SME when a page shows only those)."""
    per_mission: dict[int, list] = {}
    months: dict[str, dict[int, list]] = defaultdict(dict)
    for mission_id, sme_id, group_id, category, month, days, rating, created, preserved in _rows(
        user, filters
    ):
        item = per_mission.get(mission_id)
        if item is None:
            item = per_mission[mission_id] = [
                0.0,
                sme_id,
                group_id,
                category or "",
                rating,
                created,
                preserved,
            ]
        item[0] += days
        in_month = months[month].get(mission_id)
        if in_month is None:
            months[month][mission_id] = [
                days,
                sme_id,
                group_id,
                category or "",
                rating,
                created,
                preserved,
            ]
        else:
            in_month[0] += days
    by_group: dict[int, dict[int, list]] = defaultdict(dict)
    by_category: dict[str, dict[int, list]] = defaultdict(dict)
    for mission_id, item in per_mission.items():
        by_group[item[2]][mission_id] = item
        by_category[item[3]][mission_id] = item
    group_names = (
        dict(
            db.session.execute(
                select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_(list(by_group))
                )
            ).all()
        )
        if by_group
        else {}
    )
    report = Report(filters=filters, totals=_figures(per_mission))
    report.by_group = sorted(
        (group_names.get(key, str(key)), _figures(items)) for key, items in by_group.items()
    )
    report.by_category = [(key, _figures(by_category[key])) for key in sorted(by_category)]
    report.by_month = [(key, _figures(months[key])) for key in sorted(months)]
    report.mission_count = len(per_mission)
    if with_missions:
        ids = sorted(per_mission)
        if listed is not None:
            ids = ids[:listed]
        details = _mission_details(ids)
        missions = []
        for mission_id in ids:
            days, _sme, group_id, category, rating, created, preserved = per_mission[mission_id]
            ref, title, sme = details[mission_id]
            missions.append(
                {
                    "id": mission_id,
                    "ref": ref,
                    "title": title,
                    "sme": sme,
                    "group": group_names.get(group_id, ""),
                    "category": category,
                    "days": float(days),
                    "rating": rating,
                    "jobs_created": created,
                    "jobs_preserved": preserved,
                }
            )
        report.missions = sorted(missions, key=lambda m: m["ref"])
    return report


# ---------------------------------------------------------------- the convention page


@dataclass
class Standing:
    quota: float
    reserved: float
    delivered: float
    overridden: float

    @property
    def remaining(self) -> float:
        return self.quota + self.overridden - self.reserved - self.delivered

    @property
    def used_share(self) -> float:
        return 0.0 if not self.quota else (self.reserved + self.delivered) / self.quota


def reserved_days(convention_id: int, group_id: int | None = None) -> float:
    """Approved days not delivered yet, from the missions themselves."""
    query = select(func.coalesce(func.sum(Mission.approved_days - Mission.days_logged), 0.0)).where(
        Mission.convention_id == convention_id, Mission.status.in_(("approved", "in_progress"))
    )
    if group_id is not None:
        query = query.where(Mission.group_id == group_id)
    return float(db.session.scalar(query))


def convention_standing(convention: Convention) -> tuple[Standing, list[tuple[str, Standing]]]:
    whole = Standing(
        convention.skill_days_quota,
        reserved_days(convention.id),
        ledger_total(convention.id),
        convention.days_overridden,
    )
    groups = []
    for partner in db.session.scalars(
        select(ConventionGroup).where(ConventionGroup.convention_id == convention.id)
    ):
        groups.append(
            (
                partner.organisation.name,
                Standing(
                    partner.committed_days,
                    reserved_days(convention.id, partner.organisation_id),
                    ledger_total(convention.id, partner.organisation_id),
                    partner.days_overridden,
                ),
            )
        )
    return whole, groups


def burn_up(convention: Convention) -> list[dict]:
    """Per month from the start to the end: cumulative delivered, delivered + reserved, pace.

    Reserved days count from the month their mission was approved (its approval event).
    """
    from marketplace.missions.models import MissionEvent

    month = func.substr(func.cast(LedgerEntry.entry_on, db.String), 1, 7)
    delivered = dict(
        db.session.execute(
            select(month, func.sum(LedgerEntry.days))
            .where(LedgerEntry.convention_id == convention.id)
            .group_by(month)
        ).all()
    )
    approved_month = func.substr(func.cast(MissionEvent.at, db.String), 1, 7)
    reserving = db.session.execute(
        select(approved_month, func.sum(Mission.approved_days - Mission.days_logged))
        .join(
            MissionEvent,
            (MissionEvent.mission_id == Mission.id) & (MissionEvent.action == "approve"),
        )
        .where(
            Mission.convention_id == convention.id, Mission.status.in_(("approved", "in_progress"))
        )
        .group_by(approved_month)
    ).all()
    reserved = dict(reserving)
    months = _months(convention.starts_on, convention.ends_on)
    points, done, held = [], 0.0, 0.0
    total = len(months)
    for index, key in enumerate(months, start=1):
        done += float(delivered.get(key, 0) or 0)
        held += float(reserved.get(key, 0) or 0)
        points.append(
            {
                "month": key,
                "delivered": done,
                "committed": done + held,
                "pace": round(convention.skill_days_quota * index / total, 1),
            }
        )
    return points


def _months(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return months
