"""Spreadsheet round trip: import format v1 through the CLI, all or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.test_geo import load_communes

# The project's own labelled set (import format v1), also used by the matcher's tests.
DEV = Path(__file__).resolve().parent / "data" / "matching"


def read(kind: str) -> tuple[list[str], list[list[str]]]:
    with open(DEV / f"{kind}.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write(path: Path, header, rows, delimiter=",", bom=False) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return path


def counts(app) -> dict:
    with app.app_context():
        return {
            m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Need, Offer, Organisation, User)
        }


def test_labelled_set_imports_38_needs_and_22_offers(runner, app):
    result = runner.invoke(args=["import", "needs", str(DEV / "needs.csv")])
    assert result.exit_code == 0, result.output
    assert "38 needs: 38 created" in result.output
    result = runner.invoke(args=["import", "offers", str(DEV / "offers.csv")])
    assert result.exit_code == 0, result.output
    assert "22 offers: 22 created" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Need.id))) == 38
        assert db.session.scalar(select(func.count(Offer.id))) == 22
        assert db.session.scalar(select(func.count(Need.id)).where(Need.status == "open")) == 38
        experts = db.session.scalars(select(User).where(User.role == "volunteer")).all()
        assert experts and all(not e.is_active and e.password_hash is None for e in experts)
        need = db.session.scalar(select(Need).where(Need.ref == "N-2006"))
        assert need.organisation.siren == "935181909"
        assert need.days == 3 and need.skills == "maintenance préventive;GMAO"
        offer = db.session.scalar(select(Offer).where(Offer.ref == "O-1009"))
        assert offer.organisation.kind == "group" and offer.expert.email.endswith(".example")
        assert offer.max_km == 60 and offer.is_remote_ok


def test_reimport_updates_by_ref_and_reports_unchanged(runner, app, tmp_path):
    header, rows = read("needs")
    runner.invoke(args=["import", "needs", str(DEV / "needs.csv")])
    rows[0][header.index("title")] = "Nouveau titre"
    result = runner.invoke(args=["import", "needs", str(write(tmp_path / "n.csv", header, rows))])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 37 unchanged" in result.output
    with app.app_context():
        assert (
            db.session.scalar(select(Need.title).where(Need.ref == rows[0][0])) == "Nouveau titre"
        )
        assert db.session.scalar(select(func.count(Need.id))) == 38


def test_bom_and_semicolons_from_french_spreadsheets(runner, app, tmp_path):
    header, rows = read("needs")
    for row in rows:
        row[header.index("days")] = row[header.index("days")].replace(".", ",")
    path = write(tmp_path / "excel.csv", header, rows, delimiter=";", bom=True)
    result = runner.invoke(args=["import", "needs", str(path)])
    assert result.exit_code == 0, result.output
    assert counts(app)["Need"] == 38


def _broken(kind, tmp_path, mutate):
    header, rows = read(kind)
    header, rows = mutate(header, rows) or (header, rows)
    return write(tmp_path / f"broken-{kind}.csv", header, rows)


def _set(column, row_index, value):
    def mutate(header, rows):
        rows[row_index][header.index(column)] = value

    return mutate


def _drop_column(column):
    def mutate(header, rows):
        i = header.index(column)
        return [h for j, h in enumerate(header) if j != i], [
            [c for j, c in enumerate(r) if j != i] for r in rows
        ]

    return mutate


def _duplicate_ref(header, rows):
    rows[9][0] = rows[4][0]


@pytest.mark.parametrize(
    ("kind", "mutate", "expected"),
    [
        ("needs", _drop_column("days"), "row 1, column days: missing column(s): days"),
        ("needs", _set("latest", 6, "2026-13-45"), "row 8, column latest: a date is written"),
        ("needs", _set("earliest", 2, "31/02/2026"), "row 4, column earliest"),
        ("needs", _set("days", 3, "0.3"), "row 5, column days: days go in half-day steps"),
        ("needs", _set("days", 3, "0"), "row 5, column days: between 0.5 and 60"),
        ("needs", _set("category", 10, "cooking"), "row 12, column category: unknown category"),
        ("needs", _set("siren", 1, "327109147"), "row 3, column siren: SIREN 327109147 is not"),
        ("needs", _set("remote_ok", 5, "maybe"), "row 7, column remote_ok: write yes or no"),
        ("needs", _set("postcode", 5, "5400"), None),  # Excel dropped a leading zero: accepted
        ("needs", _set("postcode", 5, "ABCDE"), "row 7, column postcode"),
        ("needs", _set("lat", 5, "123"), "row 7, column lat"),
        ("needs", _duplicate_ref, "row 11, column ref: reference"),
        (
            "needs",
            _set("latest", 7, "2020-01-01"),
            "row 9, column latest: latest (2020-01-01) is before",
        ),
        ("offers", _set("max_km", 2, "far"), "row 4, column max_km: a whole number"),
        ("offers", _set("expert_email", 2, "not-an-email"), "row 4, column expert_email"),
        ("offers", _set("available_until", 1, ""), "row 3, column available_until"),
        ("offers", _drop_column("group"), "row 1, column group: missing column"),
    ],
)
def test_broken_files_write_nothing(runner, app, tmp_path, kind, mutate, expected):
    before = counts(app)
    path = _broken(kind, tmp_path, mutate)
    result = runner.invoke(args=["import", kind, str(path)])
    if expected is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert "nothing was imported" in result.output
    assert counts(app) == before


def test_empty_binary_and_huge_files(runner, app, tmp_path):
    before = counts(app)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("ref,sme\nN-1,Société\n".encode("latin-1"))
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.write(b"ref,sme,siren\n")
        line = b"N-1,x" + b"y" * 1000 + b",\n"
        for _ in range(50 * 1024):
            handle.write(line)
    header_only = write(tmp_path / "header.csv", read("needs")[0], [])
    cases = {
        empty: "row 1: the file is empty",
        binary: "row 1: this is not a CSV text file",
        latin1: "row 1: the file is not UTF-8 text",
        huge: "row 1: the file is too large",
        header_only: "row 2: the file has a header but no row",
    }
    for path, message in cases.items():
        result = runner.invoke(args=["import", "needs", str(path)])
        assert result.exit_code != 0, path
        assert message in result.output, (path, result.output)
    assert counts(app) == before


def test_every_error_of_a_file_is_listed(runner, tmp_path):
    header, rows = read("needs")
    rows[0][header.index("days")] = "0.3"
    rows[1][header.index("category")] = "cooking"
    result = runner.invoke(args=["import", "needs", str(write(tmp_path / "x.csv", header, rows))])
    assert "row 2, column days" in result.output and "row 3, column category" in result.output
    assert "2 error(s)" in result.output


def test_rows_without_coordinates_are_geocoded_or_flagged(runner, app):
    load_communes(runner)
    result = runner.invoke(args=["import", "needs", str(DEV / "needs.csv")])
    assert result.exit_code == 0
    assert "unknown distance" not in result.output  # Épinal is in the commune table
    with app.app_context():
        need = db.session.scalar(
            select(Need).where(Need.commune == "Épinal", Need.lat.is_not(None))
        )
        assert need is not None
    result = runner.invoke(args=["import", "offers", str(DEV / "offers.csv")])
    assert result.exit_code == 0


def test_unknown_commune_still_imports_with_a_warning(runner, app, tmp_path):
    header, rows = read("needs")
    for column, value in (
        ("postcode", "55170"),
        ("commune", "Ancerville"),
        ("lat", ""),
        ("lon", ""),
    ):
        rows[4][header.index(column)] = value
    result = runner.invoke(args=["import", "needs", str(write(tmp_path / "n.csv", header, rows))])
    assert result.exit_code == 0
    assert (
        "row 6: Ancerville (55170) is not in the commune table; the distance will be unknown"
        in result.output
    )
    with app.app_context():
        assert db.session.scalar(select(Need.lat).where(Need.ref == rows[4][0])) is None


def test_other_rows_of_the_file_locate_a_commune_the_table_lacks(runner, app):
    # Épinal and Metz have coordinates on one row of needs.csv and none on another.
    result = runner.invoke(args=["import", "needs", str(DEV / "needs.csv")])
    assert "unknown distance" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Need.id)).where(Need.lat.is_(None))) == 0


def test_organisation_kind_conflicts_are_errors(runner, app, tmp_path):
    runner.invoke(args=["import", "offers", str(DEV / "offers.csv")])
    header, rows = read("needs")
    rows[0][header.index("sme")] = "La Poste"  # a group of the offers file
    rows[0][header.index("siren")] = ""
    before = counts(app)
    result = runner.invoke(args=["import", "needs", str(write(tmp_path / "n.csv", header, rows))])
    assert result.exit_code != 0
    assert "row 2, column sme: La Poste already exists as another kind" in result.output
    assert counts(app) == before


def test_export_then_import_is_identity(runner, app, factory, client, tmp_path):
    runner.invoke(args=["import", "needs", str(DEV / "needs.csv")])
    runner.invoke(args=["import", "offers", str(DEV / "offers.csv")])
    from tests.conftest import login

    admin = factory.user(role="admin")
    login(client, admin.email, factory.password)
    needs_csv = client.get("/needs/export.csv")
    offers_csv = client.get("/offers/export.csv")
    assert needs_csv.mimetype == "text/csv"
    from tests.test_demo import snapshot

    before = snapshot(app)
    for kind, response in (("needs", needs_csv), ("offers", offers_csv)):
        path = tmp_path / f"roundtrip-{kind}.csv"
        path.write_bytes(response.data)
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output
        assert "0 created, 0 updated" in result.output
    assert snapshot(app) == before
    again = client.get("/needs/export.csv")
    assert again.data == needs_csv.data
    header = needs_csv.data.decode().splitlines()[0]
    assert header == ",".join(read("needs")[0])


FORMULAS = ['=HYPERLINK("http://evil.example","clic")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1"]


def test_exports_carry_no_formulas_and_import_back_unchanged(
    runner, app, client, factory, tmp_path
):
    header, rows = read("needs")
    for row, title in zip(rows, FORMULAS, strict=False):
        row[header.index("title")] = title
    path = write(tmp_path / "formulas.csv", header, rows)
    assert runner.invoke(args=["import", "needs", str(path)]).exit_code == 0
    from tests.conftest import login

    admin = factory.user(role="admin")
    login(client, admin.email, factory.password)
    exported = client.get("/needs/export.csv").data
    cells = [c for line in csv.reader(io.StringIO(exported.decode("utf-8"))) for c in line]
    for title in FORMULAS:
        assert "'" + title in cells and title not in cells
    assert not any(c.startswith(("=", "+", "@", "\t")) for c in cells)
    with app.app_context():
        before = {n.ref: (n.title, n.description) for n in db.session.scalars(select(Need))}
    again = tmp_path / "again.csv"
    again.write_bytes(exported)
    result = runner.invoke(args=["import", "needs", str(again)])
    assert result.exit_code == 0 and "0 created, 0 updated" in result.output, result.output
    with app.app_context():
        after = {n.ref: (n.title, n.description) for n in db.session.scalars(select(Need))}
    assert after == before  # the importer took off exactly what the exporter added
    assert client.get("/needs/export.csv").data == exported


def test_the_xlsx_report_stores_a_formula_title_as_text(runner, app, client, factory):
    from openpyxl import load_workbook

    from tests.conftest import login

    runner.invoke(args=["demo", "load", "--no-history"])
    runner.invoke(args=["jobs", "run", "log-delivered-days"])  # the demo's days, in the report
    with app.app_context():
        need = db.session.scalar(select(Need).where(Need.ref == "N-DEMO-1"))
        need.title = FORMULAS[0]
        db.session.commit()
    admin = factory.user(role="admin")
    login(client, admin.email, factory.password)
    response = client.get("/reports.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    cells = [c for row in book["Missions"].iter_rows() for c in row if c.value == FORMULAS[0]]
    assert cells and all(c.data_type == "s" for c in cells)
    report_csv = client.get("/reports.csv").get_data(as_text=True)
    assert not any(line.startswith(("=", "+", "@")) for line in report_csv.splitlines())
