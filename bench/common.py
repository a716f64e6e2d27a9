"""Shared set-up for the benchmarks: a throw-away migrated database and generated rows."""

from __future__ import annotations

import csv
import io
import os
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TITLES = [
    "Revoir nos contrats de travail",
    "Mise en service d'une presse",
    "Plan de maintenance",
    "Audit énergétique de l'atelier",
    "Préparer un salon export",
    "Prévisionnel pour la banque",
    "Choisir un ERP",
    "Document unique (DUERP)",
    "Former nos vendeurs",
    "Certification ISO 9001",
    "Reprise de l'entreprise",
    "Cybersécurité : sauvegardes",
    "Négocier avec nos fournisseurs",
]
SKILLS = [
    "droit du travail",
    "GMAO",
    "lean",
    "ISO 9001",
    "export",
    "CPF",
    "RGPD",
    "ERP",
    "prévisionnel",
    "maintenance préventive",
    "négociation",
    "QSE",
    "mise en service",
]
COMMUNES = [
    ("54200", "Toul", 48.68655, 5.89508),
    ("54000", "Nancy", 48.6902, 6.17588),
    ("57100", "Thionville", 49.37597, 6.12928),
    ("88000", "Épinal", 48.16312, 6.47989),
    ("54400", "Longwy", 49.5214, 5.76638),
]
CATEGORIES = [
    "hr",
    "legal",
    "production",
    "maintenance",
    "quality",
    "energy",
    "sales",
    "export",
    "finance",
    "digital",
    "purchasing",
    "management",
    "",
]


def temp_database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    folder = tempfile.mkdtemp(prefix="bench-")
    return f"sqlite:///{folder}/bench.sqlite3"


def make_app(url: str):
    from config import TestConfig
    from marketplace import create_app

    config = type(
        "BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}
    )
    app = create_app(config)
    from tests.conftest import reset_schema

    reset_schema(app)
    return app


def needs_csv(count: int, seed: int = 7) -> str:
    from marketplace.imports.csvio import NEED_COLUMNS

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NEED_COLUMNS)
    start = date(2026, 1, 5)
    for n in range(count):
        postcode, commune, lat, lon = rng.choice(COMMUNES)
        first = start + timedelta(days=rng.randrange(0, 300))
        writer.writerow(
            [
                f"N-B{n:06d}",
                f"PME {n % 900} de Lorraine",
                "",
                rng.choice(TITLES),
                "Description générée pour le banc d'essai. " * rng.randint(1, 4),
                ";".join(rng.sample(SKILLS, rng.randint(1, 3))),
                rng.choice(CATEGORIES),
                rng.choice(["0.5", "1", "1.5", "2", "3", "5"]),
                postcode,
                commune,
                lat,
                lon,
                rng.choice(["yes", "no"]),
                first.isoformat(),
                (first + timedelta(days=rng.randrange(14, 120))).isoformat(),
            ]
        )
    return out.getvalue()


def offers_csv(count: int, seed: int = 11) -> str:
    """Offers in import format v1, spread over 50 groups and 500 experts."""
    from marketplace.imports.csvio import OFFER_COLUMNS

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OFFER_COLUMNS)
    start = date(2026, 1, 5)
    for n in range(count):
        postcode, commune, lat, lon = rng.choice(COMMUNES)
        first = start + timedelta(days=rng.randrange(0, 300))
        expert = n % 500
        writer.writerow(
            [
                f"O-B{n:06d}",
                f"Groupe {expert % 50}",
                f"Expert {expert}",
                f"expert{expert}@groupe{expert % 50}.example",
                rng.choice(TITLES),
                "Offre générée pour le banc d'essai. " * rng.randint(1, 4),
                ";".join(rng.sample(SKILLS, rng.randint(1, 3))),
                rng.choice(CATEGORIES),
                rng.choice(["2", "3", "5", "10"]),
                postcode,
                commune,
                lat,
                lon,
                rng.choice(["30", "60", "100"]),
                rng.choice(["yes", "no"]),
                first.isoformat(),
                (first + timedelta(days=rng.randrange(30, 300))).isoformat(),
            ]
        )
    return out.getvalue()


def year_of_sessions(app, world, sessions: int, missions: int) -> None:
    """`sessions` confirmed sessions over about `missions` missions, one batch a month of 2026."""
    from tests.ledger_world import many_sessions

    per_mission = max(1, sessions // max(1, missions))
    for month in range(12):
        many_sessions(
            app,
            world,
            max(1, sessions // 12),
            date(2026, 1, 15) + timedelta(days=30 * month),
            per_mission=per_mission,
        )
