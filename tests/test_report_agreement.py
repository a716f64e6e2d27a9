"""The figures agree everywhere and equal the sum of the ledger: on the demo data and on a
generated programme, for several filters, the CLI (JSON and CSV), the web CSV and XLSX, the
report page and the convention page give the same numbers as an independent tally of the
ledger's rows done here in plain Python."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import add_correction
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.conftest import login
from tests.ledger_world import approved_mission, matched_need, partner_group, run_ledger
from tests.missions_world import as_client, build_world
from tests.units import DAY, HALF

TODAY = date(2026, 11, 26)


# ------------------------------------------------------------------ the independent tally


def tally(
    app, convention_id=None, start=None, end=None, group_id=None, category=None, territory_id=None
) -> dict:
    """The report computed from the ledger's rows one by one, in Python."""
    with app.app_context():
        entries = db.session.scalars(select(LedgerEntry)).all()
        missions = {m.id: m for m in db.session.scalars(select(Mission))}
        needs = {n.id: n for n in db.session.scalars(select(Need))}
        orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
        kept = []
        for entry in entries:
            mission = missions[entry.mission_id]
            need = needs[mission.need_id]
            if convention_id and entry.convention_id != convention_id:
                continue
            if start and entry.entry_on < start or end and entry.entry_on > end:
                continue
            if group_id and entry.group_id != group_id:
                continue
            if category and need.category != category:
                continue
            if territory_id and orgs[need.organisation_id].territory_id != territory_id:
                continue
            kept.append((entry, mission, need))

        def figures(items) -> dict:
            minutes = sum(entry.minutes for entry, _mission, _need in items)
            ms = {mission.id: (mission, need) for _e, mission, need in items}
            ratings = [m.rating for m, _n in ms.values() if m.rating is not None]
            return {
                "projects": len({n.organisation_id for _m, n in ms.values()}),
                "missions": len(ms),
                "minutes": minutes,
                "hours": minutes // 60 if minutes % 60 == 0 else minutes / 60,
                "days": round(minutes / DAY, 2),  # every convention here has days of 7 h
                "jobs_created": sum(m.jobs_created or 0 for m, _n in ms.values()),
                "jobs_preserved": sum(m.jobs_preserved or 0 for m, _n in ms.values()),
                "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            }

        def breakdown(key) -> dict:
            groups = defaultdict(list)
            for item in kept:
                groups[key(*item)].append(item)
            return {k: figures(v) for k, v in groups.items()}

        return {
            "totals": figures(kept),
            "by_group": breakdown(lambda e, _m, _n: orgs[e.group_id].name),
            "by_category": breakdown(lambda _e, _m, n: n.category or ""),
            "by_month": breakdown(lambda e, _m, _n: e.entry_on.strftime("%Y-%m")),
            "ledger_sum": sum(e.minutes for e, _m, _n in kept),
        }


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(",", "."))


def _cli_args(filters: dict) -> list[str]:
    names = {
        "convention_id": "--convention",
        "start": "--from",
        "end": "--to",
        "group_id": "--group",
        "category": "--category",
    }
    args = []
    for key, value in filters.items():
        args += [names[key], value.isoformat() if isinstance(value, date) else str(value)]
    return args


def _query(filters: dict) -> str:
    names = {
        "convention_id": "convention",
        "start": "from",
        "end": "to",
        "group_id": "group",
        "category": "category",
        "territory_id": "territory",
    }
    return "&".join(
        f"{names[k]}={v.isoformat() if isinstance(v, date) else v}" for k, v in filters.items()
    )


