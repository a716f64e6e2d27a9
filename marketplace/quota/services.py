"""Every move of days against a convention's quota, a group's commitment and an offer's
capacity, in one place: reserving at approval, releasing, moving reserved days to delivered
when the ledger logs them, corrections, and the 80 % / 100 % alerts.

The counters live on the offer (`days_reserved`, `days_delivered`), the convention and each
partner group (`days_reserved`, `days_delivered`, `days_overridden`), and the mission
(`approved_days`, `override_days`, `override_group_days`, `days_logged`). Limits are
conditional UPDATEs backed by CHECK constraints, never a check-then-write: two approvals at
once cannot both take the last days.
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
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import format_days
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


def days_left(counter: Convention | ConventionGroup | Offer) -> float:
    """What may still be reserved: the limit (quota, commitment or the expert's days), plus
    what was overridden, minus what is reserved and delivered."""
    if isinstance(counter, Offer):
        return counter.days - counter.days_reserved - counter.days_delivered
    limit = counter.skill_days_quota if isinstance(counter, Convention) else counter.committed_days
    return limit + counter.days_overridden - counter.days_reserved - counter.days_delivered


# ------------------------------------------------------------------ reserving


def _reserve_offer(offer_id: int, days: float) -> None:
    # The expert's days are never overridden: the offer's own CHECK backs this up.
    done = db.session.execute(
        update(Offer)
        .where(
            Offer.id == offer_id, Offer.days_reserved + Offer.days_delivered + days <= Offer.days
        )
        .values(days_reserved=Offer.days_reserved + days)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise CapacityExceeded(
            _l("The expert does not have %(days)s days left on this offer.", days=format_days(days))
        )


def _reserve_counter(model, key_filter, room_limit, days: float, override: bool) -> float:
    """Add days to a convention's or a group's reservation; returns the days overridden.

    Without an override, a conditional UPDATE: it only applies if the days fit, so two
    approvals at once cannot both take the last days. With an override, the row is
    locked and the excess is recorded as overridden (the CHECK stays true).
    """
    if not override:
        done = db.session.execute(
            update(model)
            .where(
                key_filter,
                model.days_reserved + model.days_delivered + days
                <= room_limit + model.days_overridden,
            )
            .values(days_reserved=model.days_reserved + days)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise QuotaExceeded("")
        return 0.0
    row = db.session.scalars(select(model).where(key_filter).with_for_update()).one()
    db.session.refresh(row)
    limit = getattr(row, "skill_days_quota", None)
    limit = row.committed_days if limit is None else limit
    excess = max(0.0, row.days_reserved + row.days_delivered + days - limit - row.days_overridden)
    db.session.execute(
        update(model)
        .where(model.id == row.id)
        .values(
            days_reserved=model.days_reserved + days,
            days_overridden=model.days_overridden + excess,
        )
        .execution_options(synchronize_session=False)
    )
    return excess


def reserve(mission: Mission, days: float, override_reason: str | None) -> None:
    """Reserve days on the offer, the convention and the group (the mission's counters follow).

    Passing the quota or the group's commitment needs an override with a reason (the
    committee's decision); the expert's own days are never overridden.
    """
    if mission.convention_id is None:
        raise QuotaExceeded(
            _l(
                "No active convention covers this SME and this group: "
                "the mission cannot be approved."
            )
        )
    _reserve_offer(mission.offer_id, days)
    override = bool(override_reason and override_reason.strip())
    group_key = and_(
        ConventionGroup.convention_id == mission.convention_id,
        ConventionGroup.organisation_id == mission.group_id,
    )
    try:
        over_quota = _reserve_counter(
            Convention,
            Convention.id == mission.convention_id,
            Convention.skill_days_quota,
            days,
            override,
        )
    except QuotaExceeded:
        raise QuotaExceeded(
            _l(
                "Approving %(days)s days would pass the convention's quota. Record an override "
                "with a reason if the committee decided so.",
                days=format_days(days),
            )
        ) from None
    try:
        over_group = _reserve_counter(
            ConventionGroup, group_key, ConventionGroup.committed_days, days, override
        )
    except QuotaExceeded:
        raise QuotaExceeded(
            _l(
                "Approving %(days)s days would pass the days the group committed. Record an "
                "override with a reason if the committee decided so.",
                days=format_days(days),
            )
        ) from None
    mission.approved_days += days
    mission.override_days += over_quota
    mission.override_group_days += over_group


def release(mission: Mission, days: float) -> None:
    """Give back reserved days, overridden ones first (the mission's counters follow)."""
    if days <= 0:
        return
    quota_back = min(mission.override_days, days)
    group_back = min(mission.override_group_days, days)
    db.session.execute(
        update(Offer)
        .where(Offer.id == mission.offer_id)
        .values(days_reserved=Offer.days_reserved - days)
        .execution_options(synchronize_session=False)
    )
    if mission.convention_id is not None:
        db.session.execute(
            update(Convention)
            .where(Convention.id == mission.convention_id)
            .values(
                days_reserved=Convention.days_reserved - days,
                days_overridden=Convention.days_overridden - quota_back,
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
                days_reserved=ConventionGroup.days_reserved - days,
                days_overridden=ConventionGroup.days_overridden - group_back,
            )
            .execution_options(synchronize_session=False)
        )
    mission.approved_days -= days
    mission.override_days -= quota_back
    mission.override_group_days -= group_back


# ------------------------------------------------------------------ delivering


def deliver(rows) -> None:
    """Move days just logged in the ledger from reserved to delivered, set-based.

    `rows` are the ledger rows a run really inserted: (session, days, mission, convention,
    group); a session another run logged first is not among them, so nothing moves twice.
    """
    if not rows:
        return
    by_convention: dict[int, float] = defaultdict(float)
    by_group: dict[tuple[int, int], float] = defaultdict(float)
    for _session, days, _mission, convention_id, group_id in rows:
        by_convention[convention_id] += days
        by_group[(convention_id, group_id)] += days
    for convention_id, days in by_convention.items():
        db.session.execute(
            update(Convention)
            .where(Convention.id == convention_id)
            .values(
                days_reserved=Convention.days_reserved - days,
                days_delivered=Convention.days_delivered + days,
            )
        )
    for (convention_id, group_id), days in by_group.items():
        db.session.execute(
            update(ConventionGroup)
            .where(
                ConventionGroup.convention_id == convention_id,
                ConventionGroup.organisation_id == group_id,
            )
            .values(
                days_reserved=ConventionGroup.days_reserved - days,
                days_delivered=ConventionGroup.days_delivered + days,
            )
        )
    # Offers and missions are many: one UPDATE ... FROM (SELECT ... GROUP BY) each, over
    # the ledger rows this batch inserted.
    sessions = [row[0] for row in rows]
    ledger, missions, offers = (LedgerEntry.__table__, Mission.__table__, Offer.__table__)
    per_mission = (
        select(ledger.c.mission_id.label("mission_id"), func.sum(ledger.c.days).label("days"))
        .where(among(ledger.c.session_id, sessions))
        .group_by(ledger.c.mission_id)
        .subquery()
    )
    db.session.execute(
        update(missions)
        .where(missions.c.id == per_mission.c.mission_id)
        .values(days_logged=missions.c.days_logged + per_mission.c.days)
    )
    per_offer = (
        select(missions.c.offer_id.label("offer_id"), func.sum(ledger.c.days).label("days"))
        .join(missions, missions.c.id == ledger.c.mission_id)
        .where(among(ledger.c.session_id, sessions))
        .group_by(missions.c.offer_id)
        .subquery()
    )
    db.session.execute(
        update(offers)
        .where(offers.c.id == per_offer.c.offer_id)
        .values(
            days_reserved=offers.c.days_reserved - per_offer.c.days,
            days_delivered=offers.c.days_delivered + per_offer.c.days,
        )
    )


def correct(convention_id: int, group_id: int, days: float) -> bool:
    """A ledger correction's days on the convention's and the group's delivered counters.

    False (and nothing moved) when it would pass the quota or make a counter negative:
    the CHECK constraints refuse it.
    """
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(Convention)
                .where(Convention.id == convention_id)
                .values(days_delivered=Convention.days_delivered + days)
            )
            db.session.execute(
                update(ConventionGroup)
                .where(
                    ConventionGroup.convention_id == convention_id,
                    ConventionGroup.organisation_id == group_id,
                )
                .values(days_delivered=ConventionGroup.days_delivered + days)
            )
    except IntegrityError:
        return False
    return True


# ------------------------------------------------------------------ alerts


def _crossed(used: float, limit: float, threshold: int) -> bool:
    return bool(limit) and used >= limit * threshold / 100


def send_quota_alerts(today: date, now: datetime) -> dict:
    """One alert per threshold (80 %, 100 %) per convention and per partner group, once."""
    sent = 0
    with force_locale("fr"):
        for convention in db.session.scalars(
            select(Convention).where(Convention.status == ConventionStatus.ACTIVE)
        ):
            link = internal_url("reports.show_convention", convention_id=convention.id)
            used = convention.days_reserved + convention.days_delivered
            for threshold in ALERT_THRESHOLDS:
                if _crossed(used, convention.skill_days_quota, threshold) and once(
                    f"quota:{convention.id}:{threshold}", today
                ):
                    message = _l(
                        "Convention %(name)s has used %(pct)s %% of its quota "
                        "(%(used)s of %(quota)s days)",
                        name=convention.name,
                        pct=threshold,
                        used=format_days(used),
                        quota=format_days(convention.skill_days_quota),
                    )
                    notify(convention.coordinators, "quota_alert", str(message), link, now)
                    sent += 1
            for partner in convention.partners:
                used = partner.days_reserved + partner.days_delivered
                for threshold in ALERT_THRESHOLDS:
                    if not (
                        _crossed(used, partner.committed_days, threshold)
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
                        str(message),
                        link,
                        now,
                    )
                    sent += 1
    return {"alerts": sent}
