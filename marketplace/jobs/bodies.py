"""What each scheduled job does: one call into the feature that owns the rule.

Every body takes (today, now) and returns its counts; each is idempotent: running it twice,
or again after downtime, changes nothing more (unique keys back every "once").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import current_app

from marketplace.accounts.services import purge_login_attempts
from marketplace.advances.services import flag_arrears
from marketplace.impact.services import send_surveys
from marketplace.ledger.services import log_delivered_days
from marketplace.listings.services import expire_listings
from marketplace.mail.services import send_outbox
from marketplace.matching.embeddings import fill_vectors
from marketplace.matching.incremental import matching_requested, run_matching_requests
from marketplace.matching.services import (
    expire_proposals,
    refresh_proposals,
    remind_waiting_proposals,
)
from marketplace.missions.reminders import remind_sessions
from marketplace.notifications.services import digest_mails
from marketplace.quota.services import send_quota_alerts


def arrears(today: date, now: datetime) -> dict:
    return flag_arrears(today, now)


def follow_up(today: date, now: datetime) -> dict:
    return send_surveys(today, now)


def purge(today: date, now: datetime) -> dict:
    start_of_day = datetime.combine(today, time.min, tzinfo=UTC)
    window = current_app.config["LOGIN_THROTTLE_WINDOW"]
    return {"deleted": purge_login_attempts(start_of_day, window)}


def ledger(today: date, now: datetime) -> dict:
    return log_delivered_days(today, now, batch=current_app.config["LEDGER_BATCH_SIZE"])


def expire(today: date, now: datetime) -> dict:
    """Needs and offers whose window has passed, then the proposals left without them."""
    return {**expire_listings(today, now), "proposals": expire_proposals(today, now)}


def remind(today: date, now: datetime) -> dict:
    """Sessions tomorrow, sessions to confirm, proposals waiting for more than 5 days."""
    return {
        **remind_sessions(today, now),
        "waiting_proposals": remind_waiting_proposals(today, now),
    }


def refresh(today: date, now: datetime) -> dict:
    """Vectors missing or stale (new listings, a new model) first, then the proposals."""
    vectors = fill_vectors()
    results = refresh_proposals(now)
    return {
        "vectors": vectors,
        "needs": len(results),
        "proposals": sum(len(v) for v in results.values()),
    }


def match_queue(today: date, now: datetime) -> dict:
    """Listings published on a large market, matched outside their request."""
    return run_matching_requests(now)


def match_queue_idle() -> bool:
    return not matching_requested()


def quota_alerts(today: date, now: datetime) -> dict:
    return send_quota_alerts(today, now)


def send_mails(today: date, now: datetime) -> dict:
    written = digest_mails(now)
    sent, failed = send_outbox(now)
    return {"digests": written, "sent": sent, "failed": failed}
