"""The ledger: time delivered against conventions (in minutes), logged exactly once per
session.

Rule (documented in the README): a session is due when the SME manager confirmed it, or
when the volunteer declared it held at least GRACE_DAYS ago without a dispute (silence is
consent); a disputed session settled as held becomes confirmed. Sessions still planned,
not held or cancelled are never logged; nothing after `today` is logged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, or_, select, update

from marketplace.accounts.models import User
from marketplace.accounts.roles import STAFF_ROLES
from marketplace.durations import STEP
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry, LedgerMonth, LedgerSource
from marketplace.missions.access import capacities
from marketplace.missions.models import Mission, MissionSession, SessionStatus
from marketplace.quota import services as quota
from marketplace.sql import among, upsert

GRACE_DAYS = 7
# Sessions per transaction: their ids are bound parameters (SQLite allows 32,766).
BATCH = 10000


def due_sessions(today: date):
    """Ids of the sessions to log as of `today`, not logged yet (an indexed lookup)."""
    return (
        select(MissionSession.id)
        .join(Mission, Mission.id == MissionSession.mission_id)
        .where(
            MissionSession.is_logged.is_(False),
            MissionSession.held_on <= today,
            Mission.convention_id.is_not(None),
            or_(
                MissionSession.status == SessionStatus.CONFIRMED,
                and_(
                    MissionSession.status == SessionStatus.DELIVERED,
                    MissionSession.held_on <= today - timedelta(days=GRACE_DAYS),
                ),
            ),
        )
        .order_by(MissionSession.id)
    )


def _insert_ignoring_duplicates(session_ids: list[int], now: datetime) -> list:
    """INSERT ... SELECT ... ON CONFLICT (session_id) DO NOTHING RETURNING, in the database.

    Returns (session, minutes, mission, convention, group, entry_on) for the rows inserted
    now; a session another run logged first returns nothing.
    """
    source = (
        select(
            Mission.convention_id,
            Mission.group_id,
            Mission.id,
            MissionSession.id,
            MissionSession.held_on,
            MissionSession.minutes,
            literal(LedgerSource.SCHEDULER.value),
            literal(now, type_=LedgerEntry.__table__.c.created_at.type),
        )
        .join(Mission, Mission.id == MissionSession.mission_id)
        .where(among(MissionSession.id, session_ids))
    )
    table = LedgerEntry.__table__
    statement = (
        upsert(table)
        .from_select(
            [
                "convention_id",
                "group_id",
                "mission_id",
                "session_id",
                "entry_on",
                "minutes",
                "source",
                "created_at",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=["session_id"])
        .returning(
            table.c.session_id,
            table.c.minutes,
            table.c.mission_id,
            table.c.convention_id,
            table.c.group_id,
            table.c.entry_on,
        )
    )
    return db.session.execute(statement).all()


def roll_up(rows) -> None:
    """Add entries just written to the per-mission, per-month sums, in their transaction.

    `rows`: (minutes, mission, convention, group, entry_on). One INSERT … ON CONFLICT DO
    UPDATE per chunk: a month already there gets the minutes added, atomically."""
    months: dict[tuple[int, date], list] = {}
    for minutes, mission_id, convention_id, group_id, entry_on in rows:
        key = (mission_id, entry_on.replace(day=1))
        if key in months:
            months[key][4] += minutes
        else:
            months[key] = [mission_id, key[1], convention_id, group_id, minutes]
    table = LedgerMonth.__table__
    values = [
        dict(zip(("mission_id", "month", "convention_id", "group_id", "minutes"), v, strict=True))
        for v in months.values()
    ]
    for start in range(0, len(values), 5000):
        statement = upsert(table).values(values[start : start + 5000])
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["mission_id", "month"],
                set_={"minutes": table.c.minutes + statement.excluded.minutes},
            )
        )


def log_sessions(ids: list[int], now: datetime) -> list:
    """Log these sessions (held, confirmed) in the ledger, in the caller's transaction: the
    entries, the counters they move and the sessions' flags. A session logged already adds
    nothing. Returns the rows inserted."""
    inserted = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = _insert_ignoring_duplicates(chunk, now)
        quota.deliver([row[:5] for row in rows])
        roll_up([row[1:6] for row in rows])
        db.session.execute(
            update(MissionSession.__table__)
            .where(among(MissionSession.__table__.c.id, chunk))
            .values(is_logged=True)
        )
        inserted += rows
    return inserted


def log_delivered_days(today: date, now: datetime, batch: int = BATCH) -> dict:
    """Write one ledger entry per due session, exactly once; commits batch by batch.

    Each batch is its own unit of work: its entries, the counters they move (reserved →
    delivered on the convention, the group and the offer; minutes logged on the mission) and
    the sessions' `is_logged` flags commit together. Running twice, or ten times at once,
    adds nothing the second time: the unique session_id makes later inserts no-ops, and
    only rows really inserted move the counters. A run killed between batches leaves whole
    batches behind; the next run finishes the rest.
    """
    sessions_logged, minutes_logged = 0, 0
    while True:
        ids = list(db.session.scalars(due_sessions(today).limit(batch)))
        if not ids:
            break
        inserted = log_sessions(ids, now)
        db.session.commit()
        sessions_logged += len(inserted)
        minutes_logged += sum(row[1] for row in inserted)
    return {"sessions_logged": sessions_logged, "minutes_logged": minutes_logged}


class LedgerRefused(DomainError):
    status_code = 409


def can_correct(actor: User, mission: Mission) -> bool:
    """Coordinators of the mission's convention (and admins) correct its ledger."""
    return "coordinator" in capacities(actor, mission)


