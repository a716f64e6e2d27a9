"""The commune table: national files in, coordinates out."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.geo.distance import haversine_km
from marketplace.geo.models import Commune
from marketplace.geo.services import Geocoder

DATA = Path(__file__).parent / "data"


def load_communes(runner, name="communes_francecities.csv"):
    result = runner.invoke(args=["geo", "import", str(DATA / name)])
    assert result.exit_code == 0, result.output
    return result


def test_francecities_format(runner, app):
    result = load_communes(runner)
    assert "7 commune/postcode pairs loaded from 8 rows; 1 rows skipped" in result.output
    with app.app_context():
        nancy = db.session.scalars(select(Commune).where(Commune.insee_code == "54395")).all()
        assert sorted(c.postcode for c in nancy) == ["54000", "54100"]
        assert nancy[0].name_key == "nancy" and nancy[0].postcode_prefix == "54"


def test_laposte_format_semicolons_and_gps_column(runner, app):
    result = load_communes(runner, "communes_laposte.csv")
    assert "3 commune/postcode pairs" in result.output  # Thionville twice, Metz without GPS
    with app.app_context():
        ecrouves = db.session.scalar(select(Commune).where(Commune.insee_code == "54176"))
        assert (ecrouves.lat, ecrouves.lon) == (48.6833, 5.8456)


def test_reloading_a_file_changes_nothing(runner, app):
    load_communes(runner)
    load_communes(runner)
    with app.app_context():
        assert db.session.scalar(select(func.count(Commune.id))) == 7


def test_unrecognised_file_is_refused(runner, tmp_path, app):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = runner.invoke(args=["geo", "import", str(bad)])
    assert result.exit_code != 0
    assert "row 1" in result.output and "unrecognised header" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Commune.id))) == 0


@pytest.mark.parametrize(
    ("postcode", "commune", "how"),
    [
        ("54000", "Nancy", "exact"),
        ("88000", "EPINAL", "exact"),
        ("54700", "Pont a Mousson", "exact"),
        ("54300", "Lunévile", "fuzzy"),
        ("54201", "Toul", "department"),
    ],
)
def test_geocoder_exact_then_tolerant(runner, app, postcode, commune, how):
    load_communes(runner)
    with app.app_context():
        place = Geocoder().locate(postcode, commune)
    assert place is not None and place.how == how


def test_geocoder_gives_up_rather_than_guess(runner, app):
    load_communes(runner)
    with app.app_context():
        geocoder = Geocoder()
        assert geocoder.locate("54200", "Paris") is None
        assert geocoder.locate("75008", "Paris") is None
        assert geocoder.communes_of("54200") == ["Toul"]


def test_haversine():
    assert haversine_km(48.68655, 5.89508, 48.6902, 6.17588) == pytest.approx(20.6, abs=0.2)
    assert haversine_km(48.0, 6.0, 48.0, 6.0) == 0
