"""Supported projects, their follow-up surveys and the value of expert days.

Projects are opened by the `impact-follow-up` job from what the programme did: an advance
paid out (its first disbursement) or skill days logged in the ledger (a mission's first
entry). The same job sends each survey when its anniversary comes, then two reminders at
most (after 14 and 30 days), each exactly once: every send is a conditional UPDATE on the
survey's own row, so two runs at once cannot both send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.advances.models import Advance, Fund, FundMovement, MovementKind
from marketplace.advances.money import add_months
from marketplace.advances.services import officer_territories
from marketplace.conventions.models import Convention
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.impact.models import YEARS, FollowUp, FollowUpEvent, Project
from marketplace.ledger.models import LedgerEntry
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.notifications.services import notify

# A survey whose anniversary is older than this when the job first sees it is not sent
# (a project opened late from old rows would otherwise be asked about 2014 today): the
# coordinator can still enter it from a phone call.
SEND_WINDOW = timedelta(days=90)
REMINDERS_AFTER = (timedelta(days=14), timedelta(days=30))
# A survey can be answered from a month before its anniversary.
ANSWER_AHEAD = timedelta(days=31)

# Bounds of a declared daily cost (cents): below 50 € or above 3,000 € a day is a typo
# (a monthly salary typed as a daily cost, a cost in thousands), refused with the bounds.
DAILY_COST_MIN = 5_000
DAILY_COST_MAX = 300_000


class FollowUpRefused(DomainError):
    status_code = 400


# ------------------------------------------------------------------ projects


def _advance_supports():
    """(territory, SME, first payout day, headcount, planned created, planned preserved)
    of every advance paid out whose SME has no project in that territory yet."""
    first = (
        select(
            FundMovement.advance_id.label("advance_id"),
            func.min(FundMovement.moved_on).label("day"),
        )
        .where(FundMovement.kind == MovementKind.DISBURSEMENT)
        .group_by(FundMovement.advance_id)
        .subquery()
    )
    return db.session.execute(
        select(
            Fund.territory_id,
            Advance.organisation_id,
            first.c.day,
            Advance.headcount,
            Advance.jobs_to_create,
            Advance.jobs_to_preserve,
        )
        .join(first, first.c.advance_id == Advance.id)
        .join(Fund, Fund.id == Advance.fund_id)
        .where(
            ~exists().where(
                Project.territory_id == Fund.territory_id,
                Project.organisation_id == Advance.organisation_id,
            )
        )
    ).all()


def _mission_supports():
    """(territory, SME, first day logged) of SMEs whose missions have days in the ledger
    and no project in the convention's territory yet."""
    return db.session.execute(
        select(Convention.territory_id, Need.organisation_id, func.min(LedgerEntry.entry_on))
        .join(Mission, Mission.id == LedgerEntry.mission_id)
        .join(Need, Need.id == Mission.need_id)
        .join(Convention, Convention.id == LedgerEntry.convention_id)
        .where(
            LedgerEntry.minutes > 0,
            ~exists().where(
                Project.territory_id == Convention.territory_id,
                Project.organisation_id == Need.organisation_id,
            ),
        )
        .group_by(Convention.territory_id, Need.organisation_id)
    ).all()


def open_projects(now: datetime) -> int:
    """Open the project of every SME supported and not followed yet, with its three
    surveys (due at the anniversaries of its first support). Returns how many opened."""
    found: dict[tuple[int, int], dict] = {}
    for territory_id, organisation_id, day, headcount, created, preserved in _advance_supports():
        key = (territory_id, organisation_id)
        if key not in found or day < found[key]["started_on"]:
            found[key] = {
                "started_on": day,
                "headcount_at_start": headcount,
                "planned_created": created,
                "planned_preserved": preserved,
            }
    for territory_id, organisation_id, day in _mission_supports():
        key = (territory_id, organisation_id)
        if key in found:
            found[key]["started_on"] = min(found[key]["started_on"], day)
        else:
            found[key] = {"started_on": day}
    if not found:
        return 0
    headcounts = dict(
        db.session.execute(
            select(Organisation.id, Organisation.headcount).where(
                Organisation.id.in_({o for _t, o in found})
            )
        ).all()
    )
    opened = 0
    for (territory_id, organisation_id), fields in sorted(found.items()):
        fields.setdefault("headcount_at_start", headcounts.get(organisation_id))
        try:
            with db.session.begin_nested():
                project = Project(
                    territory_id=territory_id,
                    organisation_id=organisation_id,
                    created_at=now,
                    **fields,
                )
                db.session.add(project)
                db.session.flush()
                db.session.add_all(
                    FollowUp(
                        project_id=project.id,
                        year=year,
                        due_on=add_months(fields["started_on"], 12 * year),
                        reminders=0,
                    )
                    for year in YEARS
                )
            opened += 1
        except IntegrityError:
            continue  # another run opened it meanwhile
    return opened


