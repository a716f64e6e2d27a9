"""Running the matcher on the database and keeping Proposal rows up to date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import sme_managers
from marketplace.extensions import db
from marketplace.listings.models import ListingStatus
from marketplace.listings.visibility import visible_needs, visible_offers
from marketplace.matching.assignment import assign_greedy
from marketplace.matching.embeddings import current_vectors
from marketplace.matching.models import (
    OPEN_PROPOSAL_STATUSES,
    Proposal,
    ProposalStatus,
)
from marketplace.matching.scoring import DEFAULT_MIN_SCORE, Match, NeedData, OfferData, match_all
from marketplace.needs.models import Need
from marketplace.notifications.services import notify, notify_many, once
from marketplace.offers.models import Offer
from marketplace.urls import internal_url

# In a request, at most this many vectors are computed beside the listing's own (after a
# model change the rest waits for the refresh-proposals job or `match embed`).
REQUEST_FILL_LIMIT = 64
# A proposal unanswered this long is recalled to whoever has not answered.
PROPOSAL_WAIT = timedelta(days=5)


def need_data(need: Need, vector=None) -> NeedData:
    return NeedData(
        ref=need.ref,
        title=need.title,
        description=need.description or "",
        skills=need.skills or "",
        category=need.category,
        days=need.days,
        lat=need.lat,
        lon=need.lon,
        remote_ok=need.is_remote_ok,
        earliest=need.starts_on,
        latest=need.ends_on,
        vector=vector,
    )


def offer_data(offer: Offer, vector=None) -> OfferData:
    return OfferData(
        ref=offer.ref,
        title=offer.title,
        description=offer.description or "",
        skills=offer.skills or "",
        category=offer.category,
        days_remaining=offer.days_remaining,
        lat=offer.lat,
        lon=offer.lon,
        max_km=offer.max_km,
        remote_ok=offer.is_remote_ok,
        available_from=offer.starts_on,
        available_until=offer.ends_on,
        vector=vector,
    )


def open_needs(need_ids: list[int] | None = None) -> list[Need]:
    query = select(Need).where(Need.status == ListingStatus.OPEN)
    if need_ids is not None:
        query = query.where(Need.id.in_(need_ids))
    return list(db.session.scalars(query.order_by(Need.ref)))


def open_offers() -> list[Offer]:
    query = select(Offer).where(
        Offer.status == ListingStatus.OPEN,
        Offer.minutes_reserved + Offer.minutes_delivered < Offer.minutes,
    )
    return list(db.session.scalars(query.order_by(Offer.ref)))


def compute(
    needs: list[Need],
    offers: list[Offer],
    *,
    top: int = 5,
    min_score: float = DEFAULT_MIN_SCORE,
    lang: str = "fr",
    fill_limit: int | None = None,
) -> dict[str, list[Match]]:
    """The matcher's answer for these needs against these offers (proposals not stored).

    Vectors missing or stale are computed and stored first, the others read back; with
    `fill_limit` (a request), a side missing more than that many is left to the job.
    """
    need_vectors = current_vectors(needs, fill_limit)
    offer_vectors = current_vectors(offers, fill_limit)
    return match_all(
        [need_data(n, need_vectors[n.id]) for n in needs if n.id in need_vectors],
        [offer_data(o, offer_vectors[o.id]) for o in offers if o.id in offer_vectors],
        top=top,
        min_score=min_score,
        lang=lang,
    )


def store_proposals(
    needs: list[Need], offers: list[Offer], results: dict[str, list[Match]], now: datetime
) -> int:
    """Replace the still-unanswered proposals of these needs by the new results, in bulk
    statements (one DELETE, one multi-row INSERT); returns how many were stored.

    Proposals someone already acted on (accepted, declined, agreed) are kept as they are;
    a pairing that is no longer proposed disappears; a new one is notified.
    """
    need_by_ref = {n.ref: n for n in needs}
    offer_by_ref = {o.ref: o for o in offers}
    need_ids = [n.id for n in needs]
    pairs = select(Proposal.need_id, Proposal.offer_id, Proposal.status).where(
        Proposal.need_id.in_(need_ids)
    )
    answered, before = set(), set()
    for need_id, offer_id, status in db.session.execute(pairs):
        (before if status == ProposalStatus.PROPOSED else answered).add((need_id, offer_id))
    db.session.execute(
        delete(Proposal).where(
            Proposal.need_id.in_(need_ids), Proposal.status == ProposalStatus.PROPOSED
        )
    )
    rows, news = [], []
    for need_ref, matches in results.items():
        need = need_by_ref[need_ref]
        for match in matches:
            offer = offer_by_ref[match.offer_ref]
            if (need.id, offer.id) in answered:
                continue
            rows.append(
                {
                    "need_id": need.id,
                    "offer_id": offer.id,
                    "score": match.score,
                    "rank": match.rank,
                    "reasons": match.reasons,
                    "status": ProposalStatus.PROPOSED,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if (need.id, offer.id) not in before:
                news.append((need, offer))
    if rows:
        db.session.execute(insert(Proposal), rows)
    _tell_about(news, now)
    db.session.flush()
    return len(rows)


def _tell_about(pairs: list[tuple[Need, Offer]], now: datetime) -> None:
    """New pairings: the SMEs' managers and the experts hear of them (the bell, then mail).
    Each SME's managers and each expert are read once, the notifications written at once."""
    if not pairs:
        return
    managers: dict[int, list] = {}
    wanted = {offer.expert_id for _, offer in pairs}
    experts = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(wanted)))
    }
    link = internal_url("matching.list_proposals")
    events = []
    for need, offer in pairs:
        if need.organisation_id not in managers:
            managers[need.organisation_id] = sme_managers(need.organisation_id, active_only=True)
        message = _l("New proposal: “%(need)s” / “%(offer)s”", need=need.title, offer=offer.title)
        events.append(
            (
                [*managers[need.organisation_id], experts.get(offer.expert_id)],
                "new_proposal",
                message,
                link,
            )
        )
    notify_many(events, now)