def check_agreement(app, runner, client, filters: dict) -> dict:
    """Every output for these filters against the tally; returns the tally."""
    expected = tally(app, **filters)
    assert expected["totals"]["minutes"] == expected["ledger_sum"]
    query = _query(filters)
    web_rows = list(
        csv.reader(
            io.StringIO(client.get(f"/reports.csv?{query}&format=data").get_data(as_text=True))
        )
    )
    web = {(section, key): row for section, key, *row in web_rows[1:]}

    def as_csv(f: dict) -> list[str]:
        return [
            str(float(f["days"])),
            str(f["hours"]),
            str(f["missions"]),
            str(f["projects"]),
            str(f["jobs_created"]),
            str(f["jobs_preserved"]),
            "" if f["average_rating"] is None else str(f["average_rating"]),
        ]

    assert web[("total", "")] == as_csv(expected["totals"])
    for section, name in (
        ("group", "by_group"),
        ("category", "by_category"),
        ("month", "by_month"),
    ):
        assert {k: v for (s, k), v in web.items() if s == section} == {
            key: as_csv(f) for key, f in expected[name].items()
        }, section

    if "territory_id" not in filters:  # the command line has no territory filter
        result = runner.invoke(args=["report", *_cli_args(filters)])
        assert result.exit_code == 0, result.output
        cli = json.loads(result.stdout)
        assert cli["totals"] == expected["totals"]
        for name in ("by_group", "by_category", "by_month"):
            assert cli[name] == expected[name], name
        assert sum(m["minutes"] for m in cli["missions"]) == expected["ledger_sum"]
        assert len(cli["missions"]) == expected["totals"]["missions"]
        cli_csv = runner.invoke(args=["report", *_cli_args(filters), "--format", "csv"]).stdout
        assert list(csv.reader(io.StringIO(cli_csv))) == web_rows

    book = load_workbook(io.BytesIO(client.get(f"/reports.xlsx?{query}").data))

    def cell(value):  # a number as a number, whatever its spelling ("3", "3.0", 3)
        try:
            return float(value)
        except (TypeError, ValueError):
            return "" if value is None else value

    figures, missions = book.worksheets  # a heading, the labelled table, then the missions
    rows = list(figures.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[2] == "Jours réalisés") + 1
    sheet = [[cell(c) for c in row[2:]] for row in rows[start:]]
    assert sheet == [[cell(c) for c in row[2:]] for row in web_rows[1:]]
    assert missions.max_row - 1 == expected["totals"]["missions"]

    page = client.get(f"/reports?{query}").get_data(as_text=True)
    strong = re.findall(r"<strong>([^<]*)</strong>", page)
    days, hours = re.search(
        r"<strong><details[^>]*><summary>([^<]*)</summary><span>([^<]*)", page
    ).groups()
    assert _number(days) == expected["totals"]["days"]
    assert _minutes(hours) == expected["totals"]["minutes"]
    assert int(strong[1]) == expected["totals"]["missions"]
    assert int(strong[0]) == expected["totals"]["projects"]
    return expected


def _minutes(text: str) -> int:
    """« 46 h », « 22 h 30 », « 45 min », « -1 h 15 » as minutes."""
    match = re.fullmatch(r"(-?)(?:(\d+) h(?: (\d+))?|(\d+) min)", text.strip())
    assert match, text
    sign, hours, rest, only = match.groups()
    minutes = int(only) if only else int(hours) * 60 + int(rest or 0)
    return -minutes if sign else minutes


def standing_rows(html: str) -> dict[str, list[tuple[float, int]]]:
    """The convention page's table: {row name: [(days, minutes) of the quota, reserved,
    delivered, left]}."""
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    cell = (
        r'<td class="num"[^>]*><details class="hours"><summary>([^<]*)</summary>'
        r"<span>([^<]*)</span>"
    )
    rows = {}
    for line in table.split("</tr>"):
        name = re.search(r'<th scope="row">([^<]*)</th>', line)
        if name:
            rows[name[1]] = [(_number(d), _minutes(h)) for d, h in re.findall(cell, line)]
    return rows


def check_convention_page(app, client, convention_id: int) -> None:
    whole = tally(app, convention_id=convention_id)
    rows = standing_rows(client.get(f"/conventions/{convention_id}").get_data(as_text=True))
    assert rows, "no standing table"
    name_of_convention = next(iter(rows))
    totals = whole["totals"]
    assert rows[name_of_convention][2] == (totals["days"], totals["minutes"])
    for group, figures in whole["by_group"].items():
        assert rows[group][2] == (figures["days"], figures["minutes"]), group


# ------------------------------------------------------------------------ the demo data


