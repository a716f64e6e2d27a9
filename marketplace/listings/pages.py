"""Page helpers shared by the needs and offers views: filters from the query string, list
pages, CSV answers, place checks. No route lives here."""

from __future__ import annotations

from flask import Response, flash, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select

from marketplace import clock
from marketplace.accounts.models import Organisation
from marketplace.accounts.roles import Role
from marketplace.catalog import CATEGORIES
from marketplace.conventions.services import manageable_territories
from marketplace.forms import select_choices
from marketplace.listings.forms import ListFilterForm, ListingForm
from marketplace.listings.models import STATUS_LABELS
from marketplace.listings.services import (
    PER_PAGE,
    ListFilters,
    all_filtered,
    apply_filters,
    check_place,
    page_of,
)
from marketplace.params import MAX_PAGE, BadParameter, choice_arg, int_arg
from marketplace.spreadsheets import people_csv


def filter_form(
    statuses: tuple[str, ...], status_labels: dict
) -> tuple[ListFilterForm, ListFilters]:
    """The list filters from the query string. A malformed or unknown value leaves the
    form with its errors (shown next to the fields, the page answers 400)."""
    form = ListFilterForm(request.args)
    form.category.choices = select_choices([("", _("all")), *CATEGORIES.items()])
    form.status.choices = select_choices(
        [("", _("all")), *((s, status_labels[s]) for s in statuses)]
    )
    territories = (
        manageable_territories(current_user)
        if current_user.role in (Role.COORDINATOR, Role.ADMIN)
        else []
    )
    form.territory_id.choices = select_choices(
        [("", _("all")), *((str(t.id), t.name) for t in territories)]
    )
    form.validate()
    if (
        form.window_from.data
        and form.window_to.data
        and form.window_from.data > form.window_to.data
    ):
        form.window_from.errors = [*form.window_from.errors, _("The start comes after the end.")]
    filters = ListFilters(
        q=(form.q.data or "").strip() if not form.q.errors else "",
        category=form.category.data if not form.category.errors else "",
        status=form.status.data if not form.status.errors else "",
        commune=(form.commune.data or "").strip() if not form.commune.errors else "",
        territory_id=int(form.territory_id.data)
        if form.territory_id.data and not form.territory_id.errors
        else None,
        window_from=form.window_from.data if not form.window_from.errors else None,
        window_to=form.window_to.data if not form.window_to.errors else None,
        sort=form.sort.data if form.sort.data and not form.sort.errors else "recent",
        page=int_arg("page", default=1, maximum=MAX_PAGE),
    )
    return form, filters


def filtered_query(model, statuses: tuple[str, ...], visible: Select):
    """The filter form, the filters and the visible records they select."""
    form, filters = filter_form(statuses, STATUS_LABELS)
    return form, filters, apply_filters(visible, model, Organisation, filters)


def list_page(model, statuses: tuple[str, ...], visible: Select, load=()):
    """(form, records of the page, pagination) for a needs or offers list; with a bad
    filter, no record (the form shows why, the view answers 400)."""
    form, filters, query = filtered_query(model, statuses, visible)
    if form.errors:
        return form, [], pages(0, 1)
    records, total = page_of(query, model, filters, load)
    return form, records, pages(total, filters.page)


def export_response(
    model, statuses: tuple[str, ...], visible: Select, load, to_csv, to_rows, name: str
):
    """The filtered list (every page) as a CSV download: `?format=people` a table for
    spreadsheet software in the page's language (labels, `;` and a BOM in French), else
    import format v1 (the round trip: `to_csv`)."""
    people = choice_arg("format", ("v1", "people")) == "people"
    form, filters, query = filtered_query(model, statuses, visible)
    for field, errors in form.errors.items():
        raise BadParameter(field, str(errors[0]))
    records = all_filtered(query, model, filters, load)
    if not people:
        return csv_response(to_csv(records), f"{name}.csv")
    french = str(get_locale()) == "fr"
    return Response(
        people_csv(to_rows(records), french=french),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{clock.today().isoformat()}.csv"'
        },
    )


def pages(total: int, page: int) -> dict:
    last = max(1, -(-total // PER_PAGE))
    return {"page": min(max(page, 1), last), "last": last, "total": total}


def place_fields(form: ListingForm) -> dict | None:
    """The form's values with coordinates; None (and a field error) for an unknown commune."""
    place = check_place(form.postcode.data, form.commune.data)
    if place.unknown_commune:
        form.commune.errors.append(
            _(
                "Unknown commune for postcode %(postcode)s. Known: %(names)s.",
                postcode=form.postcode.data,
                names=", ".join(place.suggestions[:8]),
            )
        )
        return None
    if place.lat is None:
        flash(
            _(
                "This postcode is not in the commune table: the distance to experts will be "
                "unknown until a coordinator loads it."
            ),
            "warning",
        )
    return {
        "title": form.title.data.strip(),
        "description": (form.description.data or "").strip(),
        "skills": form.skills.data or "",
        "category": form.category.data or None,
        "days": form.days.number,
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "postcode": form.postcode.data,
        "commune": form.commune.data.strip(),
        "lat": place.lat,
        "lon": place.lon,
        "is_remote_ok": form.is_remote_ok.data,
    }


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
