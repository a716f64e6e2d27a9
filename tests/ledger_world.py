"""Approved missions with sessions in every state, to feed the ledger."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.extensions import db
from marketplace.missions.decisions import approve
from marketplace.missions.models import Mission, MissionSession
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.units import DAY, HALF, half_days_for


def approved_mission(
    coordinator: User,
    ref: str,
    need_id: int,
    offer: Offer,
    convention_id: int,
    sessions: list[tuple[date, int, str]],
    starts_on: date | None = None,
    ends_on: date | None = None,
    days: float | None = None,
) -> Mission:
    """A mission approved by the coordinator, with its sessions (date, minutes, status) as
    given; its days are those of the sessions not cancelled (rounded up to a half day)
    unless given.

    Inside an app context; the caller commits."""
    mission = Mission(
        ref=ref,
        need_id=need_id,
        offer_id=offer.id,
        convention_id=convention_id,
        group_id=offer.organisation_id,
        days=days
        or max(0.5, half_days_for(sum(m for _, m, status in sessions if status != "cancelled"))),
        starts_on=starts_on or min(s[0] for s in sessions),
        ends_on=ends_on or max(s[0] for s in sessions),
        status="agreed",
        approved_minutes=0,
        override_minutes=0,
        override_group_minutes=0,
        minutes_logged=0,
    )
    db.session.add(mission)
    db.session.flush()
    approve(coordinator, mission, datetime.now(UTC))
    db.session.add_all(
        MissionSession(mission_id=mission.id, held_on=on, minutes=m, status=status)
        for on, m, status in sessions
    )
    return mission


def partner_group(
    world, name: str, committed: float, expert_email: str, offer_ref: str, offer_days: float
) -> tuple[Organisation, Offer]:
    """A second partner group of the world's convention, with an expert and an open offer in
    the same window as the world's offer. Inside an app context; the caller commits."""
    template = db.session.get(Offer, world.offer_id)
    group = Organisation(kind="group", name=name, postcode="54000", commune="Nancy")
    db.session.add(group)
    db.session.flush()
    db.session.add(
        ConventionGroup(
            convention_id=world.convention_id,
            organisation_id=group.id,
            committed_minutes=round(committed * DAY),
        )
    )
    expert = User(
        email=expert_email,
        name=f"Expert {name}",
        role="volunteer",
        organisation_id=group.id,
        is_active_account=True,
    )
    db.session.add(expert)
    db.session.flush()
    offer = Offer(
        ref=offer_ref,
        organisation_id=group.id,
        expert_id=expert.id,
        title="Export",
        days=offer_days,
        postcode="54000",
        commune="Nancy",
        max_km=80,
        status="open",
        minutes=round(offer_days * DAY),
        minutes_reserved=0,
        minutes_delivered=0,
        starts_on=template.starts_on,
        ends_on=template.ends_on,
    )
    db.session.add(offer)
    db.session.flush()
    return group, offer


def matched_need(world, ref: str, sme_id: int, title: str, category: str | None) -> Need:
    """A need of this SME already paired, in the window of the world's offer. Inside an app
    context; the caller commits."""
    template = db.session.get(Offer, world.offer_id)
    need = Need(
        ref=ref,
        organisation_id=sme_id,
        title=title,
        category=category,
        days=10,
        postcode="54200",
        commune="Toul",
        status="matched",
        starts_on=template.starts_on,
        ends_on=template.ends_on,
    )
    db.session.add(need)
    db.session.flush()
    return need


