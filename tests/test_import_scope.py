"""An import acts as the importer: scope, editable records, capacity — found in the preview."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from marketplace.demo import ACCOUNTS
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.conftest import csrf_from, login

NEED_HEADER = (
    "ref,sme,siren,title,description,skills,category,days,postcode,commune,lat,lon,"
    "remote_ok,earliest,latest"
).split(",")
OFFER_HEADER = (
    "ref,group,expert,expert_email,title,description,skills,category,days,postcode,commune,"
    "lat,lon,max_km,remote_ok,available_from,available_until"
).split(",")
TOUL = ["54200", "Toul", "48.68655", "5.89508"]
LONGWY = ["54400", "Longwy", "49.52140", "5.76638"]
COORDINATOR = next(a for a in ACCOUNTS if a.role == "coordinator")
ADMIN = next(a for a in ACCOUNTS if a.role == "admin")


def need_row(ref, sme, title="Revoir nos contrats de travail", place=TOUL, days="2"):
    return [ref, sme, "", title, "Besoin d'aide.", "droit du travail", "hr", days, *place, "yes",
            "2027-02-01", "2027-05-28"]  # fmt: skip


def offer_row(ref, group, email, days="4"):
    return [ref, group, "Expert Importé", email, "Contrats de travail", "Juriste.",
            "droit du travail", "hr", days, *TOUL, "60", "yes",
            "2027-01-04", "2027-12-17"]  # fmt: skip


def write(tmp_path, name, header, rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def titles(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Need.ref, Need.title)).all())


def test_a_coordinator_imports_only_inside_their_conventions(runner, app, tmp_path):
    runner.invoke(args=["demo", "load", "--no-history"])
    before = titles(app)
    path = write(
        tmp_path,
        "n.csv",
        NEED_HEADER,
        [
            need_row("N-IMP-1", "Scierie de Toul"),
            need_row("N-IMP-2", "Forge de Longwy", place=LONGWY),
        ],
    )
    result = runner.invoke(args=["import", "needs", path, "--as", COORDINATOR.email])
    assert result.exit_code != 0
    assert (
        "row 3, column sme: N-IMP-2: Forge de Longwy is outside the conventions you coordinate"
        in result.output
    )
    assert "row 2" not in result.output  # the SME near Toul is theirs
    assert titles(app) == before  # all or nothing: not even the row in scope
    ok = write(tmp_path, "ok.csv", NEED_HEADER, [need_row("N-IMP-1", "Scierie de Toul")])
    result = runner.invoke(args=["import", "needs", ok, "--as", COORDINATOR.email])
    assert result.exit_code == 0, result.output
    assert "N-IMP-1" in titles(app)


def test_a_need_outside_the_importers_scope_is_never_updated(runner, app, tmp_path):
    """F1: the coordinator retitled, through an import, a need of the other territory."""
    runner.invoke(args=["demo", "load", "--no-history"])
    before = titles(app)
    hijack = need_row("N-DEMO-5", "Fonderie du Pays-Haut", title="Titre détourné", place=LONGWY)
    path = write(tmp_path, "n.csv", NEED_HEADER, [hijack])
    result = runner.invoke(args=["import", "needs", path, "--as", COORDINATOR.email])
    assert result.exit_code != 0
    assert "row 2, column sme: N-DEMO-5" in result.output and "outside" in result.output
    assert titles(app) == before


def test_a_need_tied_to_a_mission_or_moved_to_another_sme_is_a_row_error(runner, app, tmp_path):
    """F1: a matched need with an approved mission was moved to another SME, days 1 -> 50."""
    runner.invoke(args=["demo", "load", "--no-history"])
    before = titles(app)
    with app.app_context():
        matched = db.session.scalar(select(Need).where(Need.ref == "N-DEMO-1"))
        sme = matched.organisation.name
    rows = [
        need_row("N-DEMO-1", sme, title="Autre chose", days="50"),
        need_row("N-DEMO-3", "Transports Gérard et Fils"),  # an open need of Menuiserie Colin
    ]
    result = runner.invoke(args=["import", "needs", write(tmp_path, "n.csv", NEED_HEADER, rows)])
    assert result.exit_code != 0
    assert "row 2, column ref: N-DEMO-1 can no longer be changed: it is tied to a mission" in (
        result.output
    )
    assert "row 3, column sme: N-DEMO-3 belongs to another organisation" in result.output
    assert titles(app) == before


def test_an_offer_of_a_group_outside_the_conventions_is_refused(runner, app, tmp_path):
    runner.invoke(args=["demo", "load", "--no-history"])
    rows = [
        offer_row("O-IMP-1", "Michelin", "nouvel.expert@michelin-demo.example"),
        offer_row("O-IMP-2", "Arcelor Démo", "expert@arcelor-demo.example"),
    ]
    path = write(tmp_path, "o.csv", OFFER_HEADER, rows)
    result = runner.invoke(args=["import", "offers", path, "--as", COORDINATOR.email])
    assert result.exit_code != 0
    assert "row 3, column group: O-IMP-2: Arcelor Démo is outside" in result.output
    assert "row 2" not in result.output  # Michelin is a partner group of their convention
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id)).where(Offer.ref.like("O-IMP%"))) == 0


def test_an_offer_below_its_reserved_and_delivered_days_is_found_in_the_preview(
    client, runner, app, tmp_path
):
    """F5: the preview said 0 errors, then applying broke the capacity CHECK (a 500)."""
    runner.invoke(args=["demo", "load", "--no-history"])
    with app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.ref == "O-DEMO-3"))
        offer.minutes_delivered = 3 * 420  # delivered by a mission cancelled since
        db.session.commit()
        group, email = offer.organisation.name, offer.expert.email
    text = write(tmp_path, "o.csv", OFFER_HEADER, [offer_row("O-DEMO-3", group, email, days="2")])
    login(client, ADMIN.email, ADMIN.password)
    token = csrf_from(client, "/imports")
    with open(text, "rb") as handle:
        response = client.post(
            "/imports",
            data={"csrf_token": token, "kind": "offers", "file": (handle, "o.csv")},
            content_type="multipart/form-data",
        )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "déjà réservé ou réalisé sur O-DEMO-3 : 3 jours" in page
    batch_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))
    applied = client.post(f"/imports/{batch_id}/apply", data={"csrf_token": token})
    assert applied.status_code == 303  # refused, back to the preview: no 500
    with app.app_context():
        assert db.session.scalar(select(Offer.days).where(Offer.ref == "O-DEMO-3")) != 2


def test_the_command_line_says_whom_it_imports_as(runner, app, tmp_path):
    runner.invoke(args=["demo", "load", "--no-history"])
    path = write(tmp_path, "n.csv", NEED_HEADER, [need_row("N-IMP-9", "Scierie de Toul")])
    result = runner.invoke(args=["import", "needs", path])
    assert result.exit_code == 0 and "importing as an administrator" in result.output
    sme = next(a for a in ACCOUNTS if a.role == "sme_manager")
    refused = runner.invoke(args=["import", "needs", path, "--as", sme.email])
    assert refused.exit_code != 0
    assert "only coordinators and administrators import files" in refused.output
    unknown = runner.invoke(args=["import", "needs", path, "--as", "nobody@example.org"])
    assert unknown.exit_code != 0 and "no active account" in unknown.output