def refresh_proposals(
    now: datetime,
    *,
    need_ids: list[int] | None = None,
    top: int | None = None,
    min_score: float | None = None,
    fill_limit: int | None = None,
) -> dict[str, list[Match]]:
    """Match open needs (all, or these) against open offers and store the proposals.

    Without explicit values, `top` and `min_score` come from the configuration
    (MATCH_TOP, MATCH_MIN_SCORE). `fill_limit`: see compute().
    """
    top = top if top is not None else current_app.config.get("MATCH_TOP", 5)
    if min_score is None:
        min_score = current_app.config.get("MATCH_MIN_SCORE", DEFAULT_MIN_SCORE)
    needs = open_needs(need_ids)
    offers = open_offers()
    results = compute(needs, offers, top=top, min_score=min_score, fill_limit=fill_limit)
    store_proposals(needs, offers, results, now)
    return results


def closest_below_line(need: Need, count: int = 5) -> list[tuple[Offer, Match]]:
    """The feasible offers closest to an open need that the matcher does not propose
    (below MATCH_MIN_SCORE), best first: for coordinators, labelled as not proposed."""
    if need.status != ListingStatus.OPEN:
        return []
    line = current_app.config.get("MATCH_MIN_SCORE", DEFAULT_MIN_SCORE)
    offers = open_offers()
    found = compute([need], offers, top=count + 50, min_score=0.0, fill_limit=REQUEST_FILL_LIMIT)
    by_ref = {o.ref: o for o in offers}
    below = [m for m in found.get(need.ref, []) if m.score < line][:count]
    for m in below:
        m.reasons["proposed"] = False
    return [(by_ref[m.offer_ref], m) for m in below]


def visible_proposals(user, need_query, offer_query):
    """Proposals whose need or offer the user may see, as the role allows."""
    query = (
        select(Proposal)
        .join(Need, Need.id == Proposal.need_id)
        .join(Offer, Offer.id == Proposal.offer_id)
    )
    need_ids = need_query.with_only_columns(Need.id)
    offer_ids = offer_query.with_only_columns(Offer.id)
    if user.role in (Role.VOLUNTEER, Role.GROUP_REFERENT):
        query = query.where(Proposal.offer_id.in_(offer_ids))
    elif user.role != Role.ADMIN:  # an administrator sees every need: no list to build
        query = query.where(Proposal.need_id.in_(need_ids))
    # Declined and stale (expired) proposals are no longer shown.
    query = query.where(Proposal.status.not_in((ProposalStatus.DECLINED, ProposalStatus.EXPIRED)))
    # Need by need (in the order they were created), best first: the index's own order.
    return query.order_by(Proposal.need_id, Proposal.rank, Proposal.id)