def test_figures_agree_on_the_demo_data(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    logged = runner.invoke(args=["jobs", "run", "log-delivered-days", "--format", "json"])
    assert json.loads(logged.stdout)["sessions_logged"] > 0
    client = app.test_client()
    login(client, "admin@alize-demo.example", "demo-admin-2026")
    with app.app_context():
        conventions = db.session.scalars(select(Convention.id)).all()
        groups = db.session.scalars(select(ConventionGroup.organisation_id)).all()
    assert check_agreement(app, runner, client, {})["totals"]["days"] > 0
    for convention_id in conventions:
        check_agreement(app, runner, client, {"convention_id": convention_id})
        check_convention_page(app, client, convention_id)
    for group_id in set(groups):
        check_agreement(app, runner, client, {"group_id": group_id})
    coordinator = app.test_client()
    login(coordinator, "coordination@alize-demo.example", "demo-coordinator-2026")
    check_agreement(app, runner, coordinator, {"convention_id": conventions[0]})


# ------------------------------------------------------------------- a generated programme


@pytest.fixture()
def generated(app, factory, runner, db):
    """A seeded random programme: two groups, five SMEs (one in another territory), forty
    missions with sessions in every state over ten months, outcomes, ratings, corrections."""
    rng = random.Random(2026)
    world = build_world(app, factory, quota=2000, committed=1000, offer_days=60, needs=1)
    other_territory = factory.territory("Bassin de Longwy")
    with app.app_context():
        coordinator = db.session.get(User, world.people["coordinator"].id)
        offer_a = db.session.get(Offer, world.offer_id)
        first_need = db.session.get(Need, world.need_ids[0])
        territory_id = first_need.organisation.territory_id
        group_b, offer_b = partner_group(
            world, "Groupe B", 1000, "gen-b@test.example", "O-GEN-B", offer_days=60
        )
        smes = [first_need.organisation]
        for n in range(4):
            sme = Organisation(
                kind="sme",
                name=f"PME générée {n}",
                postcode="54200",
                commune="Toul",
                territory_id=other_territory.id if n == 3 else territory_id,
            )
            db.session.add(sme)
            smes.append(sme)
        db.session.flush()
        categories = ["hr", "export", "energy", None]
        statuses = ["confirmed"] * 5 + ["cancelled", "not_held", "planned", "disputed", "delivered"]
        missions = []
        for n in range(40):
            offer = rng.choice([offer_a, offer_b])
            sessions = []
            for _ in range(rng.randint(1, 4)):
                on = date(2026, 2, 1) + timedelta(days=rng.randrange(0, 300))
                sessions.append((on, rng.choice([60, 120, HALF, DAY]), rng.choice(statuses)))
            need = matched_need(
                world, f"N-GEN-{n}", rng.choice(smes).id, f"Besoin {n}", rng.choice(categories)
            )
            mission = approved_mission(
                coordinator,
                f"M-GEN-{n:02d}",
                need.id,
                offer,
                world.convention_id,
                sessions,
                starts_on=date(2026, 2, 1),
                ends_on=date(2026, 12, 31),
            )
            if rng.random() < 0.6:
                mission.rating = rng.randint(1, 5)
                mission.jobs_created = rng.randint(0, 4)
                mission.jobs_preserved = rng.randint(0, 6)
            missions.append(mission.id)
        db.session.commit()
        group_b_id = group_b.id
    run_ledger(runner, TODAY)
    with app.app_context():
        coordinator = db.session.get(User, world.people["coordinator"].id)
        for mission_id in rng.sample(missions, 6):
            add_correction(
                coordinator,
                db.session.get(Mission, mission_id),
                rng.choice([-90, 45, HALF, DAY]),
                "correction générée",
                date(2026, 2, 1) + timedelta(days=rng.randrange(0, 300)),
                datetime.now(UTC),
            )
        db.session.commit()
    return world, group_b_id, other_territory.id


def test_figures_agree_on_generated_data(app, runner, factory, generated):
    world, group_b, other_territory = generated
    admin = as_client(app, world.people["admin"], factory.password)
    convention = world.convention_id
    everything = check_agreement(app, runner, admin, {"convention_id": convention})
    # The generated programme does exercise every breakdown.
    assert everything["totals"]["missions"] >= 20
    assert len(everything["by_group"]) == 2 and len(everything["by_category"]) == 4
    assert len(everything["by_month"]) >= 8
    for filters in (
        {"convention_id": convention, "start": date(2026, 4, 1), "end": date(2026, 6, 30)},
        # A period that cuts months is read from the entries, not the monthly sums.
        {"convention_id": convention, "start": date(2026, 4, 10), "end": date(2026, 8, 20)},
        {"start": date(2026, 3, 15)},
        {"convention_id": convention, "group_id": group_b},
        {"convention_id": convention, "category": "hr"},
        {"start": date(2026, 9, 1), "category": "export", "group_id": group_b},
        {"territory_id": other_territory},
    ):
        check_agreement(app, runner, admin, filters)
    check_convention_page(app, admin, convention)
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    check_agreement(app, runner, coordinator, {"convention_id": convention})
