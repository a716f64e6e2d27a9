"""The demo data set: two Lorraine territories, one convention, one account per role.

Loading is idempotent: each record is looked up by its natural key and created
only when missing; nothing that exists is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace import clock
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import hash_password
from marketplace.conventions.models import Convention, ConventionGroup, Territory
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

TERRITORIES = [
    # Each territory is centred on its main town, located from the commune table.
    {"name": "Terres de Lorraine", "departement": "54", "centre": ("54200", "Toul")},
    {"name": "Bassin de Longwy", "departement": "54", "centre": ("54400", "Longwy")},
]

# SIREN numbers are invented (valid Luhn checksum, not real companies).
ORGANISATIONS = [
    {
        "kind": "operator",
        "name": "Alizé Terres de Lorraine",
        "siren": "100000009",
        "postcode": "54200",
        "commune": "Toul",
        "territory": "Terres de Lorraine",
    },
    {
        "kind": "group",
        "name": "Saint-Gobain PAM",
        "siren": "200000008",
        "naf_code": "24.51Z",
        "headcount": 2000,
        "postcode": "54700",
        "commune": "Pont-à-Mousson",
        "territory": "Terres de Lorraine",
    },
    {
        "kind": "group",
        "name": "Michelin",
        "siren": "300000007",
        "naf_code": "22.11Z",
        "headcount": 19000,
        "postcode": "63100",
        "commune": "Clermont-Ferrand",
        "territory": None,
    },
    {
        "kind": "sme",
        "name": "Menuiserie Colin",
        "siren": "400000006",
        "naf_code": "16.23Z",
        "headcount": 18,
        "postcode": "54200",
        "commune": "Toul",
        "territory": "Terres de Lorraine",
    },
    {
        "kind": "sme",
        "name": "Transports Gérard et Fils",
        "siren": "500000005",
        "naf_code": "49.41A",
        "headcount": 42,
        "postcode": "54570",
        "commune": "Foug",
        "territory": "Terres de Lorraine",
    },
    {
        "kind": "sme",
        "name": "Fonderie du Pays-Haut",
        "siren": "600000004",
        "naf_code": "24.51Z",
        "headcount": 65,
        "postcode": "54400",
        "commune": "Longwy",
        "territory": "Bassin de Longwy",
    },
]

CONVENTION = {
    "name": "Alizé Terres de Lorraine 2025-2027",
    "territory": "Terres de Lorraine",
    "starts_on": date(2025, 1, 1),
    "ends_on": date(2027, 12, 31),
    "skill_days_quota": 150.0,
    "partners": {"Saint-Gobain PAM": 90.0, "Michelin": 60.0},
}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    organisation: str | None
    password: str


# Known demo passwords: printed by `make run`; never use them outside a demo.
ACCOUNTS = [
    DemoAccount("admin@alize-demo.example", "Alice Admin", "admin", None, "demo-admin-2026"),
    DemoAccount(
        "coordination@alize-demo.example",
        "Claire Martin",
        "coordinator",
        "Alizé Terres de Lorraine",
        "demo-coordinator-2026",
    ),
    DemoAccount(
        "referent@saint-gobain-demo.example",
        "Rémi Lefèvre",
        "group_referent",
        "Saint-Gobain PAM",
        "demo-referent-2026",
    ),
    DemoAccount(
        "expert@saint-gobain-demo.example",
        "Sophie Bernard",
        "volunteer",
        "Saint-Gobain PAM",
        "demo-volunteer-2026",
    ),
    DemoAccount(
        "expert@michelin-demo.example", "Hugo Petit", "volunteer", "Michelin", "demo-volunteer-2026"
    ),
    DemoAccount(
        "direction@menuiserie-colin-demo.example",
        "Julie Colin",
        "sme_manager",
        "Menuiserie Colin",
        "demo-sme-2026",
    ),
    DemoAccount(
        "direction@transports-gerard-demo.example",
        "Marc Gérard",
        "sme_manager",
        "Transports Gérard et Fils",
        "demo-sme-2026",
    ),
]


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


def load_demo(hash_method: str, today: date | None = None) -> dict[str, int]:
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
    convention, new = _get_or_create(
        Convention,
        {"name": CONVENTION["name"]},
        territory_id=territories[CONVENTION["territory"]].id,
        starts_on=CONVENTION["starts_on"],
        ends_on=CONVENTION["ends_on"],
        skill_days_quota=CONVENTION["skill_days_quota"],
        status="active",
    )
    created["conventions"] += new
    for group_name, days in CONVENTION["partners"].items():
        _, new = _get_or_create(
            ConventionGroup,
            {"convention_id": convention.id, "organisation_id": organisations[group_name].id},
            committed_days=days,
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
    return created


# Two approved missions: one with sessions in the past (some confirmed, one declared long
# enough ago to count) and in the future, one just approved. `jobs run log-delivered-days`
# then logs something on a fresh install, and nothing the second time.
DEMO_MISSIONS = [
    {
        "key": "1",
        "sme": "Menuiserie Colin",
        "expert": "expert@saint-gobain-demo.example",
        "need": "Mettre à jour notre document unique (DUERP)",
        "skills": "DUERP;prévention",
        "category": "quality",
        "offer": "Évaluation des risques et document unique",
        "sessions": [
            (-20, 1, "confirmed"),
            (-12, 0.5, "delivered"),
            (-5, 1, "confirmed"),
            (7, 1, "planned"),
        ],
    },
    {
        "key": "2",
        "sme": "Transports Gérard et Fils",
        "expert": "expert@michelin-demo.example",
        "need": "Plan de maintenance préventive de la flotte",
        "skills": "GMAO;maintenance préventive",
        "category": "maintenance",
        "offer": "Maintenance préventive et GMAO",
        "sessions": [(14, 1, "planned")],
    },
]


# An open market beside the missions: needs waiting for help and offers with days to give,
# matched at load, so every role finds proposals to look at and answer.
DEMO_NEEDS = [
    {
        "key": "3",
        "sme": "Menuiserie Colin",
        "title": "Revoir nos contrats de travail et le règlement intérieur",
        "skills": "droit du travail;contrats de travail;règlement intérieur",
        "category": "hr",
        "days": 2,
    },
    {
        "key": "4",
        "sme": "Transports Gérard et Fils",
        "title": "Réduire la facture énergétique du dépôt",
        "skills": "audit énergétique;éclairage LED;chauffage",
        "category": "energy",
        "days": 3,
    },
    {
        "key": "5",
        "sme": "Fonderie du Pays-Haut",
        "title": "Premiers pas à l'export vers l'Allemagne",
        "skills": "export;Allemagne;salons professionnels",
        "category": "export",
        "days": 4,
    },
]
DEMO_OFFERS = [
    {
        "key": "3",
        "expert": "expert@saint-gobain-demo.example",
        "title": "Droit social : contrats de travail, règlement intérieur, CSE",
        "skills": "droit du travail;contrats de travail;CSE",
        "category": "hr",
        "days": 6,
    },
    {
        "key": "4",
        "expert": "expert@michelin-demo.example",
        "title": "Audit énergétique de sites industriels",
        "skills": "audit énergétique;efficacité énergétique;CEE",
        "category": "energy",
        "days": 5,
    },
]


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
        days_reserved=0,
        days_delivered=0,
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
        days = sum(d for _, d, _ in item["sessions"])
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
                    days=length,
                    status=status,
                    created_at=now,
                )
            )
        if any(offset < 0 for offset, _, _ in item["sessions"]):
            mission.status = "in_progress"
        made += 1
    db.session.flush()
    return made
