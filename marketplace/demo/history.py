"""The demo's past: the two territories' programmes since their first convention.

Terres de Lorraine (convention concluded in 2012, renewed in 2015, 2018 and 2021) and the
Longwy basin (2014, renewed in 2017) get their SMEs, their advances decided by the
committee, paid out and repaid, their skill-day missions logged in the ledger, and their
projects' follow-up answers at N+1, N+2 and N+3. Everything goes through the services the
application uses (the committee's decisions, the disbursements and repayments, the
ledger's logging, the survey answers), so the funder's report computes its figures from
these rows like any other: for Terres de Lorraine from 2012-01-01 to 2019-06-30 they are
the published ones (45 projects, 980,000 € of advances, 129 skill days, 115 jobs created,
75 preserved, a fund of 441,000 €, one default). Nothing here writes a figure.

The plan below is data, checked when the module loads (amounts within the fund's bounds,
totals as planned), so a change that breaks the story fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.advances import committee as committees
from marketplace.advances import services as advances
from marketplace.advances.models import Advance, Committee
from marketplace.advances.money import add_months
from marketplace.conventions.models import Convention, ConventionGroup, Territory
from marketplace.durations import DEFAULT_MINUTES_PER_DAY, days_to_minutes
from marketplace.extensions import db
from marketplace.impact import services as impact
from marketplace.impact.models import FollowUp, Project
from marketplace.ledger.services import log_sessions
from marketplace.missions.agreement import create_mission
from marketplace.missions.decisions import approve
from marketplace.missions.models import MissionSession, SessionStatus
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from marketplace.offers.models import Offer
from marketplace.textnorm import fold

TRADES = [
    "Boulangerie",
    "Métallerie",
    "Scierie",
    "Fromagerie",
    "Électricité",
    "Plomberie",
    "Chaudronnerie",
    "Serrurerie",
    "Brasserie",
    "Torréfaction",
    "Tôlerie",
    "Maçonnerie",
    "Charpente",
    "Carrosserie",
    "Ébénisterie",
    "Usinage",
    "Paysages",
    "Traiteur",
    "Couverture",
    "Miroiterie",
    "Laboratoire",
    "Garage",
    "Reliure",
]
FAMILIES = [
    "Thiriet",
    "Mangin",
    "Jacquot",
    "Henry",
    "Masson",
    "Didier",
    "Gérardin",
    "Marchal",
    "Humbert",
    "Lambert",
    "Perrin",
    "Simonin",
    "Collignon",
    "Vuillaume",
    "Grandjean",
    "Poirson",
    "Husson",
    "Petitjean",
    "Aubry",
    "Cuny",
    "Demange",
    "Évrard",
    "Hanus",
    "Jeandel",
    "Lhuillier",
    "Olry",
    "Pierson",
    "Rouyer",
    "Toussaint",
    "Vautrin",
    "Zimmermann",
]
CATEGORIES = ["hr", "production", "quality", "sales", "finance", "digital", "maintenance", "legal"]
TOPICS = {
    "hr": "Structurer le recrutement et l'entretien annuel",
    "production": "Réorganiser l'atelier et les flux de production",
    "quality": "Préparer la certification ISO 9001",
    "sales": "Construire un plan d'action commercial",
    "finance": "Mettre en place un tableau de bord de trésorerie",
    "digital": "Choisir et déployer un logiciel de gestion",
    "maintenance": "Organiser la maintenance préventive des machines",
    "legal": "Revoir les contrats et conditions générales de vente",
}
PURPOSES = [
    "Acheter une machine et former l'équipe (prêt bancaire obtenu en complément)",
    "Financer le besoin en fonds de roulement d'un gros marché",
    "Reprendre l'entreprise du cédant ; prêt bancaire à l'appui",
    "Ouvrir un second atelier et embaucher",
    "Moderniser l'outil de production",
]


def _spread(total: int, count: int, pattern: list[int]) -> list[int]:
    """`count` values following `pattern`, the last one taking what makes `total`."""
    values = [pattern[i % len(pattern)] for i in range(count - 1)]
    values.append(total - sum(values))
    return values


@dataclass(frozen=True)
class Story:
    territory: str
    population: int
    places: list[tuple[str, str]]  # (postcode, commune)
    conventions: list[tuple[str, date, date, dict[str, float]]]  # name, start, end, partners
    # Advances paid out in the story (besides those of finance.py), with the committee
    # days spread from `first_committee`, one dossier or two per quarter.
    advances_cents: list[int]
    first_committee: date
    quarters: int  # the advances' committees spread over this many quarters
    defaults: int  # how many of them fail (written off) — besides those of finance.py
    # Skill-day missions: days each; the first `skill_only` SMEs have no advance.
    mission_days: list[int]
    skill_only: int
    late_missions: list[int]  # days of missions after the published period
    first_mission: date
    jobs_created: list[int]  # latest answer per project, in project order
    jobs_preserved: list[int]
    existing_smes: list[str]  # SMEs of finance.py's advances in the period


TDL = Story(
    territory="Terres de Lorraine",
    population=98_000,
    places=[
        ("54200", "Toul"),
        ("54570", "Foug"),
        ("54200", "Écrouves"),
        ("54170", "Colombey-les-Belles"),
        ("54330", "Vézelise"),
        ("54230", "Neuves-Maisons"),
        ("54230", "Chaligny"),
        ("54460", "Liverdun"),
        ("54200", "Dommartin-lès-Toul"),
        ("54550", "Pont-Saint-Vincent"),
    ],
    conventions=[
        (
            "Alizé Terres de Lorraine 2012-2014",
            date(2012, 3, 1),
            date(2014, 12, 31),
            {"Michelin": 80},
        ),
        (
            "Alizé Terres de Lorraine 2015-2017",
            date(2015, 1, 1),
            date(2017, 12, 31),
            {"Michelin": 40, "Saint-Gobain PAM": 40},
        ),
        (
            "Alizé Terres de Lorraine 2018-2020",
            date(2018, 1, 1),
            date(2020, 12, 31),
            {"Michelin": 40, "Saint-Gobain PAM": 50},
        ),
        (
            "Alizé Terres de Lorraine 2021-2024",
            date(2021, 1, 1),
            date(2024, 12, 31),
            {"Michelin": 40, "Saint-Gobain PAM": 60},
        ),
    ],
    # 38 advances + the two of finance.py in the period (20,000 € and 15,000 €): 980,000 €
    advances_cents=[
        a * 100
        for a in _spread(
            945_000,
            38,
            [25_000, 30_000, 20_000, 27_000, 18_000, 30_000, 22_000, 26_000, 29_000, 21_000],
        )
    ],
    first_committee=date(2012, 5, 15),
    quarters=28,
    defaults=0,  # the one default is finance.py's printer
    mission_days=[3, 5, 4, 6, 2, 5, 8, 4, 3, 5, 7, 4, 6, 5, 3, 4, 5, 6, 4, 5, 8, 4, 6, 5, 4, 8],
    skill_only=5,
    late_missions=[4, 3],
    first_mission=date(2012, 9, 4),
    jobs_created=_spread(115, 45, [3, 2, 4, 1, 3, 2, 0, 5, 2, 3]),
    jobs_preserved=_spread(75, 45, [2, 1, 3, 0, 2, 1, 2, 1]),
    existing_smes=["Imprimerie du Toulois", "Menuiserie Colin"],
)

LONGWY = Story(
    territory="Bassin de Longwy",
    population=61_000,
    places=[
        ("54400", "Longwy"),
        ("54350", "Mont-Saint-Martin"),
        ("54430", "Réhon"),
        ("54440", "Herserange"),
        ("54400", "Cosnes-et-Romain"),
        ("54190", "Villerupt"),
    ],
    conventions=[
        (
            "Alizé Bassin de Longwy 2014-2016",
            date(2014, 6, 1),
            date(2017, 5, 31),
            {"Saint-Gobain PAM": 90},
        ),
        (
            "Alizé Bassin de Longwy 2017-2020",
            date(2017, 6, 1),
            date(2020, 5, 31),
            {"Saint-Gobain PAM": 50, "Michelin": 30},
        ),
    ],
    advances_cents=[
        a * 100 for a in _spread(640_000, 26, [24_000, 26_000, 20_000, 30_000, 22_000, 25_000])
    ],
    first_committee=date(2014, 9, 16),
    quarters=24,
    defaults=2,
    mission_days=[4, 6, 3, 5, 2, 7, 4, 5, 6, 3, 4, 5, 8, 3, 6, 5, 4, 6, 5, 1],
    skill_only=8,
    late_missions=[5],
    first_mission=date(2014, 11, 4),
    jobs_created=_spread(88, 34, [2, 3, 1, 4, 2, 3]),
    jobs_preserved=_spread(120, 34, [3, 4, 2, 5, 3, 4]),
    existing_smes=[],
)

STORIES = (TDL, LONGWY)


def _check(story: Story) -> None:
    assert all(1_500_000 <= a <= 3_000_000 for a in story.advances_cents), story.territory
    projects = len(story.advances_cents) + len(story.existing_smes) + story.skill_only
    assert len(story.jobs_created) == len(story.jobs_preserved) == projects, story.territory
    assert min(story.jobs_created) >= 0 and min(story.jobs_preserved) >= 0, story.territory


for _story in STORIES:
    _check(_story)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def _sme(story: Story, number: int, territory: Territory) -> Organisation:
    family = FAMILIES[(number * 7 + len(story.places)) % len(FAMILIES)]
    name = f"{TRADES[number % len(TRADES)]} {family}"
    postcode, commune = story.places[number % len(story.places)]
    existing = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if existing is not None:
        name = f"{name} ({commune})"
    organisation = Organisation(
        kind="sme",
        name=name,
        postcode=postcode,
        commune=commune,
        lat=territory.centre_lat + ((number * 37) % 11 - 5) / 200,
        lon=territory.centre_lon + ((number * 53) % 11 - 5) / 200,
        territory_id=territory.id,
        headcount=4 + (number * 5) % 31,
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


def _conventions(story: Story, territory: Territory, groups: dict[str, Organisation], coordinator):
    made = []
    previous = None
    for name, start, end, partners in story.conventions:
        per_day = DEFAULT_MINUTES_PER_DAY
        convention = Convention(
            name=name,
            territory_id=territory.id,
            starts_on=start,
            ends_on=end,
            minutes_per_day=per_day,
            quota_minutes=days_to_minutes(sum(partners.values()), per_day),
            status="closed",
            predecessor_id=previous.id if previous else None,
            created_at=_at(start),
        )
        db.session.add(convention)
        convention.coordinators.append(coordinator)
        db.session.flush()
        for group, days in partners.items():
            db.session.add(
                ConventionGroup(
                    convention_id=convention.id,
                    organisation_id=groups[group].id,
                    committed_minutes=days_to_minutes(days, per_day),
                )
            )
        made.append(convention)
        previous = convention
    db.session.flush()
    return made


def _expert(group: Organisation, territory: Territory) -> User:
    email = f"expert.{fold(group.name).replace(' ', '-')}.{territory.id}@history-demo.example"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=f"Expert {group.name} (archives)",
            role=Role.VOLUNTEER,
            organisation_id=group.id,
            is_active_account=False,
        )
        db.session.add(user)
        db.session.flush()
    return user


def _mission(coordinator, convention, sme, expert, category, days, start, number):
    """A mission of the past: need and offer, paired and approved, its sessions held and
    confirmed one a week; the ledger logs them below."""
    end = start + timedelta(weeks=days + 2)
    common = {
        "organisation_id": None,
        "title": TOPICS[category],
        "description": "",
        "skills": TOPICS[category],
        "category": category,
        "days": days,
        "status": "open",
        "starts_on": start,
        "ends_on": end,
        "created_at": _at(start),
        "updated_at": _at(start),
        "published_at": _at(start),
        "search_text": fold(TOPICS[category]),
    }
    need = Need(
        **{**common, "organisation_id": sme.id},
        ref=f"N-HIST-{convention.id}-{number}",
        postcode=sme.postcode,
        commune=sme.commune,
        commune_key=fold(sme.commune),
        lat=sme.lat,
        lon=sme.lon,
        is_remote_ok=False,
    )
    offer = Offer(
        **{**common, "organisation_id": expert.organisation_id},
        ref=f"O-HIST-{convention.id}-{number}",
        postcode=sme.postcode,
        commune=sme.commune,
        commune_key=fold(sme.commune),
        lat=sme.lat,
        lon=sme.lon,
        expert_id=expert.id,
        max_km=200,
        is_remote_ok=True,
        minutes_per_day=DEFAULT_MINUTES_PER_DAY,
        minutes=days_to_minutes(days, DEFAULT_MINUTES_PER_DAY),
        minutes_reserved=0,
        minutes_delivered=0,
    )
    db.session.add_all([need, offer])
    db.session.flush()
    mission = create_mission(need, offer, coordinator, _at(start))
    mission.convention = convention  # a past convention: none is active for it today
    approve(coordinator, mission, _at(start))
    sessions = []
    for week in range(days):
        held = start + timedelta(weeks=week + 1)
        sessions.append(
            MissionSession(
                mission_id=mission.id,
                held_on=held,
                minutes=DEFAULT_MINUTES_PER_DAY,
                status=SessionStatus.CONFIRMED,
                created_at=_at(held),
            )
        )
    db.session.add_all(sessions)
    mission.status = "closed"
    offer.status = "closed"
    db.session.flush()
    return [s.id for s in sessions]


def _convention_on(conventions: list[Convention], day: date) -> Convention:
    return next(c for c in conventions if c.starts_on <= day <= c.ends_on)


def apply_for(admin: User, sme: Organisation, cents: int, day: date, number: int) -> Advance:
    term = (36, 36, 48)[number % 3]
    grace = (0, 0, 3)[number % 3]
    cofinancing = [("Banque partenaire", cents * (6 + number % 6))] if number % 5 else []
    advance = advances.create_advance(
        admin,
        sme,
        {
            "amount_cents": cents,
            "purpose": PURPOSES[number % len(PURPOSES)],
            "term_months": term,
            "grace_months": grace,
            "frequency": "monthly",
            "headcount": sme.headcount,
            "jobs_to_create": 1 + number % 3,
            "jobs_to_preserve": sme.headcount,
        },
        cofinancing,
        _at(add_months(day, -1)),
    )
    advances.act(admin, advance, "submit", _at(add_months(day, -1)))
    return advance


def decide_and_pay(admin, committee, day, dossiers, today):
    session = committees.create_session(admin, committee, day)
    for advance, _fail in dossiers:
        committees.put_on_agenda(admin, session, advance, _at(day))
    voters = committees.members_on(committee, day)
    committees.set_attendance(admin, session, {m.id for m in voters})
    committees.decide(
        admin,
        session,
        list(session.items),
        "approved",
        {
            m.id: "for"
            for m in voters
            if not any(committees.is_recused(m, advance) for advance, _fail in dossiers)
        },
        [],
        None,
        _at(day),
    )
    session.closed_at = _at(day)
    for advance, fail in dossiers:
        paid_out = add_months(day, 1)
        advances.act(admin, advance, "contract", _at(paid_out))
        advances.disburse(admin, advance, advance.amount_cents, paid_out, _at(paid_out))
        rows = advances.current_schedule(advance)
        if fail:
            rows = rows[: len(rows) // 3]
        # Repaid by yearly transfers (what the bank statement shows), up to today.
        by_year: dict[int, list] = {}
        for row in rows:
            if row.due_on <= today:
                by_year.setdefault(row.due_on.year, []).append(row)
        for _year, due in sorted(by_year.items()):
            last = due[-1].due_on
            advances.record_repayment(
                admin,
                advance,
                sum(r.amount_cents for r in due),
                last,
                _at(last),
                f"VIR {advance.ref}",
            )
        if fail:
            stop = add_months(rows[-1].due_on, 4)
            advances.flag_arrears(stop, _at(stop))
            advances.act(
                admin, advance, "default", _at(add_months(stop, 1)), "redressement judiciaire"
            )
            advances.act(admin, advance, "write_off", _at(add_months(stop, 9)), "liquidation")


def load_history(today: date) -> int:
    """Load the two territories' past once (skipped when its first convention exists);
    returns how many projects it opened."""
    first = TDL.conventions[0][0]
    if db.session.scalar(select(Convention.id).where(Convention.name == first)) is not None:
        return 0
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    coordinator = db.session.scalar(
        select(User).where(User.role == Role.COORDINATOR).order_by(User.id)
    )
    groups = {
        o.name: o
        for o in db.session.scalars(select(Organisation).where(Organisation.kind == "group"))
    }
    session_ids = []
    for story in STORIES:
        territory = db.session.scalar(select(Territory).where(Territory.name == story.territory))
        territory.population = story.population
        committee = db.session.scalar(
            select(Committee).where(Committee.territory_id == territory.id)
        )
        conventions = _conventions(story, territory, groups, coordinator)
        # the current convention renews the last of the story when it follows it
        current = db.session.scalar(
            select(Convention)
            .where(
                Convention.territory_id == territory.id,
                Convention.starts_on > conventions[-1].ends_on,
            )
            .order_by(Convention.starts_on)
            .limit(1)
        )
        if current is not None and current.predecessor_id is None:
            current.predecessor_id = conventions[-1].id
        smes = [
            _sme(story, n, territory) for n in range(story.skill_only + len(story.advances_cents))
        ]
        # advances: one committee a quarter, one dossier or two
        dossiers = []
        fail_from = len(story.advances_cents) - story.defaults * 7
        count = len(story.advances_cents)
        for number, cents in enumerate(story.advances_cents):
            sme = smes[story.skill_only + number]
            day = add_months(story.first_committee, 3 * (number * story.quarters // count))
            fail = story.defaults > 0 and number >= fail_from and (number - fail_from) % 7 == 0
            dossiers.append((day, apply_for(admin, sme, cents, day, number), fail))
        for day in sorted({d for d, _a, _f in dossiers}):
            today_dossiers = [(a, f) for d, a, f in dossiers if d == day]
            decide_and_pay(admin, committee, day, today_dossiers, today)
        # skill-day missions, one every seven weeks, the SMEs without advance first
        experts = {name: _expert(group, territory) for name, group in groups.items()}
        start = story.first_mission
        all_days = [*story.mission_days, *story.late_missions]
        for number, days in enumerate(all_days):
            convention = _convention_on(conventions, start)
            partners = sorted(p.organisation.name for p in convention.partners)
            partner = partners[number % len(partners)]
            if number >= len(story.mission_days):  # after the published period
                sme = smes[story.skill_only + number % len(story.advances_cents)]
                start = max(start, date(2019, 9, 3))
            elif number < story.skill_only + 2:  # two of them come back for a second one
                sme = smes[number % story.skill_only]
            else:
                sme = smes[story.skill_only + (number * 3) % len(story.advances_cents)]
            session_ids += _mission(
                coordinator,
                convention,
                sme,
                experts[partner],
                CATEGORIES[number % len(CATEGORIES)],
                days,
                start,
                number,
            )
            start += timedelta(weeks=days + 4)
    db.session.flush()
    log_sessions(session_ids, datetime.now(UTC))
    impact.open_projects(datetime.now(UTC))
    answered = 0
    for story in STORIES:
        answered += _answers(admin, story, today)
    # The past's notifications were read and mailed long ago.
    db.session.execute(
        update(Notification)
        .where(Notification.created_at < _at(today - timedelta(days=365)))
        .values(read_at=Notification.created_at, mailed_at=Notification.created_at)
    )
    db.session.flush()
    return answered


def _answers(admin: User, story: Story, today: date) -> int:
    """Each project's answers: N+1 and N+2 on the way, N+3 with the story's figures (the
    latest answer); a failed company answers it no longer trades."""
    territory = db.session.scalar(select(Territory).where(Territory.name == story.territory))
    end = date(2019, 6, 30)
    projects = db.session.scalars(
        select(Project)
        .where(Project.territory_id == territory.id, Project.started_on <= end)
        .order_by(Project.started_on, Project.id)
    ).all()
    failed = set(
        db.session.scalars(
            select(Advance.organisation_id).where(Advance.status.in_(("written_off", "defaulted")))
        )
    )
    count = 0
    for index, project in enumerate(projects):
        created = story.jobs_created[index % len(story.jobs_created)]
        preserved = story.jobs_preserved[index % len(story.jobs_preserved)]
        alive = project.organisation_id not in failed
        for follow_up in db.session.scalars(
            select(FollowUp).where(FollowUp.project_id == project.id).order_by(FollowUp.year)
        ):
            if follow_up.due_on > today:
                break
            share = follow_up.year / 3
            answer = impact.Answer(
                headcount=(project.headcount_at_start or 0) + created if alive else 0,
                jobs_created=round(created * share) if alive else created,
                jobs_preserved=round(preserved * share) if alive else preserved,
                still_trading=alive or follow_up.year == 1,
            )
            impact.answer_survey(
                admin,
                follow_up,
                answer,
                _at(follow_up.due_on + timedelta(days=12)),
                "phone" if (index + follow_up.year) % 4 == 0 else "web",
            )
            follow_up.sent_on = follow_up.due_on
            count += 1
    return count
