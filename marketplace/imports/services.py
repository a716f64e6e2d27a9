"""Planning an import (every check, no write) and applying it (all or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.services import offer_minutes_per_day
from marketplace.durations import days_to_minutes
from marketplace.extensions import db
from marketplace.geo.services import Geocoder
from marketplace.imports.csvio import COLUMNS, FileProblem, read_rows
from marketplace.imports.organisations import OrgResolver, create_experts, create_organisations
from marketplace.imports.rows import CellError, check_need_row, check_offer_row
from marketplace.imports.scope import check_scope
from marketplace.listings.services import search_text_for
from marketplace.listings.skills import remember_skills
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.textnorm import fold, split_list

Progress = Callable[[int], None]
CHUNK = 500


@dataclass
class ImportPlan:
    kind: str
    rows: list[dict] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    creates: int = 0
    updates: int = 0
    unchanged: int = 0
    new_organisations: list[str] = field(default_factory=list)
    new_experts: list[str] = field(default_factory=list)
    # What the checks found in the database, reused when the plan is applied.
    resolver: OrgResolver | None = field(default=None, repr=False)
    existing: dict = field(default_factory=dict, repr=False)
    users: dict = field(default_factory=dict, repr=False)
    expert_accounts: dict = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


def _existing_by_ref(model, refs: list[str]) -> dict[str, object]:
    found = {}
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        for record in db.session.scalars(select(model).where(model.ref.in_(chunk))):
            found[record.ref] = record
    return found


def _check_rows(kind: str, text: str, plan: ImportPlan, progress: Progress | None) -> None:
    checker = check_need_row if kind == "needs" else check_offer_row
    seen_refs: dict[str, int] = {}
    for count, (number, cells) in enumerate(read_rows(text, COLUMNS[kind]), start=1):
        values = checker(number, cells, plan.errors)
        if progress and count % 250 == 0:
            progress(250)
        if values is None:
            continue
        ref = values["ref"]
        if ref in seen_refs:
            plan.errors.append(
                CellError(
                    number,
                    "ref",
                    str(
                        _l(
                            "reference %(ref)s is already on row %(first)d",
                            ref=ref,
                            first=seen_refs[ref],
                        )
                    ),
                )
            )
            continue
        seen_refs[ref] = number
        values["row"] = number
        plan.rows.append(values)


def _geocode(plan: ImportPlan, geocoder: Geocoder) -> None:
    # Other rows of the same file that give coordinates for the same postcode and
    # commune are the next best source when the commune table does not know it.
    seen = {
        (row["postcode"], fold(row["commune"])): (row["lat"], row["lon"])
        for row in plan.rows
        if row["lat"] is not None
    }
    for row in plan.rows:
        if row["lat"] is not None:
            continue
        place = geocoder.locate(row["postcode"], row["commune"])
        if place is None and (row["postcode"], fold(row["commune"])) in seen:
            row["lat"], row["lon"] = seen[(row["postcode"], fold(row["commune"]))]
            continue
        if place is None:
            plan.warnings.append(
                str(
                    _l(
                        "row %(row)d: %(commune)s (%(postcode)s) is not in the commune table; "
                        "the distance will be unknown",
                        row=row["row"],
                        commune=row["commune"],
                        postcode=row["postcode"],
                    )
                )
            )
        else:
            row["lat"], row["lon"] = place.lat, place.lon


def plan_import(kind: str, text: str, actor, progress: Progress | None = None) -> ImportPlan:
    """Check a whole file against the format, the database and what `actor` may write
    (`imports.scope`); writes nothing."""
    plan = ImportPlan(kind=kind)
    try:
        _check_rows(kind, text, plan, progress)
    except FileProblem as problem:
        plan.errors.append(CellError(problem.row, problem.column, problem.message))
        return plan
    if not plan.rows and not plan.errors:
        plan.errors.append(CellError(2, "", str(_l("the file has a header but no row"))))
    if plan.errors:
        return plan
    if kind == "needs":
        _plan_needs(plan)
    else:
        _plan_offers(plan)
    if plan.ok:
        _geocode(plan, Geocoder())
        check_scope(plan, actor)
    return plan


def _plan_needs(plan: ImportPlan) -> None:
    orgs = OrgResolver.load("sme", "sme")
    for row in plan.rows:
        row["org_key"] = orgs.resolve(row, plan.errors)
    _finish_plan(plan, Need, orgs)


def _finish_plan(plan: ImportPlan, model, orgs: OrgResolver) -> None:
    """Which refs exist already (updates) and which organisations are new."""
    plan.resolver = orgs
    plan.existing = _existing_by_ref(model, [r["ref"] for r in plan.rows])
    plan.updates = sum(1 for r in plan.rows if r["ref"] in plan.existing)
    plan.creates = len(plan.rows) - plan.updates
    plan.new_organisations = [v["name"] for k, v in orgs.new.items() if k.startswith("new:")]


def _plan_offers(plan: ImportPlan) -> None:
    orgs = OrgResolver.load("group", "group")
    emails = sorted({r["expert_email"] for r in plan.rows})
    users: dict[str, User] = {}
    for start in range(0, len(emails), CHUNK):
        for user in db.session.scalars(
            select(User).where(User.email.in_(emails[start : start + CHUNK]))
        ):
            users[user.email] = user
    expert_group: dict[str, tuple[str, int]] = {}
    new_experts: dict[str, dict] = {}
    for row in plan.rows:
        org_key = orgs.resolve(row, plan.errors)
        row["org_key"] = org_key
        if org_key is None:
            continue
        email, number = row["expert_email"], row["row"]
        if email in expert_group and expert_group[email][0] != org_key:
            plan.errors.append(
                CellError(
                    number,
                    "expert_email",
                    str(
                        _l(
                            "%(email)s is in another group on row %(first)d",
                            email=email,
                            first=expert_group[email][1],
                        )
                    ),
                )
            )
            continue
        expert_group.setdefault(email, (org_key, number))
        user = users.get(email)
        if user is None:
            new_experts.setdefault(email, {"name": row["expert"], "org_key": org_key})
        elif user.role not in (Role.VOLUNTEER, Role.GROUP_REFERENT) or (
            f"id:{user.organisation_id}" != org_key
        ):
            plan.errors.append(
                CellError(
                    number,
                    "expert_email",
                    str(_l("%(email)s is an account of another organisation or role", email=email)),
                )
            )
    plan.users, plan.expert_accounts = users, new_experts
    _finish_plan(plan, Offer, orgs)
    plan.new_experts = sorted(new_experts)


def _listing_fields(row: dict, org_name: str) -> dict:
    skills = row["skills"]
    return {
        "title": row["title"],
        "description": row["description"],
        "skills": skills,
        "category": row["category"],
        "days": row["days"],
        "postcode": row["postcode"],
        "commune": row["commune"],
        "commune_key": fold(row["commune"]),
        "lat": row["lat"],
        "lon": row["lon"],
        "is_remote_ok": row["remote_ok"],
        "search_text": search_text_for(row["ref"], row["title"], skills, org_name, row["commune"]),
    }


def apply_import(plan: ImportPlan, now: datetime, progress: Progress | None = None) -> None:
    """Write a checked plan (the caller commits once, or rolls back)."""
    if not plan.ok:
        raise ValueError("cannot apply a plan with errors")
    kind = "sme" if plan.kind == "needs" else "group"
    create_organisations(plan, kind)
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({r["organisation_id"] for r in plan.rows})
            )
        ).all()
    )
    if plan.kind == "offers":
        create_experts(plan)
    existing = plan.existing
    model = Need if plan.kind == "needs" else Offer
    new_rows = []
    unchanged = 0
    for count, row in enumerate(plan.rows, start=1):
        fields = _listing_fields(row, names[row["organisation_id"]])
        fields["organisation_id"] = row["organisation_id"]
        if plan.kind == "needs":
            fields.update(starts_on=row["earliest"], ends_on=row["latest"])
        else:
            fields.update(
                starts_on=row["available_from"],
                ends_on=row["available_until"],
                max_km=row["max_km"],
                expert_id=row["expert_id"],
            )
        record = existing.get(row["ref"])
        if record is None:
            new_rows.append(
                {
                    **fields,
                    "ref": row["ref"],
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now,
                }
            )
        else:
            changed = {k: v for k, v in fields.items() if getattr(record, k) != v}
            if changed:
                for key, value in changed.items():
                    setattr(record, key, value)
                if plan.kind == "offers":
                    record.minutes = days_to_minutes(record.days, record.minutes_per_day)
                record.updated_at = now
            else:
                unchanged += 1
        if progress and count % 250 == 0:
            progress(250)
    if plan.kind == "offers":
        rates = offer_minutes_per_day(row["organisation_id"] for row in new_rows)
        for row in new_rows:
            per_day = rates[row["organisation_id"]]
            row.update(
                minutes_per_day=per_day,
                minutes=days_to_minutes(row["days"], per_day),
                minutes_reserved=0,
                minutes_delivered=0,
            )
    for start in range(0, len(new_rows), CHUNK):
        db.session.execute(model.__table__.insert(), new_rows[start : start + CHUNK])
    remember_skills(s for row in plan.rows for s in split_list(row["skills"]))
    db.session.flush()
    plan.unchanged = unchanged
    plan.updates -= unchanged
