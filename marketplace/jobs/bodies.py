"""What each scheduled job does. Every body takes (today, now) and returns its counts;
each is idempotent: running it twice, or again after downtime, changes nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import purge_login_attempts, sme_managers
from marketplace.conventions.ledger import log_delivered_days
from marketplace.conventions.models import Convention
from marketplace.extensions import db
from marketplace.jobs.models import SentAlert
from marketplace.matching.models import Proposal
from marketplace.needs.models import Need
from marketplace.notifications.services import notify
from marketplace.offers.models import Offer

PROPOSAL_WAIT = timedelta(days=5)
THRESHOLDS = (80, 100)


def _once(key: str, today: date) -> bool:
    """True the first time a key is seen (reminders and alerts go out once)."""
    try:
        with db.session.begin_nested():
            db.session.add(SentAlert(key=key[:120], sent_on=today))
        return True
    except IntegrityError:
        return False


def purge(today: date, now: datetime) -> dict:
    start_of_day = datetime.combine(today, time.min, tzinfo=UTC)
    window = current_app.config["LOGIN_THROTTLE_WINDOW"]
    return {"deleted": purge_login_attempts(start_of_day, window)}


def ledger(today: date, now: datetime) -> dict:
    return log_delivered_days(today, now, batch=current_app.config["LEDGER_BATCH_SIZE"])


def expire(today: date, now: datetime) -> dict:
    """Needs, offers and unanswered proposals whose window has passed."""
    needs = db.session.execute(
        update(Need)
        .where(Need.status.in_(("draft", "open")), Need.ends_on < today)
        .values(status="expired", updated_at=now)
    ).rowcount
    offers = db.session.execute(
        update(Offer)
        .where(Offer.status.in_(("draft", "open")), Offer.ends_on < today)
        .values(status="expired", updated_at=now)
    ).rowcount
    stale_needs = select(Need.id).where(or_(Need.ends_on < today, Need.status == "expired"))
    stale_offers = select(Offer.id).where(or_(Offer.ends_on < today, Offer.status == "expired"))
    proposals = db.session.execute(
        update(Proposal)
        .where(
            Proposal.status.in_(("proposed", "accepted_by_sme", "accepted_by_expert")),
            or_(Proposal.need_id.in_(stale_needs), Proposal.offer_id.in_(stale_offers)),
        )
        .values(status="expired", updated_at=now)
    ).rowcount
    return {"needs": needs or 0, "offers": offers or 0, "proposals": proposals or 0}


def remind(today: date, now: datetime) -> dict:
    """Sessions tomorrow, sessions to confirm, proposals waiting for more than 5 days."""
    from marketplace.missions.models import Mission, MissionSession
    from marketplace.missions.services import parties

    counts = {"sessions_tomorrow": 0, "to_confirm": 0, "waiting_proposals": 0}
    tomorrow = today + timedelta(days=1)
    with force_locale("fr"):
        for session in db.session.scalars(
            select(MissionSession).where(
                MissionSession.status == "planned", MissionSession.held_on == tomorrow
            )
        ):
            if _once(f"tomorrow:{session.id}:{tomorrow}", today):
                mission = db.session.get(Mission, session.mission_id)
                notify(
                    parties(mission),
                    "reminder_session",
                    str(_l("Reminder: session tomorrow for mission %(ref)s", ref=mission.ref)),
                    f"/missions/{mission.id}",
                    now,
                )
                counts["sessions_tomorrow"] += 1
        for session in db.session.scalars(
            select(MissionSession).where(MissionSession.status == "delivered")
        ):
            if _once(f"confirm:{session.id}:{today}", today):
                mission = db.session.get(Mission, session.mission_id)
                managers = sme_managers(mission.need.organisation_id)
                notify(
                    managers,
                    "reminder_confirm",
                    str(
                        _l(
                            "Reminder: please confirm the session of %(date)s (mission %(ref)s)",
                            date=session.held_on.isoformat(),
                            ref=mission.ref,
                        )
                    ),
                    f"/missions/{mission.id}",
                    now,
                )
                counts["to_confirm"] += 1
        cutoff = datetime.combine(today - PROPOSAL_WAIT, time.min, tzinfo=UTC)
        for proposal in db.session.scalars(
            select(Proposal).where(
                Proposal.status.in_(("proposed", "accepted_by_sme", "accepted_by_expert")),
                Proposal.created_at < cutoff,
            )
        ):
            if not _once(f"proposal:{proposal.id}:{today}", today):
                continue
            need, offer = proposal.need, proposal.offer
            waiting = []
            if proposal.status != "accepted_by_sme":
                waiting += sme_managers(need.organisation_id)
            if proposal.status != "accepted_by_expert":
                waiting.append(offer.expert)
            notify(
                waiting,
                "reminder_proposal",
                str(
                    _l(
                        "A proposal waits for your answer: “%(need)s” / “%(offer)s”",
                        need=need.title,
                        offer=offer.title,
                    )
                ),
                "/proposals",
                now,
            )
            counts["waiting_proposals"] += 1
    return counts


def refresh(today: date, now: datetime) -> dict:
    from marketplace.matching.services import refresh_proposals

    results = refresh_proposals(now)
    return {"needs": len(results), "proposals": sum(len(v) for v in results.values())}


def quota_alerts(today: date, now: datetime) -> dict:
    """One alert per threshold (80 %, 100 %) per convention and per group."""
    sent = 0
    with force_locale("fr"):
        for convention in db.session.scalars(
            select(Convention).where(Convention.status == "active")
        ):
            used = convention.days_reserved + convention.days_delivered
            for threshold in THRESHOLDS:
                if (
                    convention.skill_days_quota
                    and used >= convention.skill_days_quota * threshold / 100
                    and _once(f"quota:{convention.id}:{threshold}", today)
                ):
                    notify(
                        convention.coordinators,
                        "quota_alert",
                        str(
                            _l(
                                "Convention %(name)s has used %(pct)s %% of its quota "
                                "(%(used)s of %(quota)s days)",
                                name=convention.name,
                                pct=threshold,
                                used=f"{used:g}",
                                quota=f"{convention.skill_days_quota:g}",
                            )
                        ),
                        f"/conventions/{convention.id}",
                        now,
                    )
                    sent += 1
            for partner in convention.partners:
                used = partner.days_reserved + partner.days_delivered
                for threshold in THRESHOLDS:
                    if (
                        partner.committed_days
                        and used >= partner.committed_days * threshold / 100
                        and _once(f"group:{partner.id}:{threshold}", today)
                    ):
                        referents = db.session.scalars(
                            select(User).where(
                                User.organisation_id == partner.organisation_id,
                                User.role == Role.GROUP_REFERENT,
                            )
                        ).all()
                        notify(
                            [*convention.coordinators, *referents],
                            "quota_alert",
                            str(
                                _l(
                                    "%(group)s has used %(pct)s %% of the days it committed "
                                    "to %(name)s",
                                    group=partner.organisation.name,
                                    pct=threshold,
                                    name=convention.name,
                                )
                            ),
                            f"/conventions/{convention.id}",
                            now,
                        )
                        sent += 1
    return {"alerts": sent}


def send_mails(today: date, now: datetime) -> dict:
    from marketplace.notifications.mail import send_outbox
    from marketplace.notifications.services import digest_mails

    written = digest_mails(now)
    sent, failed = send_outbox(now)
    return {"digests": written, "sent": sent, "failed": failed}