# ------------------------------------------------------------------ surveys


def _managers(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.organisation_id == organisation_id,
                User.role == Role.SME_MANAGER,
                User.is_active_account.is_(True),
            )
        )
    )


def _event(follow_up_id: int, action: str, now: datetime, actor: User | None = None, **details):
    db.session.add(
        FollowUpEvent(
            follow_up_id=follow_up_id,
            at=now,
            actor_id=actor.id if actor else None,
            action=action,
            details=json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None,
        )
    )


def _ask(follow_up: FollowUp, reminder: bool, now: datetime) -> None:
    year, due = follow_up.year, follow_up.due_on

    def message() -> str:
        if reminder:
            return str(
                _l(
                    "Reminder: how is your company doing %(year)s year(s) after the "
                    "programme's support? A few figures take two minutes.",
                    year=year,
                )
            )
        return str(
            _l(
                "%(year)s year(s) after the programme's support (%(date)s): how many people "
                "do you employ, how many jobs were created or preserved? A few figures take "
                "two minutes.",
                year=year,
                date=format_date(due, "medium"),
            )
        )

    notify(
        _managers(follow_up.project.organisation_id),
        "follow_up",
        message,
        f"/follow-ups/{follow_up.id}",
        now,
    )


def send_surveys(today: date, now: datetime) -> dict:
    """The job: open new projects, send the surveys due, remind those unanswered."""
    opened = open_projects(now)
    db.session.commit()
    sent = reminded = 0
    due = db.session.scalars(
        select(FollowUp).where(
            FollowUp.answered_at.is_(None),
            FollowUp.sent_on.is_(None),
            FollowUp.due_on <= today,
            FollowUp.due_on > today - SEND_WINDOW,
        )
    ).all()
    for follow_up in due:
        taken = db.session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id, FollowUp.sent_on.is_(None))
            .values(sent_on=today)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken == 1:
            _ask(follow_up, False, now)
            _event(follow_up.id, "sent", now)
            sent += 1
        db.session.commit()
    for number, after in enumerate(REMINDERS_AFTER):
        waiting = db.session.scalars(
            select(FollowUp).where(
                FollowUp.answered_at.is_(None),
                FollowUp.reminders == number,
                FollowUp.sent_on <= today - after,
            )
        ).all()
        for follow_up in waiting:
            taken = db.session.execute(
                update(FollowUp)
                .where(
                    FollowUp.id == follow_up.id,
                    FollowUp.reminders == number,
                    FollowUp.answered_at.is_(None),
                )
                .values(reminders=number + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken == 1:
                _ask(follow_up, True, now)
                _event(follow_up.id, "reminded", now)
                reminded += 1
            db.session.commit()
    return {"projects_opened": opened, "surveys_sent": sent, "reminders_sent": reminded}


# ------------------------------------------------------------------ who sees what


def visible_projects(user: User):
    """Coordinators and the operator's staff: their territories' projects; an SME
    manager: their own company's; an administrator: all."""
    query = select(Project)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.SME_MANAGER and user.organisation_id:
        return query.where(Project.organisation_id == user.organisation_id)
    territories = officer_territories(user) or set()
    if territories:
        return query.where(Project.territory_id.in_(territories))
    return query.where(False)


def can_enter(user: User, project: Project) -> bool:
    """Who may answer: the SME's managers, and its territory's coordinators (a phone call)."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.SME_MANAGER:
        return user.organisation_id == project.organisation_id
    return project.territory_id in (officer_territories(user) or set())


@dataclass
class Answer:
    headcount: int
    jobs_created: int
    jobs_preserved: int
    still_trading: bool
    comment: str | None = None


FIELDS = ("headcount", "jobs_created", "jobs_preserved", "still_trading", "comment")


def warnings_for(answer: Answer) -> list[tuple[str, str]]:
    """What looks odd but may be true: said, kept."""
    found = []
    if answer.jobs_preserved > answer.headcount:
        found.append(
            (
                "jobs_preserved",
                str(_l("More jobs preserved than people employed: kept as entered, check it.")),
            )
        )
    if not answer.still_trading and answer.headcount:
        found.append(
            (
                "headcount",
                str(_l("A company no longer trading with people employed: kept as entered.")),
            )
        )
    return found


def answer_survey(
    actor: User, follow_up: FollowUp, answer: Answer, now: datetime, source: str = "web"
) -> list[tuple[str, str]]:
    """Record (or correct) an answer. A second answer replaces the figures and the change
    goes to the timeline with the old and new values. Returns the warnings (kept)."""
    if not can_enter(actor, follow_up.project):
        raise NotAllowed(_l("You cannot answer this survey."))
    for name in ("headcount", "jobs_created", "jobs_preserved"):
        value = getattr(answer, name)
        if value is None or value < 0:
            raise FollowUpRefused(_l("Enter a whole number, 0 or more."), field=name)
    if follow_up.due_on > now.date() + ANSWER_AHEAD:
        raise FollowUpRefused(_l("This survey is not due yet."), field="headcount")
    before = {name: getattr(follow_up, name) for name in FIELDS}
    after = {name: getattr(answer, name) for name in FIELDS}
    first = follow_up.answered_at is None
    if not first and before == after:
        return warnings_for(answer)
    for name, value in after.items():
        setattr(follow_up, name, value)
    follow_up.answered_at = now
    follow_up.answered_by_id = actor.id
    follow_up.source = source
    changes = {k: [before[k], after[k]] for k in FIELDS if before[k] != after[k]}
    _event(
        follow_up.id,
        "answered" if first else "changed",
        now,
        actor,
        source=source,
        **({} if first else {"changes": changes}),
    )
    db.session.flush()
    return warnings_for(answer)


def response_rates(territory_ids: set[int] | None, today: date) -> dict:
    """Per survey year: due, answered, by phone, rate; over the given territories (None:
    all)."""
    query = (
        select(
            FollowUp.year,
            func.count(),
            func.count(FollowUp.answered_at),
            func.sum(case((FollowUp.source == "phone", 1), else_=0)),
        )
        .join(Project, Project.id == FollowUp.project_id)
        .where(FollowUp.due_on <= today)
        .group_by(FollowUp.year)
    )
    if territory_ids is not None:
        query = query.where(Project.territory_id.in_(territory_ids))
    rates = {}
    for year, due, answered, phone in db.session.execute(query):
        rates[year] = {
            "due": due,
            "answered": answered,
            "by_phone": int(phone or 0),
            "rate": round(answered / due, 3) if due else None,
        }
    return rates


def follow_ups_to_chase(territory_ids: set[int] | None, today: date):
    """Surveys due and unanswered, oldest first (the coordinator's call list)."""
    query = (
        select(FollowUp)
        .join(Project, Project.id == FollowUp.project_id)
        .where(FollowUp.answered_at.is_(None), FollowUp.due_on <= today)
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    if territory_ids is not None:
        query = query.where(Project.territory_id.in_(territory_ids))
    return query


# ------------------------------------------------------------------ the value of days


def set_daily_cost(actor: User, target: Organisation | User, cents: int | None) -> None:
    """A group's default daily cost, or one expert's. Set by the group's referents (for
    their own group and its experts), coordinators and administrators."""
    group_id = target.id if isinstance(target, Organisation) else target.organisation_id
    allowed = actor.role in (Role.ADMIN, Role.COORDINATOR) or (
        actor.role == Role.GROUP_REFERENT and actor.organisation_id == group_id
    )
    if not allowed:
        raise NotAllowed(_l("You cannot set this daily cost."))
    if cents is not None and not DAILY_COST_MIN <= cents <= DAILY_COST_MAX:
        raise FollowUpRefused(
            _l("A daily cost is between 50 € and 3,000 €; leave it empty if unknown."),
            field="daily_cost",
        )
    target.daily_cost_cents = cents
    db.session.flush()


def day_cost_expression():
    """The cost of one day of the entry's expert: theirs if declared, else their group's
    (SQL, over LedgerEntry joined to Mission; NULL when neither declared one)."""
    from marketplace.offers.models import Offer

    expert_cost = (
        select(User.daily_cost_cents)
        .join(Offer, Offer.expert_id == User.id)
        .where(Offer.id == Mission.offer_id)
        .scalar_subquery()
    )
    group_cost = (
        select(Organisation.daily_cost_cents)
        .where(Organisation.id == LedgerEntry.group_id)
        .scalar_subquery()
    )
    return func.coalesce(expert_cost, group_cost)


def mission_value_cents(mission: Mission) -> tuple[int, int | None]:
    """(minutes delivered, their value in cents or None when no cost is declared)."""
    minutes = (
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
                LedgerEntry.mission_id == mission.id
            )
        )
        or 0
    )
    expert = mission.offer.expert if mission.offer else None
    cost = (expert.daily_cost_cents if expert else None) or (
        mission.group.daily_cost_cents if mission.group else None
    )
    if cost is None:
        return minutes, None
    per_day = mission.convention.minutes_per_day if mission.convention else 420
    return minutes, (minutes * cost + per_day // 2) // per_day
