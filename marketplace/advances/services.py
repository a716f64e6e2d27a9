"""The fund and its advances: who may see and do what, the moves of an advance, and every
movement of money (append-only rows, counters moved by conditional UPDATEs in the same
transaction)."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import OrgKind, Role
from marketplace.accounts.services import sme_managers
from marketplace.advances.models import (
    Advance,
    AdvanceEvent,
    AdvanceStatus,
    AgendaItem,
    Cofinancing,
    Committee,
    CommitteeMember,
    CommitteeSession,
    Fund,
    FundMovement,
    Instalment,
    MovementKind,
    Repayment,
)
from marketplace.advances.money import BadSchedule, schedule
from marketplace.advances.states import EDITABLE, TRANSITIONS, allowed
from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.conventions.services import coordinator_territory_ids
from marketplace.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.i18n import format_euros
from marketplace.notifications.services import notify
from marketplace.urls import internal_url

S = AdvanceStatus


class FundShort(DomainError):
    status_code = 409


# ------------------------------------------------------------------ who may see what


def officer_territories(user: User) -> set[int] | None:
    """Territories whose fund this user runs: None for an administrator (all of them)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.COORDINATOR:
        return coordinator_territory_ids(user)
    return set()


def is_officer(user: User, fund: Fund) -> bool:
    territories = officer_territories(user)
    return territories is None or fund.territory_id in territories


def member_seats(user: User) -> list[CommitteeMember]:
    return list(
        db.session.scalars(select(CommitteeMember).where(CommitteeMember.user_id == user.id))
    )


def visible_advances(user: User):
    """The advances this user may open: a fund's officers all of its advances; an SME's
    managers their own; a committee member those on an agenda of their committee."""
    query = select(Advance)
    if user.role == Role.ADMIN:
        return query
    conditions = []
    territories = officer_territories(user) or set()
    if territories:
        conditions.append(
            Advance.fund_id.in_(select(Fund.id).where(Fund.territory_id.in_(territories)))
        )
    if user.role == Role.SME_MANAGER and user.organisation_id:
        conditions.append(Advance.organisation_id == user.organisation_id)
    seats = [m.committee_id for m in member_seats(user)]
    if seats:
        conditions.append(
            exists().where(
                AgendaItem.advance_id == Advance.id,
                AgendaItem.session_id == CommitteeSession.id,
                CommitteeSession.committee_id.in_(seats),
            )
        )
    if not conditions:
        return query.where(false())
    return query.where(or_(*conditions))


def get_visible_advance(user: User, advance_id: int) -> Advance:
    advance = db.session.scalar(visible_advances(user).where(Advance.id == advance_id))
    if advance is None:
        raise NotFound(_l("This advance does not exist, or you cannot see it."))
    return advance


def capacities(user: User, advance: Advance) -> set[str]:
    found = set()
    if is_officer(user, advance.fund):
        found.add("officer")
    if user.role == Role.SME_MANAGER and user.organisation_id == advance.organisation_id:
        found.add("sme")
    return found


def visible_funds(user: User) -> list[Fund]:
    """Officers their funds; a group's referent the funds of the territories where the group
    is a partner (aggregates only); an SME's managers their territory's fund."""
    query = select(Fund).order_by(Fund.name)
    if user.role == Role.ADMIN:
        return list(db.session.scalars(query))
    territories = set(officer_territories(user) or set())
    if user.role == Role.GROUP_REFERENT and user.organisation_id:
        territories |= set(
            db.session.scalars(
                select(Convention.territory_id)
                .join(ConventionGroup, ConventionGroup.convention_id == Convention.id)
                .where(ConventionGroup.organisation_id == user.organisation_id)
            )
        )
        territories |= set(  # the funds the group endowed
            db.session.scalars(
                select(Fund.territory_id)
                .join(FundMovement, FundMovement.fund_id == Fund.id)
                .where(FundMovement.contributor_id == user.organisation_id)
            )
        )
    seats = [m.committee_id for m in member_seats(user)]
    if seats:  # a committee member, the fund their committee decides for
        territories |= set(
            db.session.scalars(select(Committee.territory_id).where(Committee.id.in_(seats)))
        )
    if user.role == Role.SME_MANAGER and user.organisation and user.organisation.territory_id:
        territories.add(user.organisation.territory_id)
    return list(db.session.scalars(query.where(Fund.territory_id.in_(territories))))


