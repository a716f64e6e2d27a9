"""`match propose` and `match evaluate` through the CLI, on a real database."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.matching.models import Proposal
from tests.conftest import csrf_from
from tests.test_import import DEV


def _import_dev(runner):
    runner.invoke(
        args=["demo", "load", "--no-history"]
    )  # the demo communes locate the rows without lat/lon
    for kind in ("needs", "offers"):
        result = runner.invoke(args=["import", kind, str(DEV / f"{kind}.csv")])
        assert result.exit_code == 0, result.output


def test_propose_json_contract_and_stored_proposals(runner, app):
    _import_dev(runner)
    result = runner.invoke(args=["match", "propose", "--top", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and set(rows[0]) == {"need", "offer", "rank", "score", "reasons"}
    by_need: dict[str, list[dict]] = {}
    for row in rows:
        by_need.setdefault(row["need"], []).append(row)
        assert 0 <= row["score"] <= 100
        assert row["reasons"]["text"]
    for ranked in by_need.values():
        assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
        assert len(ranked) <= 3
        assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    assert "N-2033" not in by_need  # sign language: nothing relevant, nothing proposed
    assert "N-2036" not in by_need  # press relations: the hydraulic press is a false friend
    with app.app_context():
        assert db.session.scalar(select(func.count(Proposal.id))) == len(rows)
    again = runner.invoke(args=["match", "propose", "--format", "json"])
    with app.app_context():
        assert db.session.scalar(select(func.count(Proposal.id))) == len(json.loads(again.stdout))


def test_min_score_option_and_table_format(runner):
    _import_dev(runner)
    high = json.loads(
        runner.invoke(args=["match", "propose", "--min-score", "90", "--format", "json"]).output
    )
    assert all(r["score"] >= 90 for r in high)
    table = runner.invoke(args=["match", "propose"]).output
    assert "Compétences communes" in table and "proposal(s) for" in table
    bad = runner.invoke(args=["match", "propose", "--min-score", "120"])
    assert bad.exit_code != 0


def test_evaluate_on_the_dev_set_reaches_the_targets(runner, app):
    result = runner.invoke(args=["match", "evaluate", str(DEV), "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["recall_at_5"] >= 0.95
    assert figures["mrr"] >= 0.85
    assert figures["precision_at_1"] >= 0.80
    assert figures["relevant_share"] >= 0.60
    assert figures["violations"] == 0
    assert figures["no_match_proposed_share"] <= 0.10
    assert figures["abstention_auc"] >= 0.9  # the best score tells fit from no fit
    assert set(figures["by_language"]) == {"en-en", "en-fr", "fr-en", "fr-fr"}
    assert sum(v["needs"] for v in figures["by_language"].values()) == 25
    text = runner.invoke(args=["match", "evaluate", str(DEV)]).output
    assert "recall@5" in text and "hard-constraint violations" in text


def test_evaluate_needs_the_three_files(runner, tmp_path):
    result = runner.invoke(args=["match", "evaluate", str(tmp_path)])
    assert result.exit_code != 0
    assert "needs.csv is missing" in result.output


def test_publishing_computes_proposals_shown_to_each_side(runner, app, client, factory):
    from datetime import date, timedelta

    from marketplace.accounts.models import Organisation
    from marketplace.needs.models import Need
    from marketplace.offers.models import Offer
    from tests.conftest import login

    runner.invoke(args=["demo", "load", "--no-history"])
    manager = factory.user(role="sme_manager")
    expert = factory.user(role="volunteer")
    with app.app_context():
        toul = db.session.get(Organisation, manager.organisation_id)
        today = date.today()
        window = dict(starts_on=today, ends_on=today + timedelta(days=90))
        db.session.add(
            Offer(
                ref="O-T1",
                organisation_id=expert.organisation_id,
                expert_id=expert.id,
                title="Droit du travail : CDD et avenants",
                skills="droit du travail;CDD",
                days=3,
                postcode="54000",
                commune="Nancy",
                lat=48.6902,
                lon=6.17588,
                max_km=60,
                status="open",
                minutes=3 * 420,
                minutes_reserved=0,
                minutes_delivered=0,
                **window,
            )
        )
        need = Need(
            ref="N-T1",
            organisation_id=toul.id,
            title="Nos CDD sont-ils conformes ?",
            skills="CDD",
            days=1,
            postcode="54200",
            commune="Toul",
            lat=48.68655,
            lon=5.89508,
            status="draft",
            **window,
        )
        db.session.add(need)
        db.session.commit()
        need_id = need.id
    login(client, manager.email, factory.password)
    client.post(f"/needs/{need_id}/publish", data={"csrf_token": csrf_from(client, "/")})
    with app.app_context():
        proposals = db.session.scalars(select(Proposal).where(Proposal.need_id == need_id)).all()
        assert [(p.need.ref, p.offer.ref) for p in proposals] == [("N-T1", "O-T1")]
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "Droit du travail : CDD et avenants" in page and "Compétences communes" in page
    assert "Nos CDD sont-ils conformes" in client.get("/proposals").get_data(as_text=True)
    other = app.test_client()
    login(other, expert.email, factory.password)
    assert "Nos CDD sont-ils conformes" in other.get("/proposals").get_data(as_text=True)
    stranger = app.test_client()
    login(stranger, factory.user(role="sme_manager").email, factory.password)
    assert "Nos CDD sont-ils conformes" not in stranger.get("/proposals").get_data(as_text=True)
    client.post(f"/needs/{need_id}/close", data={"csrf_token": csrf_from(client, "/")})
    with app.app_context():
        assert not db.session.scalar(
            select(func.count(Proposal.id)).where(Proposal.need_id == need_id)
        )


def test_coordinator_runs_the_matching_on_demand(runner, app, client, login_as):
    _import_dev(runner)
    login_as("coordinator")
    response = client.post(
        "/proposals/refresh", data={"csrf_token": csrf_from(client, "/proposals")}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Proposal.id))) >= 25  # a fit for 25 needs


def test_assign_respects_capacity_and_quota(runner, app):
    _import_dev(runner)
    free = json.loads(runner.invoke(args=["match", "assign", "--format", "json"]).stdout)
    assert free["pairings"] and free["quota"] is None
    needs = [p["need"] for p in free["pairings"]]
    assert len(needs) == len(set(needs))
    limited = json.loads(
        runner.invoke(args=["match", "assign", "--quota", "5", "--format", "json"]).stdout
    )
    assert limited["days"] <= 5
    from marketplace.offers.models import Offer

    with app.app_context():
        capacity = {o.ref: o.days_remaining for o in db.session.scalars(select(Offer))}
    for offer in {p["offer"] for p in free["pairings"]}:
        assert sum(p["days"] for p in free["pairings"] if p["offer"] == offer) <= capacity[offer]
    with app.app_context():
        from marketplace.conventions.models import Convention

        convention_id = db.session.scalar(select(Convention.id))
    scoped = runner.invoke(args=["match", "assign", "--convention", str(convention_id)])
    assert scoped.exit_code == 0 and "quota 150 d" in scoped.stdout
    assert runner.invoke(args=["match", "assign", "--convention", "999"]).exit_code != 0


def test_assignment_page_for_coordinators(runner, client, app):
    from marketplace.demo import ACCOUNTS
    from tests.conftest import login

    _import_dev(runner)
    coordinator = next(a for a in ACCOUNTS if a.role == "coordinator")
    login(client, coordinator.email, coordinator.password)
    page = client.get("/proposals/assignment").get_data(as_text=True)
    assert "Alizé Terres de Lorraine 2025-2027" in page
    assert "sur un quota de 150" in page