def plan_assignment(convention=None, quota_days: float | None = None):
    """The greedy global assignment for a convention (its SMEs, its partner groups, its
    quota) or, without one, for every open need and offer.

    Returns (pairings, needs by ref, offers by ref, quota used for the plan).
    """
    needs = open_needs()
    offers = open_offers()
    if convention is not None:
        territory_smes = set(
            db.session.scalars(
                select(Organisation.id).where(Organisation.territory_id == convention.territory_id)
            )
        )
        partners = {p.organisation_id for p in convention.partners}
        needs = [n for n in needs if n.organisation_id in territory_smes]
        offers = [o for o in offers if o.organisation_id in partners]
        if quota_days is None:
            quota_days = convention.quota_days
    results = compute(needs, offers, top=5)
    pairings = assign_greedy(
        results,
        {n.ref: n.days for n in needs},
        {o.ref: o.days_remaining for o in offers},
        quota_days,
    )
    return pairings, {n.ref: n for n in needs}, {o.ref: o for o in offers}, quota_days


def expire_proposals(today: date, now: datetime) -> int:
    """Unanswered proposals whose need or offer has expired or whose window has passed."""
    stale_needs = select(Need.id).where(
        or_(Need.ends_on < today, Need.status == ListingStatus.EXPIRED)
    )
    stale_offers = select(Offer.id).where(
        or_(Offer.ends_on < today, Offer.status == ListingStatus.EXPIRED)
    )
    expired = db.session.execute(
        update(Proposal)
        .where(
            Proposal.status.in_(OPEN_PROPOSAL_STATUSES),
            or_(Proposal.need_id.in_(stale_needs), Proposal.offer_id.in_(stale_offers)),
        )
        .values(status=ProposalStatus.EXPIRED, updated_at=now)
    ).rowcount
    return expired or 0


def remind_waiting_proposals(today: date, now: datetime) -> int:
    """Recall proposals waiting for an answer for more than PROPOSAL_WAIT, once a day."""
    cutoff = datetime.combine(today - PROPOSAL_WAIT, time.min, tzinfo=now.tzinfo)
    reminded = 0
    with force_locale("fr"):
        for proposal in db.session.scalars(
            select(Proposal).where(
                Proposal.status.in_(OPEN_PROPOSAL_STATUSES), Proposal.created_at < cutoff
            )
        ):
            if not once(f"proposal:{proposal.id}:{today}", today):
                continue
            need, offer = proposal.need, proposal.offer
            waiting = []
            if proposal.status != ProposalStatus.ACCEPTED_BY_SME:
                waiting += sme_managers(need.organisation_id)
            if proposal.status != ProposalStatus.ACCEPTED_BY_EXPERT:
                waiting.append(offer.expert)
            message = _l(
                "A proposal waits for your answer: “%(need)s” / “%(offer)s”",
                need=need.title,
                offer=offer.title,
            )
            notify(
                waiting,
                "reminder_proposal",
                message,
                internal_url("matching.list_proposals"),
                now,
            )
            reminded += 1
    return reminded


# What the proposal lists load with each proposal.
LOAD = (
    joinedload(Proposal.need).joinedload(Need.organisation),
    joinedload(Proposal.offer).joinedload(Offer.expert),
    joinedload(Proposal.offer).joinedload(Offer.organisation),
)


def proposals_for(user, extra=None) -> list[Proposal]:
    """Proposals this user may see (optionally narrowed), with their need and offer loaded."""
    query = visible_proposals(user, visible_needs(user), visible_offers(user))
    if extra is not None:
        query = query.where(extra)
    return list(db.session.scalars(query.options(*LOAD).limit(500)).unique())
