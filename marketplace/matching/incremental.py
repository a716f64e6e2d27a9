"""Keeping proposals in step with the market, one listing at a time.

A need or an offer published, edited or withdrawn re-matches only what it touches. On a
small market (at most MATCH_IN_REQUEST_OFFERS open offers) that happens in the request;
on a large one the request stores the listing's vector and queues it, and the
`match-queue` job (every minute, in the scheduler) does the matching.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select

from marketplace.extensions import db
from marketplace.listings.models import ListingStatus
from marketplace.listings.signals import need_changed, offer_changed
from marketplace.matching.embeddings import current_vectors
from marketplace.matching.models import MatchingRequest, Proposal, ProposalStatus
from marketplace.matching.scoring import DEFAULT_MIN_SCORE
from marketplace.matching.services import (
    REQUEST_FILL_LIMIT,
    compute,
    open_needs,
    refresh_proposals,
)
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.sql import upsert


def connect_signals() -> None:
    """Listen to the listings' events: a need or an offer changed, proposals follow."""
    need_changed.connect(after_need_change)
    offer_changed.connect(after_offer_change)


def _unanswered(condition) -> tuple:
    """The proposals still waiting for both answers, among those `condition` selects."""
    return (condition, Proposal.status == ProposalStatus.PROPOSED)


def market_is_small() -> bool:
    """Few enough open offers to match a published listing inside its request."""
    limit = current_app.config.get("MATCH_IN_REQUEST_OFFERS", 2000)
    bounded = select(Offer.id).where(Offer.status == ListingStatus.OPEN).limit(limit + 1)
    return db.session.scalar(select(func.count()).select_from(bounded.subquery())) <= limit


def request_matching(listing: Need | Offer, now: datetime) -> None:
    """Queue a listing for the match-queue job (once: a second request refreshes the date)."""
    column = "need_id" if isinstance(listing, Need) else "offer_id"
    statement = upsert(MatchingRequest.__table__).values({column: listing.id, "requested_at": now})
    db.session.execute(
        statement.on_conflict_do_update(index_elements=[column], set_={"requested_at": now})
    )


def matching_requested() -> bool:
    """Anything waiting for the match-queue job."""
    return db.session.scalar(select(MatchingRequest.id).limit(1)) is not None


def is_queued(listing: Need | Offer) -> bool:
    """Waiting for the match-queue job (published on a large market)."""
    column = MatchingRequest.need_id if isinstance(listing, Need) else MatchingRequest.offer_id
    return db.session.scalar(select(MatchingRequest.id).where(column == listing.id)) is not None


def after_need_change(need: Need, now: datetime) -> None:
    """A need was published or edited: its proposals are computed again (in the request on
    a small market; on a large one its vector now, its proposals by the match-queue job)."""
    if need.status != ListingStatus.OPEN:
        db.session.execute(delete(Proposal).where(*_unanswered(Proposal.need_id == need.id)))
    elif market_is_small():
        rematch_need(need, now, fill_limit=REQUEST_FILL_LIMIT)
    else:
        current_vectors([need])
        request_matching(need, now)


def rematch_need(need: Need, now: datetime, fill_limit: int | None = None) -> None:
    refresh_proposals(now, need_ids=[need.id], fill_limit=fill_limit)


def after_offer_change(offer: Offer, now: datetime) -> None:
    """An offer was published, edited or withdrawn: the needs it enters or leaves are
    matched again (in the request on a small market, by the match-queue job otherwise).

    A withdrawn offer leaves the proposals at once, whatever the market's size; on a large
    market the needs it was proposed to are queued to find their next offers.
    """
    if market_is_small():
        rematch_offer(offer, now, fill_limit=REQUEST_FILL_LIMIT)
    elif offer.status == ListingStatus.OPEN:
        current_vectors([offer])
        request_matching(offer, now)
    else:
        proposed = _unanswered(Proposal.offer_id == offer.id)
        for need in db.session.scalars(
            select(Need).where(Need.id.in_(select(Proposal.need_id).where(*proposed)))
        ):
            request_matching(need, now)
        db.session.execute(delete(Proposal).where(*proposed))


def rematch_offer(offer: Offer, now: datetime, fill_limit: int | None = None) -> None:
    """Only the needs the offer enters or leaves are matched again: a pair's score depends
    on that pair alone, so no other need's proposals can move."""
    proposed = _unanswered(Proposal.offer_id == offer.id)
    had = set(db.session.scalars(select(Proposal.need_id).where(*proposed)))
    enters: set[int] = set()
    if offer.status == ListingStatus.OPEN and offer.days_remaining > 0:
        needs = open_needs()
        min_score = current_app.config.get("MATCH_MIN_SCORE", DEFAULT_MIN_SCORE)
        found = compute(needs, [offer], top=1, min_score=min_score, fill_limit=fill_limit)
        enters = {n.id for n in needs if found.get(n.ref)}
    else:
        db.session.execute(delete(Proposal).where(*proposed))
    if had | enters:
        refresh_proposals(now, need_ids=sorted(had | enters), fill_limit=fill_limit)


def run_matching_requests(now: datetime, batch: int = 200) -> dict:
    """The match-queue job: match the listings queued by requests on a large market.

    A request queued again while it was being matched keeps its row (its date moved on)
    and is matched on the next run.
    """
    requests = list(
        db.session.scalars(select(MatchingRequest).order_by(MatchingRequest.id).limit(batch))
    )
    offers = [db.session.get(Offer, r.offer_id) for r in requests if r.offer_id]
    need_ids = [r.need_id for r in requests if r.need_id]
    for offer in offers:
        rematch_offer(offer, now)
    if need_ids:
        refresh_proposals(now, need_ids=need_ids)
    for done in requests:
        db.session.execute(
            delete(MatchingRequest).where(
                MatchingRequest.id == done.id, MatchingRequest.requested_at <= done.requested_at
            )
        )
    return {"needs": len(need_ids), "offers": len(offers)}
