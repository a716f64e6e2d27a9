"""Small SQL helpers shared by the features (pure SQLAlchemy, no models)."""

from __future__ import annotations

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from marketplace.extensions import db


def among(column, ids: list[int]):
    """column IN ids: one array parameter on PostgreSQL rather than thousands."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", value=ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def upsert(table):
    """INSERT … ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)
