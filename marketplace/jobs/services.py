"""Running a job once, with a JobRun record of what it did."""

from __future__ import annotations

import traceback
from datetime import date, datetime

from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.jobs.registry import JOBS_BY_ID


class UnknownJob(LookupError):
    pass


def run_job(name: str, today: date, now: datetime) -> JobRun:
    """Run one job for the given day and record it; commits its own run record.

    A job is a unit of work at the edge (like a request): its body's changes
    and the succeeded record commit together; on failure the body's changes are
    rolled back and a failed record is written.
    """
    job = JOBS_BY_ID.get(name)
    if job is None:
        raise UnknownJob(name)
    run = JobRun(name=name, period_on=today, started_at=now, status="running", counts={})
    try:
        counts = job.body(today, now)
    except Exception as error:  # noqa: BLE001 - recorded, then re-raised by the caller
        db.session.rollback()
        run.status = "failed"
        run.error = "".join(traceback.format_exception_only(error)).strip()[:2000]
        run.finished_at = datetime.now(now.tzinfo)
        db.session.add(run)
        db.session.commit()
        return run
    run.counts = counts
    run.status = "succeeded"
    run.finished_at = datetime.now(now.tzinfo)
    db.session.add(run)
    db.session.commit()
    return run


def last_runs() -> list[tuple[str, str, JobRun | None]]:
    """(job id, description, its last run or None) for every scheduled job."""
    from sqlalchemy import select

    from marketplace.jobs.registry import JOBS

    result = []
    for job in JOBS:
        run = db.session.scalar(
            select(JobRun)
            .where(JobRun.name == job.id)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        )
        result.append((job.id, job.description, run))
    return result
