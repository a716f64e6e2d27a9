"""Which organisations, territories and users a staff member manages."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.models import Territory
from marketplace.conventions.services import coordinator_territory_ids, organisation_scope
from marketplace.extensions import db


def manageable_territories(actor: User) -> list[Territory]:
    query = select(Territory).order_by(Territory.name)
    if actor.role != Role.ADMIN:
        query = query.where(Territory.id.in_(coordinator_territory_ids(actor)))
    return list(db.session.scalars(query))


def manageable_organisations(actor: User) -> list[Organisation]:
    query = (
        select(Organisation)
        .where(organisation_scope(actor))
        .order_by(Organisation.kind, Organisation.name)
    )
    return list(db.session.scalars(query))


def manageable_users(actor: User) -> list[User]:
    query = select(User).order_by(User.name)
    if actor.role != Role.ADMIN:
        query = query.join(Organisation).where(organisation_scope(actor))
    return list(db.session.scalars(query))
