"""Small SQL helpers shared by the features (pure SQLAlchemy, no models)."""

from __future__ import annotations

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from marketplace.extensions import db


def among(column, ids: list[int]):
    """column IN ids: one array parameter on PostgreSQL rather than thousands."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", value=ids, type_=ARRAY(Integer)))
    return column.in_(ids)
