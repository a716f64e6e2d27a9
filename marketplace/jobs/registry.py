"""The one list of scheduled jobs: stable ids, bodies and triggers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from marketplace.jobs import bodies


@dataclass(frozen=True)
class JobDefinition:
    id: str
    description: str
    body: Callable[[date, datetime], dict]  # (today, now) -> counts
    cron: dict  # APScheduler cron trigger fields (Europe/Paris)
    # True when there is nothing to do: the scheduler then skips the run and records nothing
    # (a job that fires every minute would otherwise add 1,440 idle runs a day).
    idle: Callable[[], bool] | None = None


JOBS: tuple[JobDefinition, ...] = (
    JobDefinition(
        "expire",
        "Expire needs, offers and proposals whose window has passed",
        bodies.expire,
        {"hour": 1, "minute": 0},
    ),
    JobDefinition(
        "log-delivered-days",
        "Log delivered sessions in the ledger, exactly once",
        bodies.ledger,
        {"hour": 2, "minute": 0},
    ),
    JobDefinition(
        "quota-alerts",
        "Alert at 80 % and 100 % of a convention's or group's days",
        bodies.quota_alerts,
        {"hour": 2, "minute": 30},
    ),
    JobDefinition(
        "refresh-proposals",
        "Compute missing text vectors, then run the matcher again on every open need",
        bodies.refresh,
        {"hour": 3, "minute": 0},
    ),
    JobDefinition(
        "match-queue",
        "Match the needs and offers published on a large market (queued by their request)",
        bodies.match_queue,
        {"minute": "*"},
        bodies.match_queue_idle,
    ),
    JobDefinition(
        "advance-arrears",
        "Flag overdue instalments of advances (1-30, 31-90, over 90 days) and tell once",
        bodies.arrears,
        {"hour": 6, "minute": 30},
    ),
    JobDefinition(
        "impact-follow-up",
        "Open the projects of newly supported SMEs; send their N+1, N+2, N+3 surveys and "
        "two reminders, each once",
        bodies.follow_up,
        {"hour": 7, "minute": 0},
    ),
    JobDefinition(
        "purge-login-attempts",
        "Delete failed logins older than the throttling window",
        bodies.purge,
        {"hour": 3, "minute": 30},
    ),
    JobDefinition(
        "remind",
        "Remind sessions tomorrow, sessions to confirm, waiting proposals",
        bodies.remind,
        {"hour": 7, "minute": 0},
    ),
    JobDefinition(
        "send-mails",
        "Digest notifications into mails and send the outbox",
        bodies.send_mails,
        {"minute": "*/5"},
    ),
)

JOBS_BY_ID = {job.id: job for job in JOBS}
