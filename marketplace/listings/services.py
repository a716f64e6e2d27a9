"""Rules shared by needs and offers: search text, territory, lifecycle, browsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process
from sqlalchemy import Select, func, select, update

from marketplace.accounts.models import Organisation
from marketplace.conventions.models import Territory
from marketplace.errors import InvalidTransition
from marketplace.extensions import db
from marketplace.geo.distance import haversine_km
from marketplace.geo.services import Geocoder
from marketplace.listings.models import LIVE_STATUSES, ListingStatus
from marketplace.listings.skills import remember_skills
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.textnorm import fold, split_list

TERRITORY_RADIUS_KM = 40.0

# action -> (statuses it may start from, status it leads to). One table for both
# needs and offers; the statuses a model does not have never match.
S = ListingStatus
TRANSITIONS = {
    "publish": ((S.DRAFT,), S.OPEN),
    "close": ((S.OPEN, S.MATCHED), S.CLOSED),
    "cancel": ((S.DRAFT, S.OPEN, S.MATCHED), S.CANCELLED),
    "reopen": ((S.CLOSED, S.EXPIRED), S.OPEN),
}
EDITABLE_STATUSES = LIVE_STATUSES

ACTION_LABELS = {
    "publish": _l("Publish"),
    "close": _l("Close"),
    "cancel": _l("Cancel"),
    "reopen": _l("Reopen"),
}


def ensure_editable(record) -> None:
    """Only drafts and open records can be edited: later states are history."""
    if record.status not in EDITABLE_STATUSES:
        raise InvalidTransition(_l("This can only be edited while it is a draft or open."))


def search_text_for(ref: str, title: str, skills: str, org_name: str, commune: str) -> str:
    return fold(" ".join((ref, title, skills.replace(";", " "), org_name, commune)))


def nearest_territory_id(lat: float | None, lon: float | None) -> int | None:
    """The territory whose centre is nearest, if within TERRITORY_RADIUS_KM."""
    if lat is None or lon is None:
        return None
    best = None
    for territory in db.session.scalars(select(Territory)):
        distance = haversine_km(lat, lon, territory.centre_lat, territory.centre_lon)
        if distance <= TERRITORY_RADIUS_KM and (best is None or distance < best[0]):
            best = (distance, territory.id)
    return best[1] if best else None


def allowed_actions(status: str, statuses: tuple[str, ...]) -> list[str]:
    return [
        action
        for action, (sources, target) in TRANSITIONS.items()
        if status in sources and target in statuses
    ]


def transition(record, action: str, now: datetime) -> None:
    """Move a need or offer through its lifecycle, or raise InvalidTransition.

    A conditional UPDATE: two people acting at once cannot both move it.
    """
    model = type(record)
    sources, target = TRANSITIONS.get(action, ((), None))
    if target not in model.STATUSES or record.status not in sources:
        raise InvalidTransition(
            _l("This action is not possible when the status is %(status)s.", status=record.status)
        )
    values = {"status": target, "updated_at": now}
    if action == "publish":
        values["published_at"] = now
    result = db.session.execute(
        update(model)
        .where(model.id == record.id, model.status.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(_l("Someone changed this record at the same time; reload it."))
    db.session.refresh(record)


@dataclass
class ListFilters:
    q: str = ""
    category: str = ""
    status: str = ""
    commune: str = ""
    territory_id: int | None = None
    window_from: date | None = None
    window_to: date | None = None
    sort: str = "recent"
    page: int = 1


SORTS = {
    "recent": lambda m: (m.created_at.desc(), m.id.desc()),
    "start": lambda m: (m.starts_on.asc(), m.id.asc()),
    "days": lambda m: (m.days.desc(), m.id.desc()),
    "title": lambda m: (m.title.asc(), m.id.asc()),
}
PER_PAGE = 25
SEARCH_MIN_SCORE = 85


def apply_filters(query: Select, model, organisation_model, filters: ListFilters) -> Select:
    if filters.category:
        query = query.where(model.category == filters.category)
    if filters.status:
        query = query.where(model.status == filters.status)
    if filters.commune:
        query = query.where(model.commune_key == fold(filters.commune))
    if filters.territory_id:
        query = query.where(organisation_model.territory_id == filters.territory_id)
    if filters.window_from:
        query = query.where(model.ends_on >= filters.window_from)
    if filters.window_to:
        query = query.where(model.starts_on <= filters.window_to)
    return query


def fetch_plain(statement: Select) -> list[tuple]:
    """Rows of a SELECT as plain tuples, skipping the ORM's per-row work.

    Fuzzy search reads the text of every row that passes the filters (tens
    of thousands); building Row objects for them costs more than the query.
    """
    connection = db.session.connection()
    # render_postcompile expands IN lists (a coordinator's territories) into plain binds.
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    values = compiled.construct_params()
    for name, bind in compiled.binds.items():
        processor = bind.type.bind_processor(connection.dialect)
        if processor is not None and name in values:
            values[name] = processor(values[name])
    if compiled.positional:
        params = tuple(values[name] for name in compiled.positiontup)
    else:
        params = values
    # The driver's own cursor: even exec_driver_sql() builds a Row per row, which cost
    # ~90 ms of a 180 ms search over 50,000 needs. Inside the session's transaction.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def fuzzy_ids(query: Select, model, text: str) -> list[int]:
    """Ids of the filtered rows matching every word typed, best first.

    Each word is looked for anywhere in the row's folded text with
    rapidfuzz's partial_ratio, so accents, case and a typo or two are
    forgiven; words of three letters or less must appear as typed (folded).
    """
    words = [w for w in fold(text).split() if len(w) >= 2][:8]
    if not words:
        return []
    rows = fetch_plain(query.with_only_columns(model.id, model.search_text))
    if not rows:
        return []
    texts = [r[1] for r in rows]
    scores = process.cdist(
        words,
        texts,
        scorer=fuzz.partial_ratio,
        workers=-1,
        dtype=np.uint8,
        score_cutoff=SEARCH_MIN_SCORE,
    )
    for index, word in enumerate(words):
        if len(word) <= 3:
            # Short words (RH, QSE, ERP): whole-word presence, no fuzziness.
            scores[index] = [100 if f" {word} " in f" {t} " else 0 for t in texts]
    worst = scores.min(axis=0)
    total = scores.sum(axis=0, dtype=np.int32)
    keep = np.nonzero(worst >= SEARCH_MIN_SCORE)[0]
    order = keep[np.lexsort((keep, -total[keep]))]  # best total first, then list order
    return [rows[i][0] for i in order.tolist()]


@dataclass
class PlaceCheck:
    lat: float | None
    lon: float | None
    suggestions: list[str]

    @property
    def unknown_commune(self) -> bool:
        """The postcode is known but the commune does not match any of its names."""
        return self.lat is None and bool(self.suggestions)


def check_place(postcode: str, commune: str) -> PlaceCheck:
    """Coordinates of a commune typed in a form, or the names known for the postcode."""
    geocoder = Geocoder()
    place = geocoder.locate(postcode, commune)
    if place is not None:
        return PlaceCheck(place.lat, place.lon, [])
    return PlaceCheck(None, None, geocoder.communes_of(postcode))


def assign_ref(record, prefix: str) -> None:
    """Give a record created on the web its reference, e.g. N-000123 (after flush)."""
    model = type(record)
    ref = f"{prefix}-{record.id:06d}"
    suffix = 1
    while db.session.scalar(select(model.id).where(model.ref == ref, model.id != record.id)):
        suffix += 1
        ref = f"{prefix}-{record.id:06d}-{suffix}"
    record.ref = ref


def _offset(page: int, total: int) -> int:
    """The first row of a page, a page past the end being the last one (never a long skip)."""
    last = max(1, -(-total // PER_PAGE))
    return (min(max(page, 1), last) - 1) * PER_PAGE


def page_of(query: Select, model, filters: ListFilters, options=()) -> tuple[list, int]:
    """One page of the filtered list, and the total count (fuzzy search or SQL order)."""
    if filters.q.strip():
        ids = fuzzy_ids(query, model, filters.q)
        offset = _offset(filters.page, len(ids))
        page_ids = ids[offset : offset + PER_PAGE]
        records = {
            r.id: r
            for r in db.session.scalars(
                select(model).where(model.id.in_(page_ids)).options(*options)
            )
        }
        return [records[i] for i in page_ids], len(ids)
    total = db.session.scalar(query.with_only_columns(func.count(model.id)).order_by(None))
    offset = _offset(filters.page, total)
    ordered = query.order_by(*SORTS.get(filters.sort, SORTS["recent"])(model))
    records = db.session.scalars(ordered.options(*options).offset(offset).limit(PER_PAGE)).all()
    return list(records), total


def all_filtered(query: Select, model, filters: ListFilters, options=()) -> list:
    """Every record of the filtered list, in list order (for the CSV export)."""
    if filters.q.strip():
        ids = fuzzy_ids(query, model, filters.q)
        records = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            records.update(
                {
                    r.id: r
                    for r in db.session.scalars(
                        select(model).where(model.id.in_(chunk)).options(*options)
                    )
                }
            )
        return [records[i] for i in ids]
    ordered = query.order_by(*SORTS.get(filters.sort, SORTS["recent"])(model))
    return list(db.session.scalars(ordered.options(*options)))


def finish_save(record, prefix: str, now: datetime) -> None:
    """After the fields of a need or offer are set: ref, search text, skill tags."""
    record.updated_at = now
    db.session.flush()
    if record.ref.startswith("new-"):
        assign_ref(record, prefix)
    organisation = db.session.get(Organisation, record.organisation_id)
    record.search_text = search_text_for(
        record.ref, record.title, record.skills, organisation.name, record.commune
    )
    record.commune_key = fold(record.commune)
    remember_skills(split_list(record.skills))
    db.session.flush()


def expire_listings(today: date, now: datetime) -> dict:
    """Needs and offers still live (draft or open) whose window has passed."""
    counts = {}
    for key, model in (("needs", Need), ("offers", Offer)):
        counts[key] = (
            db.session.execute(
                update(model)
                .where(model.status.in_(LIVE_STATUSES), model.ends_on < today)
                .values(status=ListingStatus.EXPIRED, updated_at=now)
            ).rowcount
            or 0
        )
    return counts
