"""The coordinator's decisions and the mission's end: approve against the quota, refuse,
cancel, extend, mark delivered, close."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.durations import minutes_to_days
from marketplace.errors import InvalidTransition, NotFound
from marketplace.extensions import db
from marketplace.i18n import format_days, format_days_unit
from marketplace.listings.models import ListingStatus
from marketplace.missions.access import capacities, check, link, parties
from marketplace.missions.audit import move, record
from marketplace.missions.errors import BadSession
from marketplace.missions.models import (
    RESERVING_STATUSES,
    Mission,
    MissionSession,
    SessionStatus,
)
from marketplace.needs.models import Need
from marketplace.notifications.services import notify
from marketplace.quota import services as quota


def approve(
    actor: User, mission: Mission, now: datetime, override_reason: str | None = None
) -> None:
    """The approval committee says yes: the mission's days are reserved."""
    check(actor, mission, "approve")
    quota.reserve(mission, mission.days, override_reason)
    overridden = max(mission.override_minutes, mission.override_group_minutes)
    reason = None
    if overridden:
        reason = str(
            _l(
                "Override of %(days)s beyond the quota: %(why)s",
                days=format_days_unit(minutes_to_days(overridden, mission.minutes_per_day)),
                why=override_reason.strip(),
            )
        )
    move(mission, "approve", actor, now, reason)
    notify(
        parties(mission),
        "mission_approved",
        lambda: _(
            "Mission %(ref)s approved (%(days)s)",
            ref=mission.ref,
            days=format_days_unit(mission.days),
        ),
        link(mission),
        now,
    )


def refuse(actor: User, mission: Mission, reason: str, now: datetime) -> None:
    check(actor, mission, "refuse")
    if not (reason or "").strip():
        raise BadSession(_l("Give the reason of the refusal."))
    move(mission, "refuse", actor, now, reason.strip())
    _reopen_need(mission, now)
    notify(
        parties(mission),
        "mission_refused",
        lambda: _("Mission %(ref)s refused: %(why)s", ref=mission.ref, why=reason.strip()),
        link(mission),
        now,
    )


def cancel(actor: User, mission: Mission, reason: str | None, now: datetime) -> None:
    """Cancel a mission; what it reserved and has not delivered goes back."""
    check(actor, mission, "cancel")
    if "coordinator" not in capacities(actor, mission) and any(
        s.status in (SessionStatus.DELIVERED, SessionStatus.CONFIRMED, SessionStatus.DISPUTED)
        for s in mission.sessions
    ):
        raise InvalidTransition(_l("Days were already delivered: ask the coordinator."))
    if mission.status in RESERVING_STATUSES:
        quota.release(mission, mission.approved_minutes - mission.minutes_logged)
    move(mission, "cancel", actor, now, (reason or "").strip() or None)
    db.session.execute(
        update(MissionSession)
        .where(
            MissionSession.mission_id == mission.id, MissionSession.status == SessionStatus.PLANNED
        )
        .values(status=SessionStatus.CANCELLED)
    )
    _reopen_need(mission, now)
    notify(
        parties(mission),
        "mission_cancelled",
        lambda: _("Mission %(ref)s cancelled", ref=mission.ref),
        link(mission),
        now,
    )


def _reopen_need(mission: Mission, now: datetime) -> None:
    db.session.execute(
        update(Need)
        .where(Need.id == mission.need_id, Need.status == ListingStatus.MATCHED)
        .values(status=ListingStatus.OPEN, updated_at=now)
    )


def extend(actor: User, mission: Mission, days: float, reason: str | None, now: datetime) -> None:
    """The coordinator approves more days for a mission already approved."""
    caps = capacities(actor, mission)
    if "coordinator" not in caps:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if mission.status not in RESERVING_STATUSES:
        raise InvalidTransition(_l("Only an approved mission can be extended."))
    if days <= 0 or not float(days * 2).is_integer():
        raise BadSession(_l("Extend by half days: 0.5, 1, 1.5…"))
    quota.reserve(mission, days, reason)
    record(
        mission,
        actor,
        "extend",
        mission.status,
        mission.status,
        now,
        (reason or "").strip() or str(_l("%(days)s more days", days=format_days(days))),
    )


def mark_delivered(actor: User, mission: Mission, now: datetime) -> None:
    """All sessions are settled: the mission is delivered; the time approved and not
    confirmed (e.g. a day approved, 2 h held) goes back."""
    check(actor, mission, "deliver")
    pending = [
        s
        for s in mission.sessions
        if s.status in (SessionStatus.PLANNED, SessionStatus.DELIVERED, SessionStatus.DISPUTED)
    ]
    if pending:
        raise InvalidTransition(_l("Some sessions are still to be held or confirmed."))
    if not any(s.status == SessionStatus.CONFIRMED for s in mission.sessions):
        raise InvalidTransition(_l("No session was confirmed: cancel the mission instead."))
    quota.release(mission, mission.approved_minutes - mission.confirmed_minutes)
    move(mission, "deliver", actor, now)


def close(actor: User, mission: Mission, now: datetime) -> None:
    check(actor, mission, "close")
    move(mission, "close", actor, now)