def run_ledger(runner, today: date) -> dict:
    """The ledger job through the command line, as the scheduler would run it that day."""
    result = runner.invoke(
        args=["jobs", "run", "log-delivered-days", "--today", today.isoformat(), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def mission_with_sessions(
    app, world, sessions: list[tuple[date, int, str]], need_index: int = 0
) -> int:
    """An approved mission on the world's need, with sessions (date, minutes, status) as
    given."""
    with app.app_context():
        need = db.session.get(Need, world.need_ids[need_index])
        mission = approved_mission(
            db.session.get(User, world.people["coordinator"].id),
            f"M-L{need.id}",
            need.id,
            db.session.get(Offer, world.offer_id),
            world.convention_id,
            sessions,
            days=half_days_for(sum(m for _, m, _ in sessions)) or 1,
        )
        db.session.commit()
        return mission.id


_calls = [0]


def many_sessions(app, world, count: int, on: date, per_mission: int = 40) -> None:
    """`count` confirmed half-day sessions (210 minutes) spread over approved missions (bulk
    insert)."""

    _calls[0] += 1
    tag = _calls[0]  # refs stay unique when this is called several times
    with app.app_context():
        offer = db.session.get(Offer, world.offer_id)
        convention = db.session.get(Convention, world.convention_id)
        template = db.session.get(Need, world.need_ids[0])
        missions = -(-count // per_mission)
        needs = [
            {
                "ref": f"N-M{tag}-{i}",
                "organisation_id": template.organisation_id,
                "title": "x",
                "days": per_mission * 0.5,
                "postcode": "54200",
                "commune": "Toul",
                "starts_on": on,
                "ends_on": on,
                "status": "matched",
                "is_remote_ok": False,
                "description": "",
                "skills": "",
                "search_text": "",
                "commune_key": "toul",
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            }
            for i in range(missions)
        ]
        db.session.execute(Need.__table__.insert(), needs)
        need_ids = db.session.scalars(
            select(Need.id).where(Need.ref.like(f"N-M{tag}-%")).order_by(Need.id)
        ).all()
        # One offer per mission: an offer holds at most 60 days.
        now = datetime.now(UTC)
        db.session.execute(
            Offer.__table__.insert(),
            [
                {
                    "ref": f"O-M{tag}-{i}",
                    "organisation_id": offer.organisation_id,
                    "expert_id": offer.expert_id,
                    "title": "x",
                    "description": "",
                    "skills": "",
                    "days": per_mission * 0.5,
                    "minutes": per_mission * HALF,
                    "minutes_reserved": per_mission * HALF,
                    "minutes_delivered": 0,
                    "postcode": "54000",
                    "commune": "Nancy",
                    "commune_key": "nancy",
                    "max_km": 50,
                    "is_remote_ok": False,
                    "starts_on": on,
                    "ends_on": on,
                    "status": "open",
                    "search_text": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(missions)
            ],
        )
        offer_ids = db.session.scalars(
            select(Offer.id).where(Offer.ref.like(f"O-M{tag}-%")).order_by(Offer.id)
        ).all()
        db.session.execute(
            Mission.__table__.insert(),
            [
                {
                    "ref": f"M-M{tag}-{i}",
                    "need_id": need_id,
                    "offer_id": offer_ids[i],
                    "convention_id": convention.id,
                    "group_id": offer.organisation_id,
                    "days": per_mission * 0.5,
                    "approved_minutes": per_mission * HALF,
                    "override_minutes": 0,
                    "override_group_minutes": 0,
                    "minutes_logged": 0,
                    "starts_on": on,
                    "ends_on": on,
                    "status": "in_progress",
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
                for i, need_id in enumerate(need_ids)
            ],
        )
        mission_ids = db.session.scalars(
            select(Mission.id).where(Mission.ref.like(f"M-M{tag}-%")).order_by(Mission.id)
        ).all()
        rows = [
            {
                "mission_id": mission_ids[i // per_mission],
                "held_on": on,
                "minutes": HALF,
                "status": "confirmed",
                "is_remote": False,
                "is_logged": False,
                "created_at": datetime.now(UTC),
            }
            for i in range(count)
        ]
        for start in range(0, len(rows), 5000):
            db.session.execute(MissionSession.__table__.insert(), rows[start : start + 5000])
        # What approving these missions would have reserved.
        reserved = len(mission_ids) * per_mission * HALF
        convention.minutes_reserved += reserved
        group = db.session.scalar(
            select(ConventionGroup).where(ConventionGroup.convention_id == convention.id)
        )
        group.minutes_reserved += reserved
        db.session.commit()
        assert count * HALF <= reserved
