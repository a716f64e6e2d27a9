"""The demo's programme finance: the Terres de Lorraine fund (441,000 €, mostly from
Michelin; Saint-Gobain joins the committee in 2017) with its history of advances — repaid,
running, one written off — and a dossier waiting for the next committee; the Longwy basin
with its own fund. Everything goes through the services, so the counters, movements and
timelines are those the application itself writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.advances import committee as committees
from marketplace.advances import services
from marketplace.advances.models import Committee, CommitteeMember, Fund
from marketplace.advances.money import add_months
from marketplace.extensions import db

FUNDS = [
    {
        "territory": "Terres de Lorraine",
        "name": "Fonds Alizé Terres de Lorraine",
        "contributions": [
            ("Michelin", 30_000_000, date(2012, 3, 1)),
            ("Conseil départemental de Meurthe-et-Moselle", 5_000_000, date(2012, 3, 1)),
            ("Saint-Gobain PAM", 9_100_000, date(2017, 2, 1)),
        ],
        "committee": "Comité d'agrément Alizé Terres de Lorraine",
        "members": [
            # (name, user e-mail, organisation, seat, joined)
            ("Bernard Roche", None, "Michelin", "group", date(2012, 3, 1)),
            (
                "Rémi Lefèvre",
                "referent@saint-gobain-demo.example",
                "Saint-Gobain PAM",
                "group",
                date(2017, 2, 1),
            ),
            (
                "Claire Martin",
                "coordination@alize-demo.example",
                "Alizé Terres de Lorraine",
                "operator",
                date(2012, 3, 1),
            ),
            ("Paul Weber (banque partenaire)", None, None, "bank", date(2012, 3, 1)),
        ],
    },
    {
        "territory": "Bassin de Longwy",
        "name": "Fonds Alizé Bassin de Longwy",
        "contributions": [
            ("Groupe sidérurgique du bassin", 25_000_000, date(2014, 6, 1)),
            ("Région Grand Est", 10_000_000, date(2017, 1, 10)),
        ],
        "committee": "Comité d'agrément Alizé Bassin de Longwy",
        "members": [
            ("Hélène Marchal", None, None, "operator", date(2014, 6, 1)),
            ("Luc Fabert", None, None, "group", date(2014, 6, 1)),
            ("Banque du bassin", None, None, "bank", date(2014, 6, 1)),
        ],
    },
]

# (fund territory, SME, amount cents, term, grace, frequency, committee day, outcome)
ADVANCES = [
    (
        "Terres de Lorraine",
        "Menuiserie Colin",
        2_000_000,
        36,
        0,
        "monthly",
        date(2019, 3, 12),
        "Financer une ligne de ponçage ; prêt bancaire de 60 000 € obtenu en complément",
        "repaid",
    ),
    (
        "Terres de Lorraine",
        "Imprimerie du Toulois",
        1_500_000,
        48,
        6,
        "monthly",
        date(2015, 4, 14),
        "Passer une commande publique importante sans rupture de trésorerie",
        "written_off",
    ),
    (
        "Terres de Lorraine",
        "Transports Gérard et Fils",
        3_000_000,
        60,
        6,
        "quarterly",
        date(2024, 5, 14),
        "Acheter deux porteurs moins polluants pour les livraisons en centre-ville",
        "running",
    ),
    (
        "Bassin de Longwy",
        "Fonderie du Pays-Haut",
        2_500_000,
        48,
        3,
        "monthly",
        date(2025, 9, 15),
        "Remplacer le four de fusion (levier : prêt régional de 150 000 €)",
        "running",
    ),
    (
        "Terres de Lorraine",
        "Menuiserie Colin",
        2_500_000,
        48,
        6,
        "monthly",
        None,
        "Ouvrir un second atelier à Toul ; deux embauches prévues",
        "submitted",
    ),
]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def load_finance(today: date) -> int:
    """Create the funds, committees and advances if no fund exists yet; returns how many
    advances were created."""
    if db.session.scalar(select(Fund.id).limit(1)) is not None:
        return 0
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    organisations = {o.name: o for o in db.session.scalars(select(Organisation))}
    territories = {}
    for row in FUNDS:
        territory_id = next(
            o.territory_id
            for o in organisations.values()
            if o.territory and o.territory.name == row["territory"]
        )
        fund = Fund(territory_id=territory_id, name=row["name"])
        db.session.add(fund)
        db.session.flush()
        for name, cents, day in row["contributions"]:
            services.add_contribution(
                admin, fund, organisations.get(name), name, cents, day, _at(day)
            )
        committee = Committee(
            territory_id=territory_id,
            name=row["committee"],
            quorum=3 if len(row["members"]) > 3 else 2,
        )
        db.session.add(committee)
        db.session.flush()
        for name, email, organisation, seat, joined in row["members"]:
            user = db.session.scalar(select(User).where(User.email == email)) if email else None
            db.session.add(
                CommitteeMember(
                    committee_id=committee.id,
                    user_id=user.id if user else None,
                    name=name,
                    organisation_id=organisations[organisation].id if organisation else None,
                    seat=seat,
                    joined_on=joined,
                )
            )
        db.session.flush()
        db.session.refresh(committee)
        territories[row["territory"]] = (fund, committee)
    if "Imprimerie du Toulois" not in organisations:
        colin = organisations["Menuiserie Colin"]
        printer = Organisation(
            kind="sme",
            name="Imprimerie du Toulois",
            postcode="54200",
            commune="Toul",
            lat=colin.lat,
            lon=colin.lon,
            territory_id=colin.territory_id,
            headcount=9,
        )
        db.session.add(printer)
        db.session.flush()
        organisations[printer.name] = printer
    created = 0
    for territory, sme, cents, term, grace, frequency, day, purpose, outcome in ADVANCES:
        fund, committee = territories[territory]
        start = day or today
        advance = services.create_advance(
            admin,
            organisations[sme],
            {
                "amount_cents": cents,
                "purpose": purpose,
                "term_months": term,
                "grace_months": grace,
                "frequency": frequency,
                "headcount": organisations[sme].headcount,
                "jobs_to_create": 2,
                "jobs_to_preserve": organisations[sme].headcount,
            },
            [],
            _at(add_months(start, -1)),
        )
        created += 1
        services.act(admin, advance, "submit", _at(add_months(start, -1)))
        if outcome == "submitted":
            continue
        session = committees.create_session(admin, committee, day)
        committees.put_on_agenda(admin, session, advance, _at(day))
        voters = committees.members_on(committee, day)
        committees.set_attendance(admin, session, {m.id for m in voters})
        committees.decide(
            admin,
            session,
            list(session.items),
            "approved",
            {m.id: "for" for m in voters if not committees.is_recused(m, advance)},
            [],
            None,
            _at(day),
        )
        session.closed_at = _at(day)
        services.act(admin, advance, "contract", _at(add_months(day, 1)))
        paid_out = add_months(day, 1)
        services.disburse(admin, advance, cents, paid_out, _at(paid_out))
        rows = services.current_schedule(advance)
        due = [r for r in rows if r.due_on <= today]
        if outcome == "repaid":
            due = rows
        if outcome == "written_off":
            due = rows[:8]  # eight months paid, then the business failed
        for row in due:
            services.record_repayment(
                admin, advance, row.amount_cents, row.due_on, _at(row.due_on), f"VIR {advance.ref}"
            )
        if outcome == "written_off":
            services.flag_arrears(add_months(rows[8].due_on, 4), _at(add_months(rows[8].due_on, 4)))
            services.act(
                admin,
                advance,
                "default",
                _at(add_months(rows[8].due_on, 5)),
                "liquidation judiciaire",
            )
            services.act(
                admin,
                advance,
                "write_off",
                _at(add_months(rows[8].due_on, 12)),
                "clôture de la liquidation",
            )
    # The next committee of Terres de Lorraine, two weeks ahead.
    committees.create_session(
        admin, territories["Terres de Lorraine"][1], today + timedelta(days=14)
    )
    return created