def add_correction(
    actor: User, mission: Mission, minutes: int, reason: str, entry_on: date, now: datetime
) -> LedgerEntry:
    """A correction is a new entry (positive or negative minutes), never an edit."""
    if actor.role not in STAFF_ROLES or not can_correct(actor, mission):
        raise NotAllowed(_l("Only a coordinator of the mission's convention corrects the ledger."))
    if not reason or not reason.strip():
        raise LedgerRefused(_l("A correction needs a reason."))
    if not isinstance(minutes, int) or minutes == 0 or minutes % STEP:
        raise LedgerRefused(_l("A correction is a non-zero number of quarter hours."))
    if mission.convention_id is None:
        raise LedgerRefused(_l("This mission belongs to no convention."))
    entry = LedgerEntry(
        convention_id=mission.convention_id,
        group_id=mission.group_id,
        mission_id=mission.id,
        session_id=None,
        entry_on=entry_on,
        minutes=minutes,
        source=LedgerSource.CORRECTION,
        reason=reason.strip(),
        created_by_id=actor.id,
        created_at=now,
    )
    if not quota.correct(mission.convention_id, mission.group_id, minutes):
        raise LedgerRefused(_l("This correction would pass the quota or make it negative."))
    db.session.add(entry)
    roll_up([(minutes, mission.id, mission.convention_id, mission.group_id, entry_on)])
    return entry


def delivered_minutes(convention_id: int, group_id: int | None = None) -> int:
    """The ledger's sum for a convention (or one of its groups), read from the monthly sums
    (a few rows per mission rather than one per session)."""
    query = select(func.coalesce(func.sum(LedgerMonth.minutes), 0)).where(
        LedgerMonth.convention_id == convention_id
    )
    if group_id is not None:
        query = query.where(LedgerMonth.group_id == group_id)
    return int(db.session.scalar(query))


def ledger_total(convention_id: int, group_id: int | None = None) -> int:
    """Quota consumption: the sum of the ledger's entries themselves, in minutes."""
    query = select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
        LedgerEntry.convention_id == convention_id
    )
    if group_id is not None:
        query = query.where(LedgerEntry.group_id == group_id)
    return int(db.session.scalar(query))
