"""Keyset pages for lists that grow without bound (missions, proposals).

A page is the next `size` rows after a cursor in an indexed order, never an OFFSET into the
whole visible set: page 10,000 costs what page 1 costs. The cursor is the sort key of the
last row shown, signed (itsdangerous, with SECRET_KEY) so a tampered or made-up cursor is a
400, not a query on whatever it says. Counts stop at a bound (« plus de 10 000 »).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, func, literal, select, tuple_

from marketplace.extensions import db
from marketplace.params import BadParameter

PAGE_SIZE = 50
COUNT_BOUND = 10_000


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    count: int  # at most COUNT_BOUND + 1: more than COUNT_BOUND
    is_first: bool

    @property
    def count_is_bounded(self) -> bool:
        return self.count > COUNT_BOUND


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="keyset-cursor")


def _encode(values: tuple) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return _serializer().dumps(plain)


def _decode(cursor: str, kinds: tuple) -> tuple:
    try:
        values = _serializer().loads(cursor)
    except BadSignature:
        raise BadParameter("after", str(_l("not a valid page link"))) from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise BadParameter("after", str(_l("not a valid page link")))
    try:
        return tuple(
            datetime.fromisoformat(v) if kind is datetime else kind(v)
            for v, kind in zip(values, kinds, strict=True)
        )
    except (TypeError, ValueError):
        raise BadParameter("after", str(_l("not a valid page link"))) from None


def bounded_count(query: Select) -> int:
    """How many rows, counted up to COUNT_BOUND + 1 and no further."""
    limited = query.with_only_columns(*query.selected_columns[:1]).order_by(None)
    return db.session.scalar(
        select(func.count()).select_from(limited.limit(COUNT_BOUND + 1).subquery())
    )


def keyset_page(
    query: Select, keys: tuple, kinds: tuple, descending: bool = False, size: int = PAGE_SIZE
) -> KeysetPage:
    """The page after the request's `after` cursor, ordered by `keys` (unique together)."""
    raw = request.args.get("after", "")
    if len(raw) > 500:
        raise BadParameter("after", str(_l("not a valid page link")))
    count = bounded_count(query)
    ordered = query.order_by(None).order_by(*(k.desc() if descending else k for k in keys))
    if raw:
        last = _decode(raw, kinds)
        row = tuple_(*keys)
        # Typed parameters: a datetime goes through its column's type (UTC, as stored).
        after = tuple_(*(literal(v, type_=k.type) for v, k in zip(last, keys, strict=True)))
        ordered = ordered.where(row < after if descending else row > after)
    rows = list(db.session.scalars(ordered.limit(size + 1)).unique())
    more = len(rows) > size
    rows = rows[:size]
    cursor = None
    if more:
        cursor = _encode(tuple(_key_value(rows[-1], key) for key in keys))
    return KeysetPage(rows, cursor, count, not raw)


def _key_value(row, key):
    """The value of an ORM column attribute (or a joined model's) for one row."""
    owner = key.class_
    if isinstance(row, owner):
        return getattr(row, key.key)
    for relation in row.__mapper__.relationships:
        related = getattr(row, relation.key)
        if isinstance(related, owner):
            return getattr(related, key.key)
    raise LookupError(key)
