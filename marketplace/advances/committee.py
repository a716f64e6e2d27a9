"""The approval committee: sessions, agendas, attendance, recusals, votes and decisions,
and what the minutes say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.accounts.services import sme_managers
from marketplace.advances.models import (
    Advance,
    AdvanceStatus,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    CommitteeSession,
    Condition,
    Decision,
    DeclaredLink,
    Fund,
    Vote,
)
from marketplace.advances.services import is_officer, move
from marketplace.errors import DomainError, InvalidTransition, NotAllowed
from marketplace.extensions import db
from marketplace.i18n import format_day
from marketplace.notifications.services import notify
from marketplace.urls import internal_url

S = AdvanceStatus
VOTES = ("for", "against", "abstain")
MOVE_OF = {
    Decision.APPROVED: "approve",
    Decision.APPROVED_WITH_CONDITIONS: "approve",
    Decision.ADJOURNED: "adjourn",
    Decision.REFUSED: "refuse",
}


def can_run(user: User, committee: Committee) -> bool:
    """The fund's coordinators (the secretariat) and administrators run the committee."""
    fund = db.session.scalar(select(Fund).where(Fund.territory_id == committee.territory_id))
    return fund is not None and is_officer(user, fund)


def sits_on(user: User, committee: Committee) -> bool:
    return any(m.user_id == user.id for m in committee.members)


def members_on(committee: Committee, day: date) -> list[CommitteeMember]:
    """Who sits on the committee that day (joined, not yet left)."""
    return [
        m
        for m in committee.members
        if m.joined_on <= day and (m.left_on is None or m.left_on > day)
    ]


def is_recused(member: CommitteeMember, advance: Advance) -> bool:
    """A member whose organisation is party to the dossier, or who declared a link with it,
    does not vote on it."""
    party = advance.organisation_id
    return member.organisation_id == party or any(
        link.organisation_id == party for link in member.links
    )


def add_member(
    user: User,
    committee: Committee,
    name: str,
    member_user_id: int | None,
    organisation_id: int | None,
    seat: str,
    joined_on: date,
) -> CommitteeMember:
    if not can_run(user, committee):
        raise NotAllowed(_l("Only the fund's coordinators run the committee."))
    member = CommitteeMember(
        committee_id=committee.id,
        name=name.strip(),
        user_id=member_user_id or None,
        organisation_id=organisation_id or None,
        seat=seat,
        joined_on=joined_on,
    )
    db.session.add(member)
    db.session.flush()
    return member


def declare_link(
    user: User, member: CommitteeMember, organisation_id: int, note: str | None
) -> None:
    """A member declares a link (their own, or the secretariat records it): from now on
    they are recused from that organisation's dossiers."""
    if not (can_run(user, member.committee) or member.user_id == user.id):
        raise NotAllowed(_l("Only the member or the committee's secretariat declares a link."))
    if any(link.organisation_id == organisation_id for link in member.links):
        raise DomainError(_l("This link is already declared."), field="organisation_id")
    db.session.add(
        DeclaredLink(
            member_id=member.id, organisation_id=organisation_id, note=(note or "").strip() or None
        )
    )
    db.session.flush()


def create_session(user: User, committee: Committee, held_on: date) -> CommitteeSession:
    if not can_run(user, committee):
        raise NotAllowed(_l("Only the fund's coordinators run the committee."))
    session = CommitteeSession(committee_id=committee.id, held_on=held_on)
    db.session.add(session)
    db.session.flush()
    return session


def put_on_agenda(user: User, session: CommitteeSession, advance: Advance, now: datetime):
    if (
        not can_run(user, session.committee)
        or advance.fund.territory_id != session.committee.territory_id
    ):
        raise NotAllowed(_l("This dossier is not for this committee."))
    if session.closed_at is not None:
        raise InvalidTransition(_l("This session is closed."), field="advance")
    move(
        advance,
        "put_on_agenda",
        user,
        now,
        _("committee of %(date)s", date=format_day(session.held_on)),
    )
    db.session.add(AgendaItem(session_id=session.id, advance_id=advance.id))
    db.session.flush()


def set_attendance(user: User, session: CommitteeSession, present_ids: set[int]) -> None:
    if not can_run(user, session.committee):
        raise NotAllowed(_l("Only the fund's coordinators run the committee."))
    if session.closed_at is not None:
        raise InvalidTransition(_l("This session is closed."))
    seated = {m.id for m in members_on(session.committee, session.held_on)}
    unknown = present_ids - seated
    if unknown:
        raise DomainError(_l("Only the committee's members attend."), field="present")
    for row in list(session.attendance):
        db.session.delete(row)
    db.session.flush()
    for member_id in seated:
        db.session.add(
            Attendance(session_id=session.id, member_id=member_id, present=member_id in present_ids)
        )
    db.session.flush()
    db.session.refresh(session)