def fund_for_sme(organisation: Organisation) -> Fund | None:
    if organisation.territory_id is None:
        return None
    return db.session.scalar(select(Fund).where(Fund.territory_id == organisation.territory_id))


def create_fund(
    user: User, territory_id: int, name: str, min_cents: int, max_cents: int, quorum: int
) -> Fund:
    """A territory's fund and its (empty) committee; administrators set them up."""
    if user.role != Role.ADMIN:
        raise NotAllowed(_l("Only an administrator sets up a fund."))
    if db.session.scalar(select(Fund.id).where(Fund.territory_id == territory_id)):
        raise DomainError(_l("This territory already has its fund."), field="territory_id")
    fund = Fund(
        territory_id=territory_id,
        name=name.strip(),
        min_cents=min_cents,
        max_cents=max_cents,
        contributed_cents=0,
        disbursed_cents=0,
        repaid_cents=0,
        written_off_cents=0,
        available_cents=0,
    )
    db.session.add(fund)
    db.session.add(
        Committee(
            territory_id=territory_id,
            name=_("Approval committee of %(fund)s", fund=fund.name),
            quorum=quorum,
        )
    )
    db.session.flush()
    return fund


# ------------------------------------------------------------------ the timeline and moves


def record(
    advance: Advance,
    actor: User | None,
    action: str,
    before: str | None,
    after: str | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    db.session.add(
        AdvanceEvent(
            advance_id=advance.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before,
            to_status=after,
            reason=reason,
            at=now,
        )
    )


def move(
    advance: Advance, action: str, actor: User | None, now: datetime, reason: str | None = None
) -> None:
    """Change the advance's status with a conditional UPDATE, and write it down."""
    before = advance.status
    transition = TRANSITIONS[action]
    if before not in transition.sources:
        raise InvalidTransition(_l("This advance cannot do that in its present state."))
    done = db.session.execute(
        update(Advance)
        .where(Advance.id == advance.id, Advance.status == before)
        .values(status=transition.target, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("The advance changed meanwhile; reload the page."))
    db.session.refresh(advance)
    record(advance, actor, action, before, transition.target, now, reason)


def act(user: User, advance: Advance, action: str, now: datetime, reason: str | None = None):
    """A move asked for by a person (submit, withdraw, contract, default, write-off)."""
    if action not in TRANSITIONS or not allowed(action, advance.status, capacities(user, advance)):
        raise NotAllowed(_l("You cannot do that on this advance now."))
    if action == "contract" and advance.open_conditions:
        raise InvalidTransition(
            _l("Lift the committee's conditions before the contract."), field="conditions"
        )
    if action == "write_off":
        _write_off(user, advance, now)
    move(advance, action, user, now, (reason or "").strip() or None)
    _tell(advance, action, now)


def _tell(advance: Advance, action: str, now: datetime) -> None:
    words = {
        "submit": lambda: _("Advance %(ref)s submitted to the fund", ref=advance.ref),
        "withdraw": lambda: _("Advance %(ref)s withdrawn", ref=advance.ref),
        "contract": lambda: _("Advance %(ref)s contracted", ref=advance.ref),
        "default": lambda: _("Advance %(ref)s declared in default", ref=advance.ref),
        "write_off": lambda: _("Advance %(ref)s written off", ref=advance.ref),
    }
    if action in words:
        notify(
            [*sme_managers(advance.organisation_id, active_only=True), advance.case_officer],
            "advance",
            words[action],
            internal_url("advances.show_advance", advance_id=advance.id),
            now,
        )


# ------------------------------------------------------------------ applications


def check_application(fund: Fund, fields: dict) -> None:
    """The amount within the fund's bounds and a schedule that can be drawn; else a
    refusal naming the field."""
    amount = fields["amount_cents"]
    if not fund.min_cents <= amount <= fund.max_cents:
        raise DomainError(
            _l(
                "Between %(low)s and %(high)s for this fund.",
                low=format_euros(fund.min_cents),
                high=format_euros(fund.max_cents),
            ),
            field="amount",
        )
    try:
        schedule(
            amount,
            fields["term_months"],
            fields["grace_months"],
            fields["frequency"],
            date(2000, 1, 1),
        )
    except BadSchedule as error:
        raise DomainError(error.message, field=error.field) from None


def create_advance(
    user: User, organisation: Organisation, fields: dict, cofinancing: list, now: datetime
) -> Advance:
    """A draft application, by the SME's manager or for the SME by an officer."""
    if organisation.kind != OrgKind.SME:
        raise NotAllowed(_l("An advance is for an SME."))
    fund = fund_for_sme(organisation)
    if fund is None:
        raise DomainError(_l("No fund serves this SME's territory yet."), field="amount")
    own = user.role == Role.SME_MANAGER and user.organisation_id == organisation.id
    if not (own or is_officer(user, fund)):
        raise NotAllowed(_l("You cannot apply for this SME."))
    check_application(fund, fields)
    advance = Advance(
        ref=f"new-{secrets.token_hex(6)}",  # replaced by A-000001 once the id is known
        fund_id=fund.id,
        organisation_id=organisation.id,
        status=S.DRAFT,
        case_officer_id=user.id if user.role == Role.COORDINATOR else None,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    db.session.add(advance)
    db.session.flush()
    advance.ref = f"A-{advance.id:06d}"
    for lender, amount in cofinancing:
        db.session.add(Cofinancing(advance_id=advance.id, lender=lender, amount_cents=amount))
    record(advance, user, "create", None, S.DRAFT, now)
    return advance


def update_advance(user: User, advance: Advance, fields: dict, cofinancing: list, now: datetime):
    caps = capacities(user, advance)
    if not caps or advance.status not in EDITABLE:
        raise NotAllowed(_l("This advance can no longer be edited."))
    if "sme" in caps and "officer" not in caps:
        fields.pop("analysis", None)  # the case officer's analysis is theirs
    check_application(advance.fund, fields)
    for name, value in fields.items():
        setattr(advance, name, value)
    advance.updated_at = now
    for old in list(advance.cofinancings):
        db.session.delete(old)
    db.session.flush()
    for lender, amount in cofinancing:
        db.session.add(Cofinancing(advance_id=advance.id, lender=lender, amount_cents=amount))
    record(advance, user, "edit", advance.status, advance.status, now)


# ------------------------------------------------------------------ money


def _movement(
    fund: Fund, advance: Advance | None, kind: str, cents: int, on: date, key: str, user, **extra
):
    try:
        with db.session.begin_nested():
            db.session.add(
                FundMovement(
                    fund_id=fund.id,
                    advance_id=advance.id if advance else None,
                    kind=kind,
                    amount_cents=cents,
                    moved_on=on,
                    key=key,
                    created_by_id=user.id if user else None,
                    **extra,
                )
            )
    except IntegrityError:
        raise InvalidTransition(_l("This movement was already recorded.")) from None


def add_contribution(
    user: User,
    fund: Fund,
    contributor: Organisation | None,
    name: str,
    cents: int,
    on: date,
    now: datetime,
) -> None:
    """Money a group (or anyone) puts in the fund."""
    if not is_officer(user, fund):
        raise NotAllowed(_l("Only the fund's coordinators record contributions."))
    if cents <= 0:
        raise DomainError(_l("The amount must be positive."), field="amount")
    _movement(
        fund,
        None,
        MovementKind.CONTRIBUTION,
        cents,
        on,
        f"contribution:{fund.id}:{now.timestamp()}:{cents}",
        user,
        contributor=(contributor.name if contributor else name).strip()[:200],
        contributor_id=contributor.id if contributor else None,
    )
    db.session.execute(
        update(Fund)
        .where(Fund.id == fund.id)
        .values(
            contributed_cents=Fund.contributed_cents + cents,
            available_cents=Fund.available_cents + cents,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(fund)


def disburse(user: User, advance: Advance, cents: int, on: date, now: datetime) -> None:
    """Pay out a tranche. The fund's available money is taken by a conditional UPDATE (the
    CHECK backs it): two disbursements at once can never overdraw the fund."""
    if "officer" not in capacities(user, advance):
        raise NotAllowed(_l("Only the fund's coordinators disburse."))
    if advance.status not in (S.CONTRACTED, S.DISBURSED):
        raise InvalidTransition(_l("Only a contracted advance is disbursed."), field="amount")
    left = advance.amount_cents - advance.disbursed_cents
    if not 0 < cents <= left:
        raise DomainError(
            _l("Between 0,01 € and what is left to disburse, %(left)s.", left=format_euros(left)),
            field="amount",
        )
    taken = db.session.execute(
        update(Fund)
        .where(Fund.id == advance.fund_id, Fund.available_cents >= cents)
        .values(
            disbursed_cents=Fund.disbursed_cents + cents,
            available_cents=Fund.available_cents - cents,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise FundShort(
            _l("The fund does not have %(amount)s available.", amount=format_euros(cents)),
            field="amount",
        )
    moved = db.session.execute(
        update(Advance)
        .where(Advance.id == advance.id, Advance.disbursed_cents + cents <= Advance.amount_cents)
        .values(disbursed_cents=Advance.disbursed_cents + cents, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise InvalidTransition(_l("The advance changed meanwhile; reload the page."))
    tranche = db.session.scalar(
        select(func.count(FundMovement.id)).where(
            FundMovement.advance_id == advance.id,
            FundMovement.kind == MovementKind.DISBURSEMENT,
        )
    )
    _movement(
        advance.fund,
        advance,
        MovementKind.DISBURSEMENT,
        cents,
        on,
        f"disbursement:{advance.id}:{tranche + 1}",
        user,
    )
    db.session.refresh(advance)
    if advance.disbursed_cents == advance.amount_cents:
        move(advance, "disburse_all", user, now, format_euros(cents))
        draw_schedule(advance, on)
    else:
        move(advance, "disburse_part", user, now, format_euros(cents))


def draw_schedule(advance: Advance, start: date) -> list[Instalment]:
    """The schedule of the whole amount from `start` (the last disbursement)."""
    return _new_version(
        advance,
        schedule(
            advance.amount_cents,
            advance.term_months,
            advance.grace_months,
            advance.frequency,
            start,
        ),
    )


def _new_version(advance: Advance, rows) -> list[Instalment]:
    """Write `rows` (from `money.schedule`) as the advance's next schedule version; the
    earlier versions stay as they were."""
    version = advance.schedule_version + 1
    instalments = [
        Instalment(
            advance_id=advance.id,
            version=version,
            number=r.number,
            due_on=r.due_on,
            amount_cents=r.amount_cents,
            paid_cents=0,
        )
        for r in rows
    ]
    db.session.add_all(instalments)
    advance.schedule_version = version
    return instalments


def reschedule(
    user: User,
    advance: Advance,
    start: date,
    term_months: int,
    grace_months: int,
    reason: str,
    now: datetime,
) -> None:
    """What is left to repay on a new schedule (a new version; the old one is kept, as it
    was, with what it received). From arrears or default; the advance is repaying again."""
    if "officer" not in capacities(user, advance):
        raise NotAllowed(_l("Only the fund's coordinators reschedule."))
    if advance.status not in TRANSITIONS["reschedule"].sources:
        raise InvalidTransition(_l("Only an advance being repaid is rescheduled."), field="start")
    left = advance.outstanding_cents
    try:
        rows = schedule(left, term_months, grace_months, advance.frequency, start)
    except BadSchedule as error:
        raise DomainError(error.message, field=error.field) from None
    _new_version(advance, rows)
    note = _(
        "version %(n)s: %(left)s over %(count)s instalments — %(why)s",
        n=advance.schedule_version,
        left=format_euros(left),
        count=len(rows),
        why=reason.strip(),
    )
    move(advance, "reschedule", user, now, note)


def next_instalments(organisation_id: int) -> list[tuple[Advance, Instalment | None]]:
    """An SME's advances (not withdrawn or refused) with the next instalment still to pay."""
    advances = db.session.scalars(
        select(Advance)
        .where(
            Advance.organisation_id == organisation_id,
            Advance.status.not_in((S.WITHDRAWN, S.REFUSED)),
        )
        .order_by(Advance.created_at.desc())
    ).all()
    found = []
    for advance in advances:
        upcoming = db.session.scalar(
            select(Instalment)
            .where(
                Instalment.advance_id == advance.id,
                Instalment.version == advance.schedule_version,
                Instalment.paid_cents < Instalment.amount_cents,
            )
            .order_by(Instalment.number)
            .limit(1)
        )
        found.append((advance, upcoming))
    return found


def fund_history(fund: Fund, today: date) -> list[tuple[str, int, int, int]]:
    """The fund month by month, from its first movement to this month: (month 'YYYY-MM',
    contributed, outstanding, available), in cents at each month's end."""
    rows = db.session.execute(
        select(FundMovement.kind, FundMovement.moved_on, func.sum(FundMovement.amount_cents))
        .where(FundMovement.fund_id == fund.id)
        .group_by(FundMovement.kind, FundMovement.moved_on)
    ).all()
    if not rows:
        return []
    by_month: dict[tuple[int, int], dict[str, int]] = {}
    for kind, day, cents in rows:
        month = by_month.setdefault((day.year, day.month), {})
        month[kind] = month.get(kind, 0) + int(cents)
    year, month = min(by_month)
    totals = dict.fromkeys(MovementKind, 0)
    history = []
    while (year, month) <= (today.year, today.month):
        for kind, cents in by_month.get((year, month), {}).items():
            totals[kind] += cents
        lent = totals[MovementKind.DISBURSEMENT]
        back = totals[MovementKind.REPAYMENT]
        history.append(
            (
                f"{year}-{month:02d}",
                totals[MovementKind.CONTRIBUTION],
                lent - back - totals[MovementKind.WRITE_OFF],
                totals[MovementKind.CONTRIBUTION] + back - lent,
            )
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return history


def current_schedule(advance: Advance) -> list[Instalment]:
    return list(
        db.session.scalars(
            select(Instalment)
            .where(
                Instalment.advance_id == advance.id, Instalment.version == advance.schedule_version
            )
            .order_by(Instalment.number)
        )
    )


def record_repayment(
    user: User | None,
    advance: Advance,
    cents: int,
    on: date,
    now: datetime,
    reference: str | None = None,
    source: str = "manual",
) -> Repayment:
    """Money received: it pays the oldest instalments first (partial and early payments
    alike); what passes the outstanding amount is recorded as an over-payment to give back,
    never lost and never counted as repaid."""
    if user is not None and "officer" not in capacities(user, advance):
        raise NotAllowed(_l("Only the fund's coordinators record repayments."))
    if cents <= 0:
        raise DomainError(_l("The amount must be positive."), field="amount")
    if advance.status not in TRANSITIONS["repay_all"].sources:  # being repaid
        raise InvalidTransition(
            _l(
                "Advance %(ref)s is not being repaid (%(status)s).",
                ref=advance.ref,
                status=advance.status,
            ),
            field="amount",
        )
    principal = min(cents, advance.outstanding_cents)
    over = cents - principal
    repayment = Repayment(
        advance_id=advance.id,
        received_on=on,
        amount_cents=cents,
        overpaid_cents=over,
        reference=(reference or "").strip()[:120] or None,
        source=source,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    db.session.add(repayment)
    db.session.flush()
    if principal:
        left = principal
        for instalment in current_schedule(advance):
            due = instalment.amount_cents - instalment.paid_cents
            if due and left:
                paying = min(due, left)
                instalment.paid_cents += paying
                left -= paying
        done = db.session.execute(
            update(Advance)
            .where(
                Advance.id == advance.id,
                Advance.repaid_cents + principal <= Advance.disbursed_cents,
            )
            .values(
                repaid_cents=Advance.repaid_cents + principal,
                overpaid_cents=Advance.overpaid_cents + over,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise InvalidTransition(_l("The advance changed meanwhile; reload the page."))
        db.session.execute(
            update(Fund)
            .where(Fund.id == advance.fund_id)
            .values(
                repaid_cents=Fund.repaid_cents + principal,
                available_cents=Fund.available_cents + principal,
            )
            .execution_options(synchronize_session=False)
        )
        _movement(
            advance.fund,
            advance,
            MovementKind.REPAYMENT,
            principal,
            on,
            f"repayment:{repayment.id}",
            user,
        )
    else:
        advance.overpaid_cents += over
    db.session.refresh(advance)
    reason = format_euros(cents) + (
        " " + _("(over-payment of %(over)s to give back)", over=format_euros(over)) if over else ""
    )
    if advance.outstanding_cents == 0:
        move(advance, "repay_all", user, now, reason)
    else:
        record(advance, user, "repayment", advance.status, advance.status, now, reason)
        if advance.status == S.IN_ARREARS and not overdue_instalments(advance, on):
            move(advance, "catch_up", user, now)
    return repayment


def overdue_instalments(advance: Advance, today: date) -> list[Instalment]:
    return [
        i for i in current_schedule(advance) if i.due_on < today and i.paid_cents < i.amount_cents
    ]


def _write_off(user: User, advance: Advance, now: datetime) -> None:
    """A defaulted advance's outstanding principal is written off: it never comes back to
    the fund (available does not move), and the loss is written down."""
    lost = advance.outstanding_cents
    if lost:
        db.session.execute(
            update(Fund)
            .where(Fund.id == advance.fund_id)
            .values(written_off_cents=Fund.written_off_cents + lost)
            .execution_options(synchronize_session=False)
        )
        _movement(
            advance.fund,
            advance,
            MovementKind.WRITE_OFF,
            lost,
            now.date(),
            f"write_off:{advance.id}",
            user,
        )


# ------------------------------------------------------------------ arrears (the job)

BUCKETS = ((90, "90+"), (30, "31-90"), (0, "1-30"))


def bucket_of(days_late: int) -> str:
    return next(name for limit, name in BUCKETS if days_late > limit)


def flag_arrears(today: date, now: datetime) -> dict:
    """Instalments past due: the advance moves to 'in arrears', and its SME's managers and
    the fund's coordinators are told once per instalment and bucket (1-30, 31-90, > 90
    days). Reads only unpaid past-due instalments (an index on due date and paid amount)."""
    late = db.session.execute(
        select(Instalment, Advance)
        .join(Advance, Advance.id == Instalment.advance_id)
        .where(
            Instalment.due_on < today,
            Instalment.paid_cents < Instalment.amount_cents,
            Instalment.version == Advance.schedule_version,
            Advance.status.in_((S.REPAYING, S.IN_ARREARS)),
        )
    ).all()
    moved = notified = 0
    coordinators_of: dict[int, list[User]] = {}  # read once per territory and SME, not per
    managers_of: dict[int, list[User]] = {}  # instalment
    for instalment, advance in late:
        if advance.status == S.REPAYING:
            move(
                advance, "fall_behind", None, now, _("instalment %(n)s unpaid", n=instalment.number)
            )
            moved += 1
        bucket = bucket_of((today - instalment.due_on).days)
        if instalment.overdue_notified_bucket == bucket:
            continue
        instalment.overdue_notified_bucket = bucket
        territory = advance.fund.territory_id
        if territory not in coordinators_of:
            coordinators_of[territory] = [
                c
                for convention in db.session.scalars(
                    select(Convention).where(Convention.territory_id == territory)
                )
                for c in convention.coordinators
            ]
        if advance.organisation_id not in managers_of:
            managers_of[advance.organisation_id] = sme_managers(
                advance.organisation_id, active_only=True
            )
        coordinators = coordinators_of[territory]
        due = instalment.amount_cents - instalment.paid_cents
        late_by = (today - instalment.due_on).days

        def message(advance=advance, instalment=instalment, due=due, late_by=late_by) -> str:
            return _(
                "Advance %(ref)s: instalment %(n)s (%(due)s) is %(days)s days late",
                ref=advance.ref,
                n=instalment.number,
                due=format_euros(due),
                days=late_by,
            )

        notify(
            [*managers_of[advance.organisation_id], *coordinators],
            "advance_overdue",
            message,
            internal_url("advances.show_advance", advance_id=advance.id),
            now,
        )
        notified += 1
    return {"in_arrears": moved, "notices": notified}
