"""Who an imported row belongs to: organisations found by SIREN then name, or created;
experts found by e-mail, or created as inactive volunteer accounts to invite."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.extensions import db
from marketplace.imports.rows import CellError
from marketplace.listings.services import nearest_territory_id
from marketplace.textnorm import fold


@dataclass
class OrgResolver:
    kind: str
    column: str
    by_siren: dict[str, Organisation]
    by_name: dict[str, list[Organisation]]
    new: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, kind: str, column: str) -> OrgResolver:
        by_siren, by_name = {}, {}
        for org in db.session.scalars(select(Organisation)):
            if org.siren:
                by_siren[org.siren] = org
            by_name.setdefault(fold(org.name), []).append(org)
        return cls(kind, column, by_siren, by_name)

    def known_by_key(self) -> dict[str, Organisation]:
        """The organisations already in the database, by the key `resolve` gives them."""
        known = {f"id:{org.id}": org for org in self.by_siren.values()}
        for same_name in self.by_name.values():
            known.update({f"id:{org.id}": org for org in same_name})
        return known

    def resolve(self, row: dict, errors: list[CellError]) -> str | None:
        """A key for the row's organisation ('id:N' or 'new:name'), or None on error."""
        number, name, siren = row["row"], row[self.column], row.get("siren")
        key = fold(name)
        if siren and siren in self.by_siren:
            org = self.by_siren[siren]
            if org.kind != self.kind:
                errors.append(
                    CellError(
                        number,
                        "siren",
                        str(
                            _l(
                                "SIREN %(siren)s belongs to %(name)s, which is not an SME",
                                siren=siren,
                                name=org.name,
                            )
                        ),
                    )
                )
                return None
            return f"id:{org.id}"
        same_name = self.by_name.get(key, [])
        of_kind = [o for o in same_name if o.kind == self.kind]
        if same_name and not of_kind:
            errors.append(
                CellError(
                    number,
                    self.column,
                    str(_l("%(name)s already exists as another kind of organisation", name=name)),
                )
            )
            return None
        if of_kind:
            org = of_kind[0]
            if siren and org.siren and org.siren != siren:
                errors.append(
                    CellError(
                        number,
                        "siren",
                        str(
                            _l(
                                "%(name)s already has SIREN %(known)s, not %(siren)s",
                                name=org.name,
                                known=org.siren,
                                siren=siren,
                            )
                        ),
                    )
                )
                return None
            if siren and not org.siren:
                self.new.setdefault(f"fill:{org.id}", {"org": org, "siren": siren})
            return f"id:{org.id}"
        first = self.new.get(f"new:{key}")
        if first is None:
            self.new[f"new:{key}"] = {"name": name, "siren": siren, "row": row}
        elif siren and first["siren"] and first["siren"] != siren:
            errors.append(
                CellError(
                    number,
                    "siren",
                    str(
                        _l(
                            "row %(first)d gives %(name)s the SIREN %(other)s",
                            first=first["row"]["row"],
                            name=name,
                            other=first["siren"],
                        )
                    ),
                )
            )
            return None
        elif siren and not first["siren"]:
            first["siren"] = siren
        return f"new:{key}"


def create_organisations(plan, kind: str) -> dict[str, int]:
    """Create the missing organisations; returns org_key -> id for every row."""
    orgs = plan.resolver
    ids: dict[str, int] = {}
    for key, item in orgs.new.items():
        if key.startswith("fill:"):
            item["org"].siren = item["siren"]
            continue
        row = item["row"]
        org = Organisation(
            kind=kind,
            name=item["name"],
            siren=item["siren"],
            postcode=row["postcode"],
            commune=row["commune"],
            lat=row["lat"],
            lon=row["lon"],
            territory_id=nearest_territory_id(row["lat"], row["lon"]),
        )
        db.session.add(org)
        db.session.flush()
        ids[key] = org.id
    for row in plan.rows:
        key = row["org_key"]
        row["organisation_id"] = int(key[3:]) if key.startswith("id:") else ids[key]
    return ids


def create_experts(plan) -> None:
    users: dict[str, User] = plan.users
    new_experts: dict[str, dict] = plan.expert_accounts
    org_ids = {r["org_key"]: r["organisation_id"] for r in plan.rows}
    for email, item in new_experts.items():
        user = User(
            email=email,
            name=item["name"],
            role=Role.VOLUNTEER,
            organisation_id=org_ids[item["org_key"]],
            is_active_account=False,
            password_hash=None,
        )
        db.session.add(user)
        users[email] = user
    db.session.flush()
    for row in plan.rows:
        row["expert_id"] = users[row["expert_email"]].id
