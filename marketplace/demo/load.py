"""Loading the demo data set (`data.py`): two Lorraine territories, one convention, one
account per role, missions and an open market.

Loading is idempotent: each record is looked up by its natural key and created
only when missing; nothing that exists is changed.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace import clock
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import hash_password
from marketplace.conventions.models import Convention, ConventionGroup, Territory
from marketplace.demo.data import (
    ACCOUNTS,
    CONVENTION,
    DEMO_MISSIONS,
    DEMO_NEEDS,
    DEMO_OFFERS,
    ORGANISATIONS,
    TERRITORIES,
)
from marketplace.demo.finance import load_finance
from marketplace.demo.history import load_history
from marketplace.durations import DEFAULT_MINUTES_PER_DAY, days_to_minutes
from marketplace.extensions import db
from marketplace.geo.services import DEMO_COMMUNES, Geocoder, import_communes
from marketplace.listings.services import search_text_for
from marketplace.matching.services import refresh_proposals
from marketplace.missions.agreement import create_mission
from marketplace.missions.decisions import approve
from marketplace.missions.models import Mission, MissionSession
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.textnorm import fold


def _get_or_create(model, key: dict, **fields):
    instance = db.session.scalar(select(model).filter_by(**key))
    if instance is None:
        instance = model(**key, **fields)
        db.session.add(instance)
        db.session.flush()
        return instance, True
    return instance, False


def database_is_empty() -> bool:
    """True when no user exists yet (a fresh install)."""
    return not db.session.scalar(select(func.count(User.id)))


def load_demo(hash_method: str, today: date | None = None, history: bool = True) -> dict[str, int]:
    """Create whatever demo record is missing; returns how many of each were created."""
    today = today or clock.today()
    created = {
        "territories": 0,
        "organisations": 0,
        "conventions": 0,
        "partners": 0,
        "users": 0,
        "missions": 0,
        "needs and offers": 0,
        "advances": 0,
    }
    import_communes(DEMO_COMMUNES.read_text(encoding="utf-8"))
    geocoder = Geocoder()
    territories = {}
    for row in TERRITORIES:
        centre = geocoder.locate(*row["centre"])
        territory, new = _get_or_create(
            Territory,
            {"name": row["name"]},
            departement=row["departement"],
            centre_lat=centre.lat,
            centre_lon=centre.lon,
        )
        territories[row["name"]] = territory
        created["territories"] += new
    organisations = {}
    for row in ORGANISATIONS:
        fields = {k: v for k, v in row.items() if k not in ("name", "territory")}
        place = geocoder.locate(row["postcode"], row["commune"])
        fields.update(lat=place.lat, lon=place.lon)
        territory = territories.get(row["territory"])
        fields["territory_id"] = territory.id if territory else None
        organisation, new = _get_or_create(Organisation, {"name": row["name"]}, **fields)
        organisations[row["name"]] = organisation
        created["organisations"] += new
    per_day = CONVENTION["hours_per_day"] * 60
    convention, new = _get_or_create(
        Convention,
        {"name": CONVENTION["name"]},
        territory_id=territories[CONVENTION["territory"]].id,
        starts_on=CONVENTION["starts_on"],
        ends_on=CONVENTION["ends_on"],
        minutes_per_day=per_day,
        quota_minutes=days_to_minutes(CONVENTION["skill_days_quota"], per_day),
        status="active",
    )
    created["conventions"] += new
    for group_name, days in CONVENTION["partners"].items():
        _, new = _get_or_create(
            ConventionGroup,
            {"convention_id": convention.id, "organisation_id": organisations[group_name].id},
            committed_minutes=days_to_minutes(days, per_day),
        )
        created["partners"] += new
    for account in ACCOUNTS:
        organisation = organisations.get(account.organisation) if account.organisation else None
        user = db.session.scalar(select(User).where(User.email == account.email))
        if user is None:
            user = User(
                email=account.email,
                name=account.name,
                role=account.role,
                organisation=organisation,
                password_hash=hash_password(account.password, hash_method),
                is_active_account=True,
            )
            db.session.add(user)
            db.session.flush()
            created["users"] += 1
        if account.role == Role.COORDINATOR and user not in convention.coordinators:
            convention.coordinators.append(user)
    db.session.flush()
    created["missions"] += _demo_missions(today)
    created["needs and offers"] += _demo_market(today)
    created["advances"] = load_finance(today)
    if history:
        created["projects followed"] = load_history(today)
    return created


def _listing_fields(prefix: str, key: str, place: Organisation, item: dict, days, window, now):
    """What a demo need and a demo offer share: ref, text, place (their organisation's),
    status open, dates."""

    ref = f"{prefix}-DEMO-{key}"
    return {
        "ref": ref,
        "organisation_id": place.id,
        "title": item["title"],
        "description": "",
        "skills": item["skills"],
        "category": item["category"],
        "days": days,
        "postcode": place.postcode,
        "commune": place.commune,
        "commune_key": fold(place.commune),
        "lat": place.lat,
        "lon": place.lon,
        "status": "open",
        "created_at": now,
        "updated_at": now,
        "published_at": now,
        "search_text": search_text_for(
            ref, item["title"], item["skills"], place.name, place.commune
        ),
        **window,
    }


def _demo_need(key: str, sme: Organisation, item: dict, days: float, window: dict, now):
    return Need(**_listing_fields("N", key, sme, item, days, window, now), is_remote_ok=False)


def _demo_offer(key: str, expert: User, item: dict, days: float, window: dict, now):
    return Offer(
        **_listing_fields("O", key, expert.organisation, item, days, window, now),
        expert_id=expert.id,
        max_km=800,
        is_remote_ok=True,
        minutes_per_day=DEFAULT_MINUTES_PER_DAY,
        minutes=days_to_minutes(days, DEFAULT_MINUTES_PER_DAY),
        minutes_reserved=0,
        minutes_delivered=0,
    )


def _demo_market(today: date) -> int:
    """The open needs and offers of the demo; proposals are computed when any was created."""

    now = clock.now()
    window = {"starts_on": today, "ends_on": today + timedelta(days=120)}
    made = 0
    for item in DEMO_NEEDS:
        if not db.session.scalar(select(Need.id).where(Need.ref == f"N-DEMO-{item['key']}")):
            sme = db.session.scalar(select(Organisation).where(Organisation.name == item["sme"]))
            db.session.add(_demo_need(item["key"], sme, item, item["days"], window, now))
            made += 1
    for item in DEMO_OFFERS:
        if not db.session.scalar(select(Offer.id).where(Offer.ref == f"O-DEMO-{item['key']}")):
            expert = db.session.scalar(select(User).where(User.email == item["expert"]))
            db.session.add(_demo_offer(item["key"], expert, item, item["days"], window, now))
            made += 1
    if made:
        db.session.flush()
        refresh_proposals(now)
    return made


def _demo_missions(today: date) -> int:
    now = clock.now()
    coordinator = db.session.scalar(select(User).where(User.role == Role.COORDINATOR))
    made = 0
    for item in DEMO_MISSIONS:
        if db.session.scalar(select(Mission.id).where(Mission.ref == f"M-DEMO-{item['key']}")):
            continue
        sme = db.session.scalar(select(Organisation).where(Organisation.name == item["sme"]))
        expert = db.session.scalar(select(User).where(User.email == item["expert"]))
        window = {"starts_on": today - timedelta(days=60), "ends_on": today + timedelta(days=90)}
        # The days asked: the sessions' time, rounded up to a half day.
        minutes = sum(m for _, m, _ in item["sessions"])
        days = math.ceil(minutes * 2 / DEFAULT_MINUTES_PER_DAY) / 2
        need = _demo_need(item["key"], sme, {**item, "title": item["need"]}, days, window, now)
        offer = _demo_offer(
            item["key"], expert, {**item, "title": item["offer"]}, max(days, 5), window, now
        )
        db.session.add_all([need, offer])
        db.session.flush()
        mission = create_mission(need, offer, coordinator, now)
        mission.ref = f"M-DEMO-{item['key']}"
        approve(coordinator, mission, now)
        for offset, length, status in item["sessions"]:
            db.session.add(
                MissionSession(
                    mission_id=mission.id,
                    held_on=today + timedelta(days=offset),
                    minutes=length,
                    status=status,
                    created_at=now,
                )
            )
        if any(offset < 0 for offset, _, _ in item["sessions"]):
            mission.status = "in_progress"
        made += 1
    db.session.flush()
    return made
