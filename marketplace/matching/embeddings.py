"""Stored encoder vectors: computed once per text and model, read back for matching."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import delete, insert, select

from marketplace import clock
from marketplace.extensions import db
from marketplace.listings.models import LIVE_STATUSES
from marketplace.matching import encoder
from marketplace.matching.models import ListingEmbedding
from marketplace.needs.models import Need
from marketplace.offers.models import Offer

# Listings encoded per batch (and per commit in `match embed` and the job).
BATCH = 256


def _column(kind: type):
    return ListingEmbedding.need_id if kind is Need else ListingEmbedding.offer_id


def _text_of(listing) -> str:
    return encoder.listing_text(listing.title, listing.skills, listing.description)


def _key_of(listing) -> str:
    return encoder.text_key(_text_of(listing))


def _stored(listings: list, *columns) -> dict[int, tuple]:
    """Listing id -> these columns of its stored vector row (read in chunks of ids)."""
    column = _column(type(listings[0]))
    ids = [item.id for item in listings]
    found: dict[int, tuple] = {}
    for start in range(0, len(ids), 5000):
        rows = db.session.execute(
            select(column, *columns).where(column.in_(ids[start : start + 5000]))
        )
        found.update((listing_id, tuple(rest)) for listing_id, *rest in rows)
    return found


def stale(listings: list) -> list:
    """The listings whose stored vector is missing or was made from another text or model."""
    if not listings:
        return []
    stored = _stored(listings, ListingEmbedding.text_key)
    return [item for item in listings if stored.get(item.id) != (_key_of(item),)]


def store_vectors(
    listings: list,
    progress: Callable[[int], None] | None = None,
    found: dict[int, np.ndarray] | None = None,
) -> int:
    """Encode these listings and store (or replace) their vectors; returns how many.

    With `found`, the vectors are also put there by listing id, as they read back from the
    database (float16), so that a listing scores the same now and later.
    """
    if not listings:
        return 0
    column = _column(type(listings[0]))
    for start in range(0, len(listings), BATCH):
        part = listings[start : start + BATCH]
        texts = [_text_of(item) for item in part]
        stored = [encoder.to_bytes(vector) for vector in encoder.encode(texts)]
        db.session.execute(delete(ListingEmbedding).where(column.in_([i.id for i in part])))
        now = clock.now()
        db.session.execute(
            insert(ListingEmbedding),
            [
                {
                    column.key: item.id,
                    "text_key": encoder.text_key(text),
                    "vector": data,
                    "updated_at": now,
                }
                for item, text, data in zip(part, texts, stored, strict=True)
            ],
        )
        if found is not None:
            found.update(
                (item.id, encoder.from_bytes(data)) for item, data in zip(part, stored, strict=True)
            )
        if progress is not None:
            progress(len(part))
    db.session.flush()
    return len(listings)


def current_vectors(listings: list, fill_limit: int | None = None) -> dict[int, np.ndarray]:
    """Listing id -> its vector for the current text and model.

    Missing or stale vectors are computed and stored, unless there are more than
    `fill_limit` of them (a request after a model change): those listings are then left
    out, and the `refresh-proposals` job or `match embed` computes them in the background.
    """
    if not listings:
        return {}
    stored = _stored(listings, ListingEmbedding.text_key, ListingEmbedding.vector)
    found: dict[int, np.ndarray] = {}
    missing = []
    for item in listings:
        key, data = stored.get(item.id, (None, b""))
        if key == _key_of(item):
            found[item.id] = encoder.from_bytes(data)
        else:
            missing.append(item)
    if missing and (fill_limit is None or len(missing) <= fill_limit):
        store_vectors(missing, found=found)
    return found


def missing_listings() -> list:
    """Live needs and offers (draft or open) whose vector is missing or stale."""
    needs = list(db.session.scalars(select(Need).where(Need.status.in_(LIVE_STATUSES))))
    offers = list(db.session.scalars(select(Offer).where(Offer.status.in_(LIVE_STATUSES))))
    return stale(needs) + stale(offers)


def fill_vectors(missing: list | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Compute the missing or stale vectors of the live listings (or of `missing`, from
    missing_listings()); returns how many."""
    missing = missing_listings() if missing is None else missing
    needs = [item for item in missing if isinstance(item, Need)]
    offers = [item for item in missing if isinstance(item, Offer)]
    return store_vectors(needs, progress) + store_vectors(offers, progress)
