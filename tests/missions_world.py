"""A small programme to run missions in: one convention, one SME, one group, people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.accounts.models import Organisation, User
from marketplace.conventions.models import Convention, ConventionGroup, Territory
from marketplace.extensions import db
from marketplace.matching.models import Proposal
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.conftest import csrf_from, login
from tests.units import DAY

TODAY = date.today()
KEY_RE = re.compile(r'name="form_key" value="([^"]+)"')


@dataclass
class World:
    convention_id: int
    need_ids: list[int]
    offer_id: int
    proposal_ids: list[int]
    people: dict[str, User]


def build_world(
    app, factory, quota=100.0, committed=50.0, needs=1, need_days=2.0, offer_days=10.0
) -> World:
    with app.app_context():
        territory = Territory(
            name=f"T{factory_counter()}", departement="54", centre_lat=48.7, centre_lon=5.9
        )
        db.session.add(territory)
        db.session.flush()
        sme = Organisation(
            kind="sme",
            name=f"PME {territory.name}",
            postcode="54200",
            commune="Toul",
            lat=48.68,
            lon=5.89,
            territory_id=territory.id,
        )
        group = Organisation(
            kind="group",
            name=f"Groupe {territory.name}",
            postcode="54000",
            commune="Nancy",
            lat=48.69,
            lon=6.17,
        )
        operator = Organisation(
            kind="operator",
            name=f"Op {territory.name}",
            postcode="54200",
            commune="Toul",
            territory_id=territory.id,
        )
        db.session.add_all([sme, group, operator])
        db.session.flush()
        convention = Convention(
            name=f"Convention {territory.name}",
            territory_id=territory.id,
            starts_on=date(2025, 1, 1),
            ends_on=date(2027, 12, 31),
            quota_minutes=round(quota * DAY),
            status="active",
        )
        convention.partners.append(
            ConventionGroup(organisation_id=group.id, committed_minutes=round(committed * DAY))
        )
        db.session.add(convention)
        db.session.commit()
        ids = {"sme": sme.id, "group": group.id, "operator": operator.id}
        convention_id = convention.id
        territory_id = territory.id
    people = {
        "sme_manager": factory.user(role="sme_manager", organisation=get_org(app, ids["sme"])),
        "volunteer": factory.user(role="volunteer", organisation=get_org(app, ids["group"])),
        "group_referent": factory.user(
            role="group_referent", organisation=get_org(app, ids["group"])
        ),
        "admin": factory.user(role="admin"),
    }
    with app.app_context():
        coordinator = User(
            email=f"coord{territory_id}@test.example",
            name="Coord",
            role="coordinator",
            organisation_id=ids["operator"],
            is_active_account=True,
            password_hash=db.session.get(User, people["admin"].id).password_hash,
        )
        db.session.add(coordinator)
        db.session.flush()
        convention = db.session.get(Convention, convention_id)
        convention.coordinators.append(coordinator)
        window = dict(starts_on=TODAY - timedelta(days=30), ends_on=TODAY + timedelta(days=120))
        offer = Offer(
            ref=f"O-W{territory_id}",
            organisation_id=ids["group"],
            expert_id=people["volunteer"].id,
            title="Droit du travail",
            days=offer_days,
            postcode="54000",
            commune="Nancy",
            lat=48.69,
            lon=6.17,
            max_km=80,
            status="open",
            minutes=round(offer_days * DAY),
            minutes_reserved=0,
            minutes_delivered=0,
            **window,
        )
        db.session.add(offer)
        need_ids, proposal_ids = [], []
        for n in range(needs):
            need = Need(
                ref=f"N-W{territory_id}-{n}",
                organisation_id=ids["sme"],
                title=f"Contrats {n}",
                days=need_days,
                postcode="54200",
                commune="Toul",
                lat=48.68,
                lon=5.89,
                status="open",
                **window,
            )
            db.session.add(need)
            db.session.flush()
            proposal = Proposal(
                need_id=need.id,
                offer_id=offer.id,
                score=80,
                rank=1,
                reasons={
                    "shared": [],
                    "distance_km": 20,
                    "remote": False,
                    "window": [TODAY.isoformat(), TODAY.isoformat()],
                },
                status="proposed",
            )
            db.session.add(proposal)
            db.session.flush()
            need_ids.append(need.id)
            proposal_ids.append(proposal.id)
        db.session.commit()
        db.session.refresh(coordinator)
        db.session.expunge(coordinator)
        people["coordinator"] = coordinator
        return World(convention_id, need_ids, offer.id, proposal_ids, people)


_count = [0]


def factory_counter() -> int:
    _count[0] += 1
    return _count[0]


def get_org(app, org_id):
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        db.session.expunge(org)
        return org


def as_client(app, user, password):
    client = app.test_client()
    response = login(client, user.email, password)
    assert response.status_code == 302
    return client


def submit(client, path: str, data: dict | None = None, page: str = "/missions"):
    """POST like the mission page does: CSRF token and a fresh one-time form key."""
    html = client.get(page).get_data(as_text=True)
    key = KEY_RE.search(html)
    form_key = key.group(1) if key else f"k{factory_counter()}-{id(client)}"
    token = csrf_from(client, page)
    return client.post(path, data={"csrf_token": token, "form_key": form_key, **(data or {})})


def read_books(app, world, read):
    """`read(convention, partner group, offer)` of the world, inside an app context."""
    from sqlalchemy import select

    with app.app_context():
        convention = db.session.get(Convention, world.convention_id)
        group = db.session.scalar(
            select(ConventionGroup).where(ConventionGroup.convention_id == world.convention_id)
        )
        return read(convention, group, db.session.get(Offer, world.offer_id))
