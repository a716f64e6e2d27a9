"""Needs and offers as rows of import format v1 (the exact inverse of the import)."""

from __future__ import annotations

from marketplace.imports.csvio import NEED_COLUMNS, OFFER_COLUMNS, write_rows
from marketplace.needs.models import Need
from marketplace.offers.models import Offer


def _number(value: float | None) -> str:
    # repr() is the shortest text that reads back as the same float.
    if value is None:
        return ""
    return f"{value:g}" if float(value).is_integer() else repr(float(value))


def _common(record) -> dict[str, str]:
    return {
        "ref": record.ref,
        "title": record.title,
        "description": record.description or "",
        "skills": record.skills or "",
        "category": record.category or "",
        "days": _number(record.days),
        "postcode": record.postcode,
        "commune": record.commune,
        "lat": _number(record.lat),
        "lon": _number(record.lon),
        "remote_ok": "yes" if record.is_remote_ok else "no",
    }


def need_row(need: Need) -> dict[str, str]:
    return {
        **_common(need),
        "sme": need.organisation.name,
        "siren": need.organisation.siren or "",
        "earliest": need.starts_on.isoformat(),
        "latest": need.ends_on.isoformat(),
    }


def offer_row(offer: Offer) -> dict[str, str]:
    return {
        **_common(offer),
        "group": offer.organisation.name,
        "expert": offer.expert.name,
        "expert_email": offer.expert.email,
        "max_km": str(offer.max_km),
        "available_from": offer.starts_on.isoformat(),
        "available_until": offer.ends_on.isoformat(),
    }


def needs_csv(needs) -> str:
    return write_rows(NEED_COLUMNS, (need_row(n) for n in needs))


def offers_csv(offers) -> str:
    return write_rows(OFFER_COLUMNS, (offer_row(o) for o in offers))
