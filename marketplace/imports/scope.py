"""An import acts as the person who imports: what they may create and update, row by row.

A coordinator creates and updates only the needs of SMEs in their conventions' territories
and the offers of their conventions' partner groups; an administrator anything; nobody else
imports. An existing record may only be updated while it is still editable (a draft or open
listing with no live mission), by the same organisation, and an offer never below the days
already reserved or delivered. Every refusal is a row error naming the row and the column.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.roles import STAFF_ROLES, Role
from marketplace.conventions.services import coordinator_territory_ids, partner_group_ids
from marketplace.durations import days_to_minutes, minutes_to_days
from marketplace.extensions import db
from marketplace.i18n import format_days_unit
from marketplace.imports.rows import CellError
from marketplace.listings.models import LIVE_STATUSES
from marketplace.listings.services import nearest_territory_id
from marketplace.missions.models import Mission, MissionStatus

# Missions in these states no longer hold their need or offer.
_ENDED = (MissionStatus.REFUSED, MissionStatus.CANCELLED)


def _records_with_live_missions(kind: str, record_ids: list[int]) -> set[int]:
    column = Mission.need_id if kind == "needs" else Mission.offer_id
    found: set[int] = set()
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        found.update(
            db.session.scalars(
                select(column).where(column.in_(chunk), Mission.status.not_in(_ENDED))
            )
        )
    return found


def check_scope(plan, actor) -> None:
    """Add a row error for every row this actor may not write (the plan stays unwritten)."""
    if actor.role not in STAFF_ROLES:
        plan.errors.append(
            CellError(1, "", str(_l("only coordinators and administrators import files")))
        )
        return
    is_admin = actor.role == Role.ADMIN
    territories = set() if is_admin else coordinator_territory_ids(actor)
    partners = set() if is_admin else partner_group_ids(actor)
    organisations = plan.resolver.known_by_key()
    tied = _records_with_live_missions(plan.kind, [r.id for r in plan.existing.values()])
    org_column = "sme" if plan.kind == "needs" else "group"
    for row in plan.rows:
        number, ref, key = row["row"], row["ref"], row["org_key"]
        record = plan.existing.get(ref)
        if not is_admin and not _in_scope(
            plan.kind, key, row, organisations, territories, partners
        ):
            plan.errors.append(
                CellError(
                    number,
                    org_column,
                    str(
                        _l(
                            "%(ref)s: %(name)s is outside the conventions you coordinate",
                            ref=ref,
                            name=row[org_column],
                        )
                    ),
                )
            )
            continue
        if record is None:
            continue
        if key != f"id:{record.organisation_id}":
            plan.errors.append(
                CellError(
                    number,
                    org_column,
                    str(_l("%(ref)s belongs to another organisation", ref=ref)),
                )
            )
        elif record.status not in LIVE_STATUSES or record.id in tied:
            reason = (
                _l("it is tied to a mission")
                if record.id in tied
                else _l("it is %(status)s", status=record.status)
            )
            plan.errors.append(
                CellError(
                    number,
                    "ref",
                    str(_l("%(ref)s can no longer be changed: %(why)s", ref=ref, why=reason)),
                )
            )
        elif plan.kind == "offers" and days_to_minutes(row["days"], record.minutes_per_day) < (
            taken := record.minutes_reserved + record.minutes_delivered
        ):
            plan.errors.append(
                CellError(
                    number,
                    "days",
                    str(
                        _l(
                            "%(ref)s already has %(taken)s reserved or delivered: "
                            "its days cannot go below that",
                            ref=ref,
                            taken=format_days_unit(minutes_to_days(taken, record.minutes_per_day)),
                        )
                    ),
                )
            )


def _in_scope(kind, key, row, organisations, territories, partners) -> bool:
    organisation = organisations.get(key)
    if kind == "offers":
        # A group lends experts to a convention only once it is one of its partners.
        return organisation is not None and organisation.id in partners
    if organisation is not None:
        return organisation.territory_id in territories
    # A new SME joins the territory whose centre is nearest (within the radius).
    return nearest_territory_id(row["lat"], row["lon"]) in territories
