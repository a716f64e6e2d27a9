"""Dashboard and reports on a hand-built programme with known answers."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from marketplace.accounts.models import Organisation, User
from marketplace.ledger.services import add_correction, ledger_total
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.ledger_world import approved_mission, matched_need, partner_group, run_ledger
from tests.missions_world import as_client, build_world
from tests.units import DAY, HALF

TODAY = date(2026, 11, 26)


@pytest.fixture()
def programme(app, factory, runner, db):
    """Two groups, three missions, sessions in two months, a correction, a cancelled session.

    Known answers, in minutes (days of 7 h): A1 2 days = 840; A2 a day and a two-hour
    session, minus a 1 h 30 correction = 450; B 3.5 days = 1,470. So 2,760 minutes delivered
    = 46 h = 6.57 days (A 1,290 = 3.07 days; B 3.5 days), 3 missions, 2 SMEs, jobs 3 created /
    4 preserved, ratings 4 and 5 → 4.5.
    """
    world = build_world(app, factory, quota=20, committed=10, offer_days=30, needs=2)
    with app.app_context():
        template = db.session.get(Offer, world.offer_id)
        group_a = template.organisation
        other_sme = Organisation(
            kind="sme",
            name="PME Deux",
            postcode="54200",
            commune="Toul",
            territory_id=db.session.get(Need, world.need_ids[0]).organisation.territory_id,
        )
        db.session.add(other_sme)
        group_b, offer_b = partner_group(
            world, "Groupe B", 10, "b@test.example", "O-B", offer_days=20
        )
        need_c = matched_need(world, "N-C", other_sme.id, "Export Allemagne", "export")
        for index in (0, 1):
            db.session.get(Need, world.need_ids[index]).category = "hr"
        coordinator = db.session.get(User, world.people["coordinator"].id)
        plans = [
            (
                world.need_ids[0],
                world.offer_id,
                group_a.id,
                [
                    (date(2026, 9, 10), DAY, "confirmed"),
                    (date(2026, 9, 20), DAY, "confirmed"),
                    (date(2026, 10, 5), DAY, "cancelled"),
                ],
                (4, 1, 2),
            ),
            (
                world.need_ids[1],
                world.offer_id,
                group_a.id,
                [(date(2026, 10, 1), DAY, "confirmed"), (date(2026, 10, 2), 120, "confirmed")],
                None,
            ),
            (
                need_c.id,
                offer_b.id,
                group_b.id,
                [
                    (date(2026, 10, 15), DAY, "confirmed"),
                    (date(2026, 10, 16), DAY, "confirmed"),
                    (date(2026, 11, 2), DAY, "confirmed"),
                    (date(2026, 11, 3), HALF, "confirmed"),
                ],
                (5, 2, 2),
            ),
        ]
        ids = []
        for n, (need_id, offer_id, _group, sessions, outcome) in enumerate(plans):
            mission = approved_mission(
                coordinator,
                f"M-R{n}",
                need_id,
                db.session.get(Offer, offer_id),
                world.convention_id,
                sessions,
                starts_on=date(2026, 9, 1),
                ends_on=date(2026, 12, 31),
            )
            if outcome:
                mission.rating, mission.jobs_created, mission.jobs_preserved = outcome
            ids.append(mission.id)
        db.session.commit()
    run_ledger(runner, TODAY)
    with app.app_context():
        add_correction(
            db.session.get(User, world.people["coordinator"].id),
            db.session.get(Mission, ids[1]),
            -90,
            "une heure et demie en double",
            date(2026, 10, 20),
            datetime.now(UTC),
        )
        db.session.commit()
    return world, ids


EXPECTED = {
    "projects": 2,
    "missions": 3,
    "minutes": 2760,
    "hours": 46,
    "days": 6.57,
    "jobs_created": 3,
    "jobs_preserved": 4,
    "average_rating": 4.5,
}


def world_name_in(response) -> bool:
    return "Convention;" in response.data.decode("utf-8-sig")


def test_figures_are_right_and_agree_everywhere(app, runner, factory, programme):
    world, _ids = programme
    cli = json.loads(
        runner.invoke(args=["report", "--convention", str(world.convention_id)]).stdout
    )
    assert cli["totals"] == EXPECTED
    assert (
        cli["by_group"]["Groupe B"]["minutes"] == 1470
        and cli["by_group"]["Groupe B"]["days"] == 3.5
    )
    assert sum(g["minutes"] for g in cli["by_group"].values()) == 2760
    assert cli["by_category"]["hr"]["minutes"] == 1290 and cli["by_category"]["hr"]["days"] == 3.07
    assert cli["by_category"]["export"]["minutes"] == 1470
    assert {m: v["minutes"] for m, v in cli["by_month"].items()} == {
        "2026-09": 840,
        "2026-10": 1290,  # A2's 540, its -90 correction, B's 840
        "2026-11": 630,
    }
    with app.app_context():
        assert ledger_total(world.convention_id) == 2760

    coordinator = as_client(app, world.people["coordinator"], factory.password)
    page = coordinator.get(f"/reports?convention={world.convention_id}").get_data(as_text=True)
    assert "<summary>6,57</summary><span>46 h</span>" in page and "<strong>4,5</strong>" in page
    rows = list(
        csv.reader(
            io.StringIO(
                coordinator.get(
                    f"/reports.csv?convention={world.convention_id}&format=data"
                ).get_data(as_text=True)
            )
        )
    )
    assert rows[0][2:4] == ["days", "hours"]
    assert rows[1] == ["total", "", "6.57", "46", "3", "2", "3", "4", "4.5"]
    cli_csv = runner.invoke(
        args=["report", "--convention", str(world.convention_id), "--format", "csv"]
    ).stdout
    assert list(csv.reader(io.StringIO(cli_csv))) == rows
    book = load_workbook(
        io.BytesIO(coordinator.get(f"/reports.xlsx?convention={world.convention_id}").data)
    )
    figures, missions = book.worksheets
    assert figures["A1"].value == "Jours de compétences réalisés" and figures["A1"].font.bold
    total = next(row for row in figures.iter_rows(values_only=True) if row[0] == "Total")
    assert list(total[2:6]) == [6.57, 46, 3, 2]  # typed numbers, not text
    issued = next(row for row in figures.iter_rows() if row[0].value == "Édité le")[1]
    assert issued.is_date and issued.number_format == "DD/MM/YYYY"  # a date cell, not text
    assert missions.max_row == 4
    # The CSV for people: French Excel's separator and BOM, labels, decimal commas, a heading.
    people = coordinator.get(f"/reports.csv?convention={world.convention_id}")
    assert people.data.startswith(b"\xef\xbb\xbf")
    assert world_name_in(people) and 'filename="report-' in people.headers["Content-Disposition"]
    lines = people.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Jours de compétences réalisés"
    assert any(line.startswith("Période;du ") for line in lines)
    assert "Rubrique;Élément;Jours réalisés;Heures réalisées" in people.data.decode("utf-8-sig")
    assert "Total;;6,57;46;3;2;3;4;4,5" in lines

    dashboard = coordinator.get(f"/conventions/{world.convention_id}").get_data(as_text=True)
    # Quota 20: 6.57 delivered (ledger), the hours one click away.
    assert "<summary>6,57</summary><span>46 h</span>" in dashboard
    period = runner.invoke(
        args=[
            "report",
            "--convention",
            str(world.convention_id),
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
        ]
    ).stdout
    assert json.loads(period)["totals"]["minutes"] == 1290  # 540 (A) - 90 + 840 (B)


def test_visibility_per_role(app, factory, programme):
    world, ids = programme
    other = build_world(app, factory)
    stranger = as_client(app, other.people["coordinator"], factory.password)
    assert stranger.get(f"/conventions/{world.convention_id}").status_code == 404
    assert "<strong>0</strong> " in stranger.get(
        f"/reports?convention={world.convention_id}"
    ).get_data(as_text=True)
    referent = as_client(app, world.people["group_referent"], factory.password)
    assert referent.get(f"/conventions/{world.convention_id}").status_code == 200
    mine = referent.get("/reports").get_data(as_text=True)
    assert "<summary>3,07</summary>" in mine and "M-R2" not in mine  # group A only
    manager = as_client(app, world.people["sme_manager"], factory.password)
    assert manager.get(f"/conventions/{world.convention_id}").status_code == 403
    history = manager.get("/reports").get_data(as_text=True)
    assert "M-R0" in history and "M-R2" not in history
    volunteer = as_client(app, world.people["volunteer"], factory.password)
    assert "M-R2" not in volunteer.get("/reports").get_data(as_text=True)


def test_burn_up_chart_is_well_formed_with_one_point_per_month(app, factory, programme):
    world, _ids = programme
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    html = coordinator.get(f"/conventions/{world.convention_id}").get_data(as_text=True)
    start = html.index("<svg xmlns")
    svg = html[start : html.index("</svg>", start) + 6]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = {p.get("class"): p.get("points").split() for p in root.iter(f"{ns}polyline")}
    assert set(lines) == {"pace", "committed", "delivered"}
    assert len(lines["pace"]) == 36  # 2025-01 … 2027-12: the even pace to the end
    today = date.today()
    months_so_far = min(36, max(0, (today.year - 2025) * 12 + today.month))
    # Delivered and reserved stop at this month: nothing is drawn for the future.
    assert len(lines["delivered"]) == len(lines["committed"]) == months_so_far
    # The data under it, folded, months in words; the future has no delivered figure.
    assert '<details class="chart-data">' in html
    assert '<th scope="row">novembre 2026</th>' in html
    assert re.search(r'<th scope="row">décembre 2027</th><td class="num">—</td>', html)
    # Round ticks on the days axis (quota 20: 5, 10, 15, 20), months in words below.
    ticks = [t.text for t in root.iter(f"{ns}text") if t.get("text-anchor") == "end"]
    assert ticks == ["5", "10", "15", "20"]
    assert "janv. 25" in [t.text for t in root.iter(f"{ns}text")]


def test_nice_ticks_are_round_and_reach_the_top():
    from marketplace.charts import nice_ticks

    assert nice_ticks(150) == [0, 50, 100, 150]
    assert nice_ticks(165) == [0, 50, 100, 150, 200]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(9.5) == [0, 2.5, 5.0, 7.5, 10.0]
    assert nice_ticks(0) == [0.0, 1.0]


def test_the_dashboard_lists_the_convention_s_newest_missions(app, factory, programme):
    world, _ids = programme
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    html = coordinator.get(f"/conventions/{world.convention_id}").get_data(as_text=True)
    missions = html.split("<h2>Missions</h2>")[1].split("</table>")[0]
    assert "M-R0" in missions and "M-R2" in missions
    listed = coordinator.get(f"/missions?convention={world.convention_id}&status=delivered")
    assert listed.status_code == 200
    assert coordinator.get("/missions?status=finished").status_code == 400


def test_every_breakdown_row_drills_down_to_its_missions(app, factory, programme):
    import html as htmllib
    import re

    world, _ids = programme
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    page = coordinator.get(f"/reports?convention={world.convention_id}").get_data(as_text=True)
    links = {
        htmllib.unescape(text): htmllib.unescape(href)
        for href, text in re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>', page)
    }

    def totals(href: str) -> list[str]:
        drilled = coordinator.get(href).get_data(as_text=True)
        projects, missions = re.findall(r"<strong>([^<]*)</strong>", drilled)[:2]
        days = re.search(r"<strong><details[^>]*><summary>([^<]*)</summary>", drilled)[1]
        return (projects, missions, days), drilled

    (projects, missions, days), drilled = totals(links["Groupe B"])
    assert (projects, missions, days) == ("1", "1", "3,5")
    assert "M-R2" in drilled and "M-R0" not in drilled
    assert f"convention={world.convention_id}" in links["Groupe B"]
    (_p, missions, days), drilled = totals(links["octobre 2026"])
    assert (missions, days) == ("2", "3,07")  # 540 (A) - 90 correction + 840 (B) minutes
    assert "from=2026-10-01" in links["octobre 2026"] and "to=2026-10-31" in links["octobre 2026"]
    hr = next(href for text, href in links.items() if "category=hr" in href)
    (_p, missions, days), _ = totals(hr)
    assert (missions, days) == ("2", "3,07")  # 840 + 540 - 90 minutes
    printable = coordinator.get(f"/reports?convention={world.convention_id}&print=1")
    assert '<th scope="row"><a' not in printable.get_data(as_text=True)


def test_the_printable_report_and_its_pdf_carry_programme_convention_period_and_date(
    app, factory, programme
):
    world, _ids = programme
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    query = f"convention={world.convention_id}&from=2026-10-01&to=2026-11-30"
    printable = coordinator.get(f"/reports?{query}&print=1").get_data(as_text=True)
    head = printable.split('<dl class="facts report-head">')[1].split("</dl>")[0]
    assert "<h1>Jours de compétences réalisés</h1>" in printable
    assert "Programme" in head and "Convention" in head
    assert "du 1 oct. 2026 au 30 nov. 2026" in head
    assert "Édité le" in head and '<form method="get" class="filters">' not in printable
    assert '<th scope="row">novembre 2026</th>' in printable  # months in words, no links
    pdf = coordinator.get(f"/reports.pdf?{query}")
    if pdf.status_code == 503:
        pytest.skip("WeasyPrint cannot load Pango here (Debian: libpango-1.0-0)")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and len(pdf.data) > 2000
    disposition = pdf.headers["Content-Disposition"]
    assert "2026-10-01_2026-11-30" in disposition and disposition.endswith('.pdf"')
    # The file name is the same as the spreadsheets': programme, convention, period, date.
    assert disposition.split("filename=")[1].removesuffix('.pdf"') == coordinator.get(
        f"/reports.xlsx?{query}"
    ).headers["Content-Disposition"].split("filename=")[1].removesuffix('.xlsx"')


def test_the_pdf_renderer_reads_only_the_application_s_static_files(app, monkeypatch):
    import socket

    from marketplace.printing import PdfUnavailable, html_to_pdf

    tried = []

    def refuse(_socket, address):
        tried.append(address)  # the renderer would swallow an exception: remember the try
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    html = (
        '<link rel="stylesheet" href="/static/css/print.css">'
        '<link rel="stylesheet" href="/static/../../config.py">'
        '<img src="http://169.254.169.254/latest/meta-data/"><p>Bilan</p>'
    )
    try:
        pdf = html_to_pdf(html, app.static_folder)
    except PdfUnavailable:
        pytest.skip("WeasyPrint cannot load Pango here (Debian: libpango-1.0-0)")
    assert pdf.startswith(b"%PDF-") and tried == []
