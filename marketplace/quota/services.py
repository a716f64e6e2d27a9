"""Every move of time against a convention's quota, a group's commitment and an offer's
capacity, in one place: reserving at approval, releasing, moving reserved time to delivered
when the ledger logs it, corrections, and the 80 % / 100 % alerts.

All amounts are whole minutes (a day is the convention's hours per day). The counters live
on the offer (`minutes_reserved`, `minutes_delivered`), the convention and each partner
group (`minutes_reserved`, `minutes_delivered`, `minutes_overridden`), and the mission
(`approved_minutes`, `override_minutes`, `override_group_minutes`, `minutes_logged`).
Limits are conditional UPDATEs backed by CHECK constraints, never a check-then-write: two
approvals at once cannot both take the last minutes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.accounts.roles import Role
from marketplace.conventions.models import Convention, ConventionGroup, ConventionStatus
from marketplace.durations import days_to_minutes, hours_text, minutes_to_days
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import format_days, format_days_unit
from marketplace.ledger.models import LedgerEntry
from marketplace.missions.models import Mission
from marketplace.notifications.services import notify, once
from marketplace.offers.models import Offer
from marketplace.sql import among
from marketplace.urls import internal_url

ALERT_THRESHOLDS = (80, 100)


class QuotaExceeded(DomainError):
    status_code = 409


class CapacityExceeded(DomainError):
    status_code = 409


def minutes_left(counter: Convention | ConventionGroup | Offer) -> int:
    """What may still be reserved: the limit (quota, commitment or the expert's time), plus
    what was overridden, minus what is reserved and delivered."""
    if isinstance(counter, Offer):
        return counter.minutes_remaining
    limit = counter.quota_minutes if isinstance(counter, Convention) else counter.committed_minutes
    return limit + counter.minutes_overridden - counter.minutes_reserved - counter.minutes_delivered


def days_left(counter: Convention | ConventionGroup | Offer) -> float:
    """minutes_left in the counter's days (for people)."""
    return minutes_to_days(minutes_left(counter), counter.minutes_per_day)


# ------------------------------------------------------------------ reserving


def _reserve_offer(offer_id: int, minutes: int, days: float) -> None:
    # The expert's time is never overridden: the offer's own CHECK backs this up.
    done = db.session.execute(
        update(Offer)
        .where(
            Offer.id == offer_id,
            Offer.minutes_reserved + Offer.minutes_delivered + minutes <= Offer.minutes,
        )
        .values(minutes_reserved=Offer.minutes_reserved + minutes)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise CapacityExceeded(
            _l(
                "The expert does not have %(days)s (%(hours)s) left on this offer.",
                days=format_days_unit(days),
                hours=hours_text(minutes),
            )
        )


def _reserve_counter(model, key_filter, room_limit, minutes: int, override: bool) -> int:
    """Add minutes to a convention's or a group's reservation; returns the minutes overridden.

    Without an override, a conditional UPDATE: it only applies if the minutes fit, so two
    approvals at once cannot both take the last ones. With an override, the row is
    locked and the excess is recorded as overridden (the CHECK stays true).
    """
    if not override:
        done = db.session.execute(
            update(model)
            .where(
                key_filter,
                model.minutes_reserved + model.minutes_delivered + minutes
                <= room_limit + model.minutes_overridden,
            )
            .values(minutes_reserved=model.minutes_reserved + minutes)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise QuotaExceeded("")
        return 0
    row = db.session.scalars(select(model).where(key_filter).with_for_update()).one()
    db.session.refresh(row)
    limit = row.quota_minutes if isinstance(row, Convention) else row.committed_minutes
    excess = max(
        0, row.minutes_reserved + row.minutes_delivered + minutes - limit - row.minutes_overridden
    )
    db.session.execute(
        update(model)
        .where(model.id == row.id)
        .values(
            minutes_reserved=model.minutes_reserved + minutes,
            minutes_overridden=model.minutes_overridden + excess,
        )
        .execution_options(synchronize_session=False)
    )
    return excess


def reserve(mission: Mission, days: float, override_reason: str | None) -> None:
    """Reserve days (in minutes at the convention's hours per day) on the offer, the
    convention and the group (the mission's counters follow).

    Passing the quota or the group's commitment needs an override with a reason (the
    committee's decision); the expert's own time is never overridden.
    """
    if mission.convention_id is None:
        raise QuotaExceeded(
            _l(
                "No active convention covers this SME and this group: "
                "the mission cannot be approved."
            )
        )
    minutes = days_to_minutes(days, mission.convention.minutes_per_day)
    _reserve_offer(mission.offer_id, minutes, days)
    override = bool(override_reason and override_reason.strip())
    group_key = and_(
        ConventionGroup.convention_id == mission.convention_id,
        ConventionGroup.organisation_id == mission.group_id,
    )
    try:
        over_quota = _reserve_counter(
            Convention,
            Convention.id == mission.convention_id,
            Convention.quota_minutes,
            minutes,
            override,
        )
    except QuotaExceeded:
        raise QuotaExceeded(
            _l(
                "Approving %(days)s would pass the convention's quota. Record an override "
                "with a reason if the committee decided so.",
                days=format_days_unit(days),
            )
        ) from None
    try:
        over_group = _reserve_counter(
            ConventionGroup, group_key, ConventionGroup.committed_minutes, minutes, override
        )
    except QuotaExceeded:
        raise QuotaExceeded(
            _l(
                "Approving %(days)s would pass the days the group committed. Record an "
                "override with a reason if the committee decided so.",
                days=format_days_unit(days),
            )
        ) from None
    mission.approved_minutes += minutes
    mission.override_minutes += over_quota
    mission.override_group_minutes += over_group


def release(mission: Mission, minutes: int) -> None:
    """Give back reserved minutes, overridden ones first (the mission's counters follow)."""
    if minutes <= 0:
        return
    quota_back = min(mission.override_minutes, minutes)
    group_back = min(mission.override_group_minutes, minutes)
    db.session.execute(
        update(Offer)
        .where(Offer.id == mission.offer_id)
        .values(minutes_reserved=Offer.minutes_reserved - minutes)
        .execution_options(synchronize_session=False)
    )
    if mission.convention_id is not None:
        db.session.execute(
            update(Convention)
            .where(Convention.id == mission.convention_id)
            .values(
                minutes_reserved=Convention.minutes_reserved - minutes,
                minutes_overridden=Convention.minutes_overridden - quota_back,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(ConventionGroup)
            .where(
                ConventionGroup.convention_id == mission.convention_id,
                ConventionGroup.organisation_id == mission.group_id,
            )
            .values(
                minutes_reserved=ConventionGroup.minutes_reserved - minutes,
                minutes_overridden=ConventionGroup.minutes_overridden - group_back,
            )
            .execution_options(synchronize_session=False)
        )
    mission.approved_minutes -= minutes
    mission.override_minutes -= quota_back
    mission.override_group_minutes -= group_back


# ------------------------------------------------------------------ delivering


def deliver(rows) -> None:
    """Move minutes just logged in the ledger from reserved to delivered, set-based.

    `rows` are the ledger rows a run really inserted: (session, minutes, mission,
    convention, group); a session another run logged first is not among them, so nothing
    moves twice.
    """
    if not rows:
        return
    by_convention: dict[int, int] = defaultdict(int)
    by_group: dict[tuple[int, int], int] = defaultdict(int)
    for _session, minutes, _mission, convention_id, group_id in rows:
        by_convention[convention_id] += minutes
        by_group[(convention_id, group_id)] += minutes
    for convention_id, minutes in by_convention.items():
        db.session.execute(
            update(Convention)
            .where(Convention.id == convention_id)
            .values(
                minutes_reserved=Convention.minutes_reserved - minutes,
                minutes_delivered=Convention.minutes_delivered + minutes,
            )
        )
    for (convention_id, group_id), minutes in by_group.items():
        db.session.execute(
            update(ConventionGroup)
            .where(
                ConventionGroup.convention_id == convention_id,
                ConventionGroup.organisation_id == group_id,
            )
            .values(
                minutes_reserved=ConventionGroup.minutes_reserved - minutes,
                minutes_delivered=ConventionGroup.minutes_delivered + minutes,
            )
        )
    # Offers and missions are many: one UPDATE ... FROM (SELECT ... GROUP BY) each, over
    # the ledger rows this batch inserted.
    sessions = [row[0] for row in rows]
    ledger, missions, offers = (LedgerEntry.__table__, Mission.__table__, Offer.__table__)
    per_mission = (
        select(ledger.c.mission_id.label("mission_id"), func.sum(ledger.c.minutes).label("minutes"))
        .where(among(ledger.c.session_id, sessions))
        .group_by(ledger.c.mission_id)
        .subquery()
    )
    db.session.execute(
        update(missions)
        .where(missions.c.id == per_mission.c.mission_id)
        .values(minutes_logged=missions.c.minutes_logged + per_mission.c.minutes)
    )
    per_offer = (
        select(missions.c.offer_id.label("offer_id"), func.sum(ledger.c.minutes).label("minutes"))
        .join(missions, missions.c.id == ledger.c.mission_id)
        .where(among(ledger.c.session_id, sessions))
        .group_by(missions.c.offer_id)
        .subquery()
    )
    db.session.execute(
        update(offers)
        .where(offers.c.id == per_offer.c.offer_id)
        .values(
            minutes_reserved=offers.c.minutes_reserved - per_offer.c.minutes,
            minutes_delivered=offers.c.minutes_delivered + per_offer.c.minutes,
        )
    )


def correct(convention_id: int, group_id: int, minutes: int) -> bool:
    """A ledger correction's minutes on the convention's and the group's delivered counters.

    False (and nothing moved) when it would pass the quota or make a counter negative:
    the CHECK constraints refuse it.
    """
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(Convention)
                .where(Convention.id == convention_id)
                .values(minutes_delivered=Convention.minutes_delivered + minutes)
            )
            db.session.execute(
                update(ConventionGroup)
                .where(
                    ConventionGroup.convention_id == convention_id,
                    ConventionGroup.organisation_id == group_id,
                )
                .values(minutes_delivered=ConventionGroup.minutes_delivered + minutes)
            )
    except IntegrityError:
        return False
    return True


# ------------------------------------------------------------------ alerts


def _crossed(used: int, limit: int, threshold: int) -> bool:
    return bool(limit) and used >= limit * threshold / 100


def send_quota_alerts(today: date, now: datetime) -> dict:
    """One alert per threshold (80 %, 100 %) per convention and per partner group, once."""
    sent = 0
    with force_locale("fr"):
        for convention in db.session.scalars(
            select(Convention).where(Convention.status == ConventionStatus.ACTIVE)
        ):
            link = internal_url("reports.show_convention", convention_id=convention.id)
            used = convention.minutes_reserved + convention.minutes_delivered
            for threshold in ALERT_THRESHOLDS:
                if _crossed(used, convention.quota_minutes, threshold) and once(
                    f"quota:{convention.id}:{threshold}", today
                ):
                    message = _l(
                        "Convention %(name)s has used %(pct)s %% of its quota "
                        "(%(used)s of %(quota)s days)",
                        name=convention.name,
                        pct=threshold,
                        used=format_days(minutes_to_days(used, convention.minutes_per_day)),
                        quota=format_days(convention.quota_days),
                    )
                    notify(convention.coordinators, "quota_alert", message, link, now)
                    sent += 1
            for partner in convention.partners:
                used = partner.minutes_reserved + partner.minutes_delivered
                for threshold in ALERT_THRESHOLDS:
                    if not (
                        _crossed(used, partner.committed_minutes, threshold)
                        and once(f"group:{partner.id}:{threshold}", today)
                    ):
                        continue
                    referents = db.session.scalars(
                        select(User).where(
                            User.organisation_id == partner.organisation_id,
                            User.role == Role.GROUP_REFERENT,
                        )
                    ).all()
                    message = _l(
                        "%(group)s has used %(pct)s %% of the days it committed to %(name)s",
                        group=partner.organisation.name,
                        pct=threshold,
                        name=convention.name,
                    )
                    notify(
                        [*convention.coordinators, *referents],
                        "quota_alert",
                        message,
                        link,
                        now,
                    )
                    sent += 1
    return {"alerts": sent}
