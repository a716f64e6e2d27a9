"""Builders of test records, committed for real in the test database."""

from __future__ import annotations

import functools
import itertools
from datetime import date

from flask import has_app_context

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import ROLE_ORG_KIND, Role
from marketplace.accounts.services import hash_password
from marketplace.conventions.models import Convention, ConventionGroup, Territory
from marketplace.extensions import db
from tests.units import DAY

_counter = itertools.count(1)


def valid_siren(seed: int) -> str:
    from marketplace.accounts.siren import luhn_ok

    base = f"{seed % 10**8:08d}"
    for digit in "0123456789":
        if luhn_ok(base + digit):
            return base + digit
    raise AssertionError("unreachable")


def in_app_context(method):
    """Run a builder inside an app context, returning a detached, loaded record.

    Tests must not hold an app context across client requests (Flask would
    reuse it, and with it `g` and the session), so each builder opens its own.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if has_app_context():
            return method(self, *args, **kwargs)
        with self.app.app_context():
            record = method(self, *args, **kwargs)
            db.session.refresh(record)
            return record

    return wrapper


class Factory:
    password = "correct horse battery staple"  # noqa: S105

    def __init__(self, app):
        self.app = app

    @in_app_context
    def territory(self, name: str | None = None) -> Territory:
        territory = Territory(
            name=name or f"Territoire {next(_counter)}",
            departement="54",
            centre_lat=48.68,
            centre_lon=5.89,
        )
        db.session.add(territory)
        db.session.commit()
        return territory

    @in_app_context
    def organisation(self, kind: str = "sme", territory: Territory | None = None, **fields):
        n = next(_counter)
        territory = territory or self.territory()
        organisation = Organisation(
            kind=kind,
            name=fields.pop("name", f"Organisation {n}"),
            siren=fields.pop("siren", valid_siren(n * 7919)),
            postcode=fields.pop("postcode", "54200"),
            commune=fields.pop("commune", "Toul"),
            territory_id=territory.id,
            **fields,
        )
        db.session.add(organisation)
        db.session.commit()
        return organisation

    @in_app_context
    def convention(self, territory: Territory, coordinators=(), groups=(), quota=100.0):
        convention = Convention(
            name=f"Convention {next(_counter)}",
            territory_id=territory.id,
            starts_on=date(2025, 1, 1),
            ends_on=date(2027, 12, 31),
            quota_minutes=round(quota * DAY),
            status="active",
        )
        convention.coordinators.extend(coordinators)
        for group in groups:
            convention.partners.append(
                ConventionGroup(organisation=group, committed_minutes=20 * DAY)
            )
        db.session.add(convention)
        db.session.commit()
        return convention

    @in_app_context
    def user(
        self,
        role: str = "sme_manager",
        organisation: Organisation | None = None,
        is_active: bool = True,
        email: str | None = None,
        territory: Territory | None = None,
    ) -> User:
        n = next(_counter)
        kind = ROLE_ORG_KIND.get(Role(role))
        if organisation is None and kind is not None:
            organisation = self.organisation(kind=kind.value, territory=territory)
        user = User(
            email=email or f"user{n}@test.example",
            name=f"User {n}",
            role=role,
            organisation=organisation,
            is_active_account=is_active,
            password_hash=hash_password(self.password, self.app.config["PASSWORD_HASH_METHOD"]),
        )
        db.session.add(user)
        db.session.commit()
        if role == "coordinator":
            self.convention(
                db.session.get(Territory, organisation.territory_id), coordinators=[user]
            )
        return user
