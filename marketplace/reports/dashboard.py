"""The convention dashboard: where a convention stands against its quota, and its burn-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_total
from marketplace.missions.models import RESERVING_STATUSES, Mission, MissionEvent
from marketplace.reports.programme import month_bucket, month_label


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
        Mission.convention_id == convention_id, Mission.status.in_(RESERVING_STATUSES)
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


def burn_up(convention: Convention, today: date) -> list[dict]:
    """Per month from the start to the end: cumulative delivered, delivered + reserved, pace.

    Reserved days count from the month their mission was approved (its approval event).
    Months after today's have no delivered or reserved figure (None): the chart stops there,
    only the even pace goes on to the convention's end.
    """
    month = month_bucket(LedgerEntry.entry_on)
    delivered = dict(
        db.session.execute(
            select(month_label(month), func.sum(LedgerEntry.days))
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
        .where(Mission.convention_id == convention.id, Mission.status.in_(RESERVING_STATUSES))
        .group_by(approved_month)
    ).all()
    reserved = dict(reserving)
    months = _months(convention.starts_on, convention.ends_on)
    points, done, held = [], 0.0, 0.0
    total = len(months)
    current = f"{today.year:04d}-{today.month:02d}"
    for index, key in enumerate(months, start=1):
        done += float(delivered.get(key, 0) or 0)
        held += float(reserved.get(key, 0) or 0)
        past = key <= current
        points.append(
            {
                "month": key,
                "delivered": done if past else None,
                "committed": done + held if past else None,
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
