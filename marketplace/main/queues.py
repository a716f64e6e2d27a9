"""What each person has to do next: the work queue on their home page.

Every item counts what waits for this user, within what they may see (the same visibility
rules as the lists), and links to where it is done. Counts are bounded queries on indexed
columns; an empty queue says what to do next instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from marketplace.accounts.models import User
from marketplace.accounts.roles import Role
from marketplace.advances.models import Advance, AdvanceStatus
from marketplace.advances.services import visible_advances
from marketplace.extensions import db
from marketplace.jobs.models import JobRun, JobStatus
from marketplace.listings.models import ListingStatus
from marketplace.listings.visibility import visible_needs, visible_offers
from marketplace.matching.models import OPEN_PROPOSAL_STATUSES, Proposal, ProposalStatus
from marketplace.missions.access import visible_missions
from marketplace.missions.models import (
    RESERVING_STATUSES,
    Mission,
    MissionSession,
    MissionStatus,
    SessionStatus,
)
from marketplace.needs.models import Need
from marketplace.offers.models import Offer


@dataclass(frozen=True)
class QueueItem:
    label: str
    count: int
    url: str


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _proposals_waiting(user: User, side: str):
    """Proposals of what the user may see that wait for this side's answer."""
    waiting_for = (
        (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED_BY_EXPERT)
        if side == "sme"
        else (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED_BY_SME)
    )
    if side == "sme":
        mine = visible_needs(user).with_only_columns(Need.id)
        return select(Proposal.id).where(
            Proposal.need_id.in_(mine), Proposal.status.in_(waiting_for)
        )
    mine = visible_offers(user).with_only_columns(Offer.id)
    return select(Proposal.id).where(Proposal.offer_id.in_(mine), Proposal.status.in_(waiting_for))


def _sessions(user: User, *conditions):
    missions = visible_missions(user).with_only_columns(Mission.id)
    return select(MissionSession.id).where(MissionSession.mission_id.in_(missions), *conditions)


def work_queue(user: User, today: date) -> list[QueueItem]:
    """The items waiting for this user, in the order they are best done (empty ones left out)."""
    proposals = url_for("matching.list_proposals")
    missions = url_for("missions.list_missions")
    items: list[tuple] = []
    if user.role == Role.SME_MANAGER:
        items = [
            (_l("Proposals to answer"), _proposals_waiting(user, "sme"), proposals),
            (
                _l("Sessions to confirm"),
                _sessions(user, MissionSession.status == SessionStatus.DELIVERED),
                missions,
            ),
            (
                _l("Missions to rate"),
                visible_missions(user)
                .with_only_columns(Mission.id)
                .where(
                    Mission.status.in_((MissionStatus.DELIVERED, MissionStatus.CLOSED)),
                    Mission.rating.is_(None),
                ),
                missions,
            ),
            (
                _l("Advance applications to complete and submit"),
                visible_advances(user)
                .with_only_columns(Advance.id)
                .where(Advance.status == AdvanceStatus.DRAFT),
                url_for("advances.list_advances", status=AdvanceStatus.DRAFT.value),
            ),
            (
                _l("Drafts to publish"),
                visible_needs(user)
                .with_only_columns(Need.id)
                .where(Need.status == ListingStatus.DRAFT),
                url_for("needs.list_needs", status="draft"),
            ),
        ]
    elif user.role in (Role.VOLUNTEER, Role.GROUP_REFERENT):
        items = [
            (_l("Proposals to answer"), _proposals_waiting(user, "expert"), proposals),
            (
                _l("Sessions to declare (held or not)"),
                _sessions(
                    user,
                    MissionSession.status == SessionStatus.PLANNED,
                    MissionSession.held_on <= today,
                ),
                missions,
            ),
            (
                _l("Approved missions with no session planned"),
                visible_missions(user)
                .with_only_columns(Mission.id)
                .where(
                    Mission.status == MissionStatus.APPROVED,
                    ~exists().where(MissionSession.mission_id == Mission.id),
                ),
                missions,
            ),
        ]
    else:
        open_needs = visible_needs(user).with_only_columns(Need.id)
        items = [
            (
                _l("Missions to approve"),
                visible_missions(user)
                .with_only_columns(Mission.id)
                .where(Mission.status == MissionStatus.AGREED),
                url_for("missions.list_missions", status=MissionStatus.AGREED.value),
            ),
            (
                _l("Disputed sessions to settle"),
                _sessions(user, MissionSession.status == SessionStatus.DISPUTED),
                missions,
            ),
            (
                _l("Sessions waiting for the SME's confirmation"),
                _sessions(user, MissionSession.status == SessionStatus.DELIVERED),
                missions,
            ),
            (
                _l("Open needs without any proposal"),
                open_needs.where(
                    Need.status == ListingStatus.OPEN,
                    ~exists().where(
                        Proposal.need_id == Need.id, Proposal.status.in_(OPEN_PROPOSAL_STATUSES)
                    ),
                ),
                url_for("needs.list_needs", status="open"),
            ),
            (
                _l("Missions running without a session to come"),
                visible_missions(user)
                .with_only_columns(Mission.id)
                .where(
                    Mission.status.in_(RESERVING_STATUSES),
                    ~exists().where(
                        MissionSession.mission_id == Mission.id,
                        MissionSession.status == SessionStatus.PLANNED,
                    ),
                ),
                missions,
            ),
            (
                _l("Advance dossiers waiting for a committee"),
                visible_advances(user)
                .with_only_columns(Advance.id)
                .where(Advance.status.in_((AdvanceStatus.SUBMITTED, AdvanceStatus.ADJOURNED))),
                url_for("advances.list_advances", status=AdvanceStatus.SUBMITTED.value),
            ),
            (
                _l("Advances in arrears"),
                visible_advances(user)
                .with_only_columns(Advance.id)
                .where(Advance.status == AdvanceStatus.IN_ARREARS),
                url_for("advances.list_advances", status=AdvanceStatus.IN_ARREARS.value),
            ),
            (
                _l("Scheduled jobs that failed or were interrupted"),
                select(JobRun.id).where(
                    JobRun.status.in_((JobStatus.FAILED, JobStatus.INTERRUPTED)),
                    JobRun.period_on >= today.replace(day=1),
                ),
                url_for("main.home") + "#jobs",
            ),
        ]
    queue = []
    for label, query, url in items:
        count = _count(query)
        if count:
            queue.append(QueueItem(str(label), count, url))
    return queue
