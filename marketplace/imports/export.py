"""Needs and offers as rows of import format v1 (the exact inverse of the import), and as
a table for people (labels, words, the page's number and date formats)."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _

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


def _people_date(value: date) -> str:
    # French spreadsheets read dd/mm/yyyy as a date; English ones the ISO form.
    return format_date(value, "dd/MM/yyyy") if str(get_locale()) == "fr" else value.isoformat()


def _people_common(record) -> list:
    return [
        record.ref,
        record.title,
        record.category_label,
        ", ".join(record.skill_list),
        format_decimal(record.days, format="0.##"),
        record.postcode,
        record.commune,
        _("yes") if record.is_remote_ok else _("no"),
        record.status_label,
    ]


def _people_header() -> list[str]:
    return [
        _("Reference"),
        _("Title"),
        _("Category"),
        _("Skills"),
        _("Days"),
        _("Postcode"),
        _("Commune"),
        _("Remote possible"),
        _("Status"),
    ]


def needs_people_rows(needs) -> list[list]:
    """The needs as a table for people: one header row, then one row per need."""
    header = [*_people_header(), _("SME"), _("Earliest"), _("Latest")]
    return [
        header,
        *(
            [
                *_people_common(n),
                n.organisation.name,
                _people_date(n.starts_on),
                _people_date(n.ends_on),
            ]
            for n in needs
        ),
    ]


def offers_people_rows(offers) -> list[list]:
    """The offers as a table for people: one header row, then one row per offer."""
    header = [
        *_people_header(),
        _("Group"),
        _("Expert"),
        _("Maximum distance (km)"),
        _("Available from"),
        _("Available until"),
    ]
    return [
        header,
        *(
            [
                *_people_common(o),
                o.organisation.name,
                o.expert.name,
                o.max_km,
                _people_date(o.starts_on),
                _people_date(o.ends_on),
            ]
            for o in offers
        ),
    ]
