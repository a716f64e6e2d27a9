"""A territory with its fund (100,000 €), an SME and its manager, a coordinator, a group and
its referent, and a committee of four (quorum 3), one of whom is the SME's own director
(recused on its dossiers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from marketplace.accounts.models import User
from marketplace.advances.models import Committee, CommitteeMember, Fund
from marketplace.advances.services import add_contribution
from marketplace.extensions import db

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@dataclass
class FinanceWorld:
    fund_id: int
    committee_id: int
    sme_id: int
    territory_id: int
    people: dict[str, User]
    members: dict[str, int]


def build_finance(app, factory, endowment_cents: int = 10_000_000) -> FinanceWorld:
    territory = factory.territory()
    territory_id = territory.id
    sme = factory.organisation("sme", territory)
    group = factory.organisation("group", territory)
    other_sme = factory.organisation("sme", territory)
    sme_id, group_id = sme.id, group.id
    coordinator = factory.user("coordinator", territory=territory)
    manager = factory.user("sme_manager", organisation=sme)
    outsider = factory.user("sme_manager", organisation=other_sme)
    referent = factory.user("group_referent", organisation=group)
    volunteer = factory.user("volunteer", organisation=group)
    with app.app_context():
        fund = Fund(territory_id=territory_id, name=f"Fonds {territory_id}")
        db.session.add(fund)
        db.session.flush()
        add_contribution(
            db.session.get(User, coordinator.id),
            fund,
            None,
            "Michelin",
            endowment_cents,
            date(2012, 3, 1),
            NOW,
        )
        committee = Committee(territory_id=territory_id, name="Comité d'agrément", quorum=3)
        db.session.add(committee)
        db.session.flush()
        members = {}
        for key, user, organisation, seat in (
            ("referent", referent, group_id, "group"),
            ("coordinator", coordinator, None, "operator"),
            ("bank", None, None, "bank"),
            ("sme_director", None, sme_id, "group"),
        ):
            member = CommitteeMember(
                committee_id=committee.id,
                user_id=user.id if user else None,
                name=f"Membre {key}",
                organisation_id=organisation,
                seat=seat,
                joined_on=date(2012, 1, 1),
            )
            db.session.add(member)
            db.session.flush()
            members[key] = member.id
        db.session.commit()
        return FinanceWorld(
            fund.id,
            committee.id,
            sme_id,
            territory_id,
            {
                "coordinator": coordinator,
                "sme_manager": manager,
                "outsider": outsider,
                "group_referent": referent,
                "volunteer": volunteer,
            },
            members,
        )