@dataclass
class Tally:
    voters: list[CommitteeMember]  # present and not recused
    recused: list[CommitteeMember]


def tally(session: CommitteeSession, advance: Advance) -> Tally:
    present = [a.member for a in session.attendance if a.present]
    return Tally(
        voters=[m for m in present if not is_recused(m, advance)],
        recused=[m for m in present if is_recused(m, advance)],
    )


def decide(
    user: User,
    session: CommitteeSession,
    items: list[AgendaItem],
    decision: str,
    votes: dict[int, str],
    conditions: list[str],
    comment: str | None,
    now: datetime,
) -> None:
    """Record the committee's decision on one dossier, or on several at once when the
    committee agrees (the same votes for each). All or nothing: the quorum is checked on
    each dossier (voters present, recused members apart), a recused member's vote is
    refused, an approval needs more votes for than against."""
    if not can_run(user, session.committee):
        raise NotAllowed(_l("Only the fund's coordinators run the committee."))
    if decision not in MOVE_OF:
        raise DomainError(_l("Choose a decision."), field="decision")
    if decision == Decision.APPROVED_WITH_CONDITIONS and not conditions:
        raise DomainError(_l("Write the conditions, one per line."), field="conditions")
    if any(v not in VOTES for v in votes.values()):
        raise DomainError(_l("A vote is for, against or abstain."), field="votes")
    if not items:
        raise DomainError(_l("Choose at least one dossier."), field="items")
    for item in items:
        if item.session_id != session.id or item.decision is not None:
            raise InvalidTransition(_l("This dossier was already decided."), field="items")
        advance = item.advance
        who = tally(session, advance)
        if len(who.voters) < session.committee.quorum:
            raise DomainError(
                _l(
                    "No quorum for %(ref)s: %(present)s voting members present, %(quorum)s needed.",
                    ref=advance.ref,
                    present=len(who.voters),
                    quorum=session.committee.quorum,
                ),
                field="votes",
            )
        voter_ids = {m.id for m in who.voters}
        recused = [m for m in who.recused if m.id in votes]
        if recused:
            raise DomainError(
                _l(
                    "%(name)s is recused from %(ref)s and cannot vote on it.",
                    name=recused[0].name,
                    ref=advance.ref,
                ),
                field="votes",
            )
        if set(votes) - voter_ids:
            raise DomainError(_l("Only members present vote."), field="votes")
        counts = {v: sum(1 for x in votes.values() if x == v) for v in VOTES}
        if decision in (Decision.APPROVED, Decision.APPROVED_WITH_CONDITIONS) and not (
            counts["for"] > counts["against"]
        ):
            raise DomainError(
                _l("An approval needs more votes for than against."), field="decision"
            )
        for member_id, vote in votes.items():
            db.session.add(Vote(item_id=item.id, member_id=member_id, vote=vote))
        item.decision = decision
        item.votes_for, item.votes_against, item.abstentions = (
            counts["for"],
            counts["against"],
            counts["abstain"],
        )
        item.recused = ", ".join(m.name for m in who.recused) or None
        item.comment = (comment or "").strip() or None
        item.decided_at = now
        if decision == Decision.APPROVED_WITH_CONDITIONS:
            for text in conditions:
                db.session.add(Condition(advance_id=advance.id, text=text))
        move(advance, MOVE_OF[decision], user, now, item.comment)
        notify(
            [*sme_managers(advance.organisation_id, active_only=True), advance.case_officer],
            "advance_decided",
            lambda advance=advance, decision=decision: _(
                "Committee decision on advance %(ref)s: %(decision)s",
                ref=advance.ref,
                decision=decision_label(decision),
            ),
            internal_url("advances.show_advance", advance_id=advance.id),
            now,
        )
    db.session.flush()


def decision_label(decision: str) -> str:
    return {
        Decision.APPROVED: _("approved"),
        Decision.APPROVED_WITH_CONDITIONS: _("approved with conditions"),
        Decision.ADJOURNED: _("adjourned"),
        Decision.REFUSED: _("refused"),
    }[decision]


def lift_condition(user: User, condition: Condition, now: datetime) -> None:
    if not is_officer(user, condition.advance.fund):
        raise NotAllowed(_l("Only the fund's coordinators lift conditions."))
    if condition.lifted_at is None:
        condition.lifted_at = now
        condition.lifted_by_id = user.id


def close_session(user: User, session: CommitteeSession, now: datetime) -> None:
    """The minutes are final once the session is closed: every dossier must be decided."""
    if not can_run(user, session.committee):
        raise NotAllowed(_l("Only the fund's coordinators run the committee."))
    if any(item.decision is None for item in session.items):
        raise InvalidTransition(_l("Decide every dossier before closing the session."))
    session.closed_at = now
