"""The convention dashboard: where a convention stands against its quota, and its burn-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.durations import minutes_to_days
from marketplace.extensions import db
from marketplace.ledger.models import LedgerMonth
from marketplace.ledger.services import delivered_minutes
from marketplace.missions.models import RESERVING_STATUSES, Mission, MissionEvent
from marketplace.reports.programme import month_bucket, month_label


@dataclass
class Standing:
    """Where a convention or a group stands, in minutes (days at `per_day` for people)."""

    quota: int
    reserved: int
    delivered: int
    overridden: int
    per_day: int

    @property
    def remaining(self) -> int:
        return self.quota + self.overridden - self.reserved - self.delivered

    @property
    def used_share(self) -> float:
        return 0.0 if not self.quota else (self.reserved + self.delivered) / self.quota


def reserved_minutes(convention_id: int, group_id: int | None = None) -> int:
    """Approved time not delivered yet, from the missions themselves."""
    query = select(
        func.coalesce(func.sum(Mission.approved_minutes - Mission.minutes_logged), 0)
    ).where(Mission.convention_id == convention_id, Mission.status.in_(RESERVING_STATUSES))
    if group_id is not None:
        query = query.where(Mission.group_id == group_id)
    return int(db.session.scalar(query))


def convention_standing(convention: Convention) -> tuple[Standing, list[tuple[str, Standing]]]:
    per_day = convention.minutes_per_day
    whole = Standing(
        convention.quota_minutes,
        reserved_minutes(convention.id),
        delivered_minutes(convention.id),
        convention.minutes_overridden,
        per_day,
    )
    groups = []
    for partner in db.session.scalars(
        select(ConventionGroup).where(ConventionGroup.convention_id == convention.id)
    ):
        groups.append(
            (
                partner.organisation.name,
                Standing(
                    partner.committed_minutes,
                    reserved_minutes(convention.id, partner.organisation_id),
                    delivered_minutes(convention.id, partner.organisation_id),
                    partner.minutes_overridden,
                    per_day,
                ),
            )
        )
    return whole, groups


def burn_up(convention: Convention, today: date) -> list[dict]:
    """Per month from the start to the end: cumulative delivered, delivered + reserved, pace
    (in days: the minutes at the convention's hours per day).

    Reserved days count from the month their mission was approved (its approval event).
    Months after today's have no delivered or reserved figure (None): the chart stops there,
    only the even pace goes on to the convention's end.
    """
    month = month_bucket(LedgerMonth.month)
    delivered = dict(
        db.session.execute(
            select(month_label(month), func.sum(LedgerMonth.minutes))
            .where(LedgerMonth.convention_id == convention.id)
            .group_by(month)
        ).all()
    )
    approved_month = func.substr(func.cast(MissionEvent.at, db.String), 1, 7)
    reserving = db.session.execute(
        select(approved_month, func.sum(Mission.approved_minutes - Mission.minutes_logged))
        .join(
            MissionEvent,
            (MissionEvent.mission_id == Mission.id) & (MissionEvent.action == "approve"),
        )
        .where(Mission.convention_id == convention.id, Mission.status.in_(RESERVING_STATUSES))
        .group_by(approved_month)
    ).all()
    reserved = dict(reserving)
    months = _months(convention.starts_on, convention.ends_on)
    points, done, held, per_day = [], 0, 0, convention.minutes_per_day
    total = len(months)
    current = f"{today.year:04d}-{today.month:02d}"
    for index, key in enumerate(months, start=1):
        done += int(delivered.get(key, 0) or 0)
        held += int(reserved.get(key, 0) or 0)
        past = key <= current
        points.append(
            {
                "month": key,
                "delivered": minutes_to_days(done, per_day) if past else None,
                "committed": minutes_to_days(done + held, per_day) if past else None,
                "pace": round(convention.quota_days * index / total, 1),
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
