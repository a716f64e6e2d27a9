"""The demo data set itself: territories, organisations, the convention, one account per
role, missions and an open market. Plain data; `load.py` writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
        "daily_cost_cents": 62_000,  # an expert day, declared for its sponsorship file
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
        "daily_cost_cents": 68_000,
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
    "hours_per_day": 7,
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
        # (day offset, minutes, status): a day of 7 h, a two-hour helping hand, half a day.
        "sessions": [
            (-20, 420, "confirmed"),
            (-12, 120, "delivered"),
            (-5, 420, "confirmed"),
            (7, 210, "planned"),
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
        "sessions": [(14, 420, "planned")],
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
