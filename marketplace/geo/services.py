"""Loading the national communes files, and geocoding a postcode + commune."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlalchemy import delete, select

from marketplace.accounts.siren import postcode_ok
from marketplace.extensions import db
from marketplace.geo.models import Commune
from marketplace.textnorm import fold

# Accepted header names (folded), for each of our fields. Covers the public
# national files: La Poste's "base officielle des codes postaux" (either
# release), data.gouv's "communes de France" and the FranceCities CSV.
# The few communes the demo and the project's own data sets use (FranceCities layout).
DEMO_COMMUNES = Path(__file__).parent / "data" / "communes-demo.csv"

HEADER_ALIASES = {
    "insee_code": (
        "code commune insee",
        "code insee",
        "insee code",
        "ref insee",
        "insee",
        "code commune",
    ),
    "name": (
        "nom de la commune",
        "nom commune",
        "nom standard",
        "nom",
        "name",
        "commune",
        "libelle",
    ),
    "postcode": (
        "code postal",
        "codes postaux",
        "zip codes",
        "postcode",
        "code postaux",
        "zip code",
    ),
    "lat": ("latitude", "lat", "latitude centre", "latitude mairie"),
    "lon": ("longitude", "lon", "lng", "longitude centre", "longitude mairie"),
    "gps": ("coordonnees gps", "coordonnees geographiques", "geo point 2d"),
}


class CommuneFileError(ValueError):
    """A problem in a communes file, naming the row and the column."""


@dataclass
class CommuneImportReport:
    rows: int = 0
    communes: int = 0
    skipped: list[str] = field(default_factory=list)


def _find_columns(header: list[str]) -> dict[str, int]:
    folded = [fold(h.lstrip("\ufeff#")) for h in header]
    found: dict[str, int] = {}
    for key, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if alias in folded:
                found[key] = folded.index(alias)
                break
    missing = [k for k in ("insee_code", "name", "postcode") if k not in found]
    if missing or not (("lat" in found and "lon" in found) or "gps" in found):
        raise CommuneFileError(
            "row 1: unrecognised header; expected columns for INSEE code, commune name, "
            "postcode(s) and coordinates (latitude/longitude or coordonnees_gps)"
        )
    return found


def _coordinates(row: list[str], columns: dict[str, int]) -> tuple[float, float] | None:
    try:
        if "lat" in columns and "lon" in columns:
            lat_text, lon_text = row[columns["lat"]], row[columns["lon"]]
        else:
            lat_text, lon_text = row[columns["gps"]].split(",")
        lat, lon = float(lat_text.strip()), float(lon_text.strip())
    except (ValueError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def parse_communes(text: str) -> Iterator[tuple[int, dict | str]]:
    """Yield (row number, commune dict) or (row number, reason skipped)."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise CommuneFileError("row 1: the file is empty")
    columns = _find_columns(header)
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            insee = row[columns["insee_code"]].strip()
            name = row[columns["name"]].strip()
            postcodes = row[columns["postcode"]]
        except IndexError:
            yield number, "missing cells"
            continue
        coords = _coordinates(row, columns)
        if coords is None:
            yield number, "no coordinates"
            continue
        codes = [c.strip() for c in postcodes.replace(";", ",").replace("|", ",").split(",")]
        codes = [c.zfill(5) for c in codes if c.strip().isdigit()]
        if not insee or not name or not any(postcode_ok(c) for c in codes):
            yield number, "incomplete row"
            continue
        for code in codes:
            if postcode_ok(code):
                yield (
                    number,
                    {
                        "insee_code": insee.zfill(5),
                        "name": name,
                        "postcode": code,
                        "lat": coords[0],
                        "lon": coords[1],
                    },
                )


def import_communes(text: str) -> CommuneImportReport:
    """Insert or replace the communes of a file (keyed by INSEE code + postcode)."""
    report = CommuneImportReport()
    records: dict[tuple[str, str], dict] = {}
    for number, item in parse_communes(text):
        report.rows += 1
        if isinstance(item, str):
            report.skipped.append(f"row {number}: {item}")
            continue
        # A file lists a commune once per postcode, and sometimes a postcode twice
        # (delivery names): the first one wins.
        records.setdefault((item["insee_code"], item["postcode"]), item)
    existing = (
        {(c.insee_code, c.postcode): c for c in db.session.scalars(select(Commune)).all()}
        if records
        else {}
    )
    new_rows = []
    for key, item in records.items():
        values = {**item, "name_key": fold(item["name"]), "postcode_prefix": item["postcode"][:2]}
        current = existing.get(key)
        if current is None:
            new_rows.append(values)
        else:
            for attr, value in values.items():
                setattr(current, attr, value)
    if new_rows:
        db.session.execute(Commune.__table__.insert(), new_rows)
    report.communes = len(records)
    return report


def delete_all_communes() -> None:
    db.session.execute(delete(Commune))


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    name: str
    how: str  # exact | fuzzy | department


class Geocoder:
    """Postcode + commune name -> coordinates, from the commune table.

    Exact (postcode and folded name), then a typo-tolerant name among the
    communes of that postcode, then the same name in the postcode's
    département (the postcode itself may be wrong). Results are cached, so an
    import of thousands of rows asks the database once per postcode.
    """

    FUZZY_MIN = 85

    def __init__(self) -> None:
        self._by_postcode: dict[str, list[Commune]] = {}
        self._by_prefix: dict[str, list[Commune]] = {}

    def _postcode(self, postcode: str) -> list[Commune]:
        if postcode not in self._by_postcode:
            self._by_postcode[postcode] = list(
                db.session.scalars(select(Commune).where(Commune.postcode == postcode))
            )
        return self._by_postcode[postcode]

    def _prefix(self, prefix: str) -> list[Commune]:
        if prefix not in self._by_prefix:
            self._by_prefix[prefix] = list(
                db.session.scalars(select(Commune).where(Commune.postcode_prefix == prefix))
            )
        return self._by_prefix[prefix]

    @staticmethod
    def _best(key: str, candidates: Iterable[Commune], minimum: int) -> Commune | None:
        candidates = list(candidates)
        if not candidates or not key:
            return None
        match = process.extractOne(
            key, [c.name_key for c in candidates], scorer=fuzz.ratio, score_cutoff=minimum
        )
        return candidates[match[2]] if match else None

    def locate(self, postcode: str | None, commune: str | None) -> Place | None:
        postcode = (postcode or "").strip()
        key = fold(commune)
        if not key:
            return None
        candidates = self._postcode(postcode) if postcode else []
        for row in candidates:
            if row.name_key == key:
                return Place(row.lat, row.lon, row.name, "exact")
        row = self._best(key, candidates, self.FUZZY_MIN)
        if row is not None:
            return Place(row.lat, row.lon, row.name, "fuzzy")
        if len(postcode) >= 2:
            row = self._best(key, self._prefix(postcode[:2]), 92)
            if row is not None:
                return Place(row.lat, row.lon, row.name, "department")
        return None

    def communes_of(self, postcode: str) -> list[str]:
        """Names known for a postcode (to suggest when a name is not found)."""
        return sorted({c.name for c in self._postcode(postcode)})
