"""Needs and offers on the web: forms, lifecycle, who sees what, search, export."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.conftest import csrf_from, login, post_form
from tests.test_geo import load_communes

TODAY = date.today()


def need_form(**overrides) -> dict:
    data = {
        "title": "Revoir nos contrats de travail",
        "description": "Nous avons 20 salariés et des contrats anciens.",
        "skills": "droit du travail; contrats ;droit du travail",
        "category": "hr",
        "days": "1,5",
        "starts_on": (TODAY - timedelta(days=5)).isoformat(),
        "ends_on": (TODAY + timedelta(days=90)).isoformat(),
        "postcode": "54200",
        "commune": "toul",
        "is_remote_ok": "y",
    }
    data.update(overrides)
    return data


def offer_form(expert_id: int, **overrides) -> dict:
    data = need_form(
        title="Droit social pour les PME", days="4", max_km="60", expert_id=str(expert_id)
    )
    data.update(overrides)
    return data


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)).where(*where))


def get(app, model, record_id):
    with app.app_context():
        record = db.session.get(model, record_id)
        db.session.expunge(record)
        return record


def create_need(client, **overrides) -> int:
    response = post_form(client, "/needs/new", need_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/needs/(\d+)", response.headers["Location"]).group(1))


def act(client, path: str):
    return client.post(path, data={"csrf_token": csrf_from(client, "/")})


def test_sme_manager_posts_a_draft_need_geocoded_from_the_commune_table(
    client, runner, login_as, app
):
    load_communes(runner)
    user = login_as("sme_manager")
    need_id = create_need(client)
    need = get(app, Need, need_id)
    assert need.status == "draft"
    assert re.fullmatch(r"N-\d{6}", need.ref)
    assert need.organisation_id == user.organisation_id
    assert need.days == 1.5 and need.skills == "droit du travail;contrats"
    assert (need.lat, need.lon) == (48.68655, 5.89508)
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "Revoir nos contrats de travail" in page and "brouillon" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("days", "1,3", "demi-journées"),
        ("days", "61", "Entre 0,5 et 60 jours"),
        ("days", "abc", "Indiquez un nombre de jours"),
        ("ends_on", (TODAY - timedelta(days=1)).isoformat(), "entièrement passée"),
        ("starts_on", (TODAY + timedelta(days=200)).isoformat(), "La fin est avant le début"),
        ("postcode", "5420", "5 chiffres"),
        ("postcode", "99999", "99999 n'est pas un code postal français"),
        ("title", "x" * 201, "200"),
        ("title", "", "requis"),
        ("category", "cooking", "pas un choix valide"),
        ("commune", "Paris", "Commune inconnue pour le code postal 54200"),
    ],
)
def test_bad_need_input_is_refused_next_to_the_field(
    client, runner, login_as, app, field, value, message
):
    load_communes(runner)
    login_as("sme_manager")
    response = post_form(client, "/needs/new", need_form(**{field: value}))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    error_field = "ends_on" if field == "starts_on" else field
    assert f'id="{error_field}-error"' in html
    assert count(app, Need) == 0


def test_postcode_missing_from_the_commune_table_is_accepted_with_a_warning(client, login_as, app):
    login_as("sme_manager")
    need_id = create_need(client, postcode="57100", commune="Thionville")
    assert get(app, Need, need_id).lat is None
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "distance inconnue" in page


def test_need_lifecycle(client, login_as, app):
    login_as("sme_manager")
    need_id = create_need(client)
    assert act(client, f"/needs/{need_id}/close").status_code == 409  # a draft is not open
    assert act(client, f"/needs/{need_id}/publish").status_code == 302
    assert get(app, Need, need_id).status == "open"
    assert get(app, Need, need_id).published_at is not None
    assert act(client, f"/needs/{need_id}/publish").status_code == 409
    assert act(client, f"/needs/{need_id}/close").status_code == 302
    assert get(app, Need, need_id).status == "closed"
    assert client.get(f"/needs/{need_id}/edit").status_code == 409
    assert act(client, f"/needs/{need_id}/reopen").status_code == 302
    assert act(client, f"/needs/{need_id}/cancel").status_code == 302
    assert get(app, Need, need_id).status == "cancelled"
    for action in ("publish", "close", "cancel", "reopen"):
        response = act(client, f"/needs/{need_id}/{action}")
        assert response.status_code == 409
        assert "Action impossible" in response.get_data(as_text=True)
    assert act(client, f"/needs/{need_id}/explode").status_code == 404
    assert get(app, Need, need_id).status == "cancelled"


def test_editing_a_need(client, login_as, app):
    login_as("sme_manager")
    need_id = create_need(client)
    form = client.get(f"/needs/{need_id}/edit").get_data(as_text=True)
    assert 'value="1.5"' in form
    response = post_form(
        client,
        f"/needs/{need_id}/edit",
        need_form(title="Titre modifié"),
        token_from=f"/needs/{need_id}/edit",
    )
    assert response.status_code == 302
    assert get(app, Need, need_id).title == "Titre modifié"


def test_another_smes_need_is_invisible_and_untouchable(client, login_as, factory, app):
    owner = factory.user(role="sme_manager")
    login(client, owner.email, factory.password)
    need_id = create_need(client)
    act(client, f"/needs/{need_id}/publish")
    intruder_client = app.test_client()
    intruder = factory.user(role="sme_manager")
    login(intruder_client, intruder.email, factory.password)
    assert intruder_client.get(f"/needs/{need_id}").status_code == 404
    assert intruder_client.get(f"/needs/{need_id}/edit").status_code == 404
    response = intruder_client.post(
        f"/needs/{need_id}/cancel", data={"csrf_token": csrf_from(intruder_client, "/")}
    )
    assert response.status_code == 404
    response = post_form(
        intruder_client, f"/needs/{need_id}/edit", need_form(title="Pirate"), token_from="/needs"
    )
    assert response.status_code == 404
    assert get(app, Need, need_id).status == "open"
    assert get(app, Need, need_id).title != "Pirate"
    assert "Revoir nos contrats" not in intruder_client.get("/needs").get_data(as_text=True)


def _world(factory, app):
    """Two SMEs and two groups in one coordinator's territory, one SME elsewhere."""
    coordinator = factory.user(role="coordinator")
    with app.app_context():
        territory = db.session.get(Organisation, coordinator.organisation_id).territory
    sme_a = factory.organisation(kind="sme", territory=territory)
    sme_b = factory.organisation(kind="sme", territory=territory)
    sme_far = factory.organisation(kind="sme")
    group_a = factory.organisation(kind="group", territory=territory)
    group_b = factory.organisation(kind="group")
    sme_a_id, sme_b_id, sme_far_id = sme_a.id, sme_b.id, sme_far.id
    people = {
        "coordinator": coordinator,
        "sme_manager": factory.user(role="sme_manager", organisation=sme_a),
        "volunteer": factory.user(role="volunteer", organisation=group_a),
        "group_referent": factory.user(role="group_referent", organisation=group_a),
        "admin": factory.user(role="admin"),
    }
    other_volunteer = factory.user(role="volunteer", organisation=group_a)
    far_volunteer = factory.user(role="volunteer", organisation=group_b)
    with app.app_context():

        def need(org_id, status):
            record = Need(
                ref=f"N-{org_id}-{status}",
                organisation_id=org_id,
                title="t",
                days=1,
                postcode="54200",
                commune="Toul",
                starts_on=TODAY,
                ends_on=TODAY + timedelta(days=30),
                status=status,
            )
            db.session.add(record)
            return record

        def offer(expert, status):
            record = Offer(
                ref=f"O-{expert.id}-{status}",
                organisation_id=expert.organisation_id,
                expert_id=expert.id,
                title="t",
                days=2,
                postcode="54200",
                commune="Toul",
                starts_on=TODAY,
                ends_on=TODAY + timedelta(days=30),
                status=status,
                max_km=50,
                minutes=2 * 420,
                minutes_reserved=0,
                minutes_delivered=0,
            )
            db.session.add(record)
            return record

        needs = {
            "own_draft": need(sme_a_id, "draft"),
            "own_open": need(sme_a_id, "open"),
            "other_open": need(sme_b_id, "open"),
            "other_draft": need(sme_b_id, "draft"),
            "far_open": need(sme_far_id, "open"),
        }
        offers = {
            "own_draft": offer(people["volunteer"], "draft"),
            "own_open": offer(people["volunteer"], "open"),
            "colleague_draft": offer(other_volunteer, "draft"),
            "colleague_open": offer(other_volunteer, "open"),
            "far_open": offer(far_volunteer, "open"),
            "far_draft": offer(far_volunteer, "draft"),
        }
        db.session.commit()
        ids = ({k: v.id for k, v in needs.items()}, {k: v.id for k, v in offers.items()})
    return people, ids


NEED_VISIBILITY = {
    "sme_manager": {"own_draft", "own_open"},
    "volunteer": {"own_open", "other_open", "far_open"},
    "coordinator": {"own_draft", "own_open", "other_open", "other_draft"},
    "admin": {"own_draft", "own_open", "other_open", "other_draft", "far_open"},
    "group_referent": set(),
}
OFFER_VISIBILITY = {
    "sme_manager": {"own_open", "colleague_open", "far_open"},
    "volunteer": {"own_draft", "own_open"},
    "group_referent": {"own_draft", "own_open", "colleague_draft", "colleague_open"},
    "coordinator": {"own_draft", "own_open", "colleague_draft", "colleague_open"},
    "admin": {
        "own_draft",
        "own_open",
        "colleague_draft",
        "colleague_open",
        "far_open",
        "far_draft",
    },
}


@pytest.mark.parametrize("role", sorted(NEED_VISIBILITY))
def test_visibility_matrix(client, factory, app, role):
    people, (need_ids, offer_ids) = _world(factory, app)
    login(client, people[role].email, factory.password)
    for name, need_id in need_ids.items():
        status = client.get(f"/needs/{need_id}").status_code
        expected = (
            200 if name in NEED_VISIBILITY[role] else (403 if role == "group_referent" else 404)
        )
        assert status == expected, (role, "need", name, status)
    for name, offer_id in offer_ids.items():
        status = client.get(f"/offers/{offer_id}").status_code
        expected = 200 if name in OFFER_VISIBILITY[role] else 404
        assert status == expected, (role, "offer", name, status)
    if role != "group_referent":
        listed = client.get("/needs/export.csv").get_data(as_text=True)
        shown = {name for name, need_id in need_ids.items() if _ref_in(listed, app, Need, need_id)}
        assert shown == NEED_VISIBILITY[role]
    listed = client.get("/offers/export.csv").get_data(as_text=True)
    shown = {name for name, offer_id in offer_ids.items() if _ref_in(listed, app, Offer, offer_id)}
    assert shown == OFFER_VISIBILITY[role]


def _ref_in(text: str, app, model, record_id) -> bool:
    with app.app_context():
        ref = db.session.get(model, record_id).ref
    return f"\r\n{ref}," in text


def test_volunteer_posts_an_offer_for_themself_only(client, runner, login_as, factory, app):
    load_communes(runner)
    volunteer = login_as("volunteer")
    colleague = factory.user(
        role="volunteer", organisation=get(app, Organisation, volunteer.organisation_id)
    )
    response = post_form(client, "/offers/new", offer_form(colleague.id))
    assert response.status_code == 400
    assert count(app, Offer) == 0
    response = post_form(client, "/offers/new", offer_form(volunteer.id))
    assert response.status_code == 302
    offer = get(app, Offer, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert offer.expert_id == volunteer.id and offer.status == "draft"
    assert re.fullmatch(r"O-\d{6}", offer.ref) and offer.max_km == 60
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Reste" in page and "4" in page


def test_referent_posts_for_an_expert_of_the_group(client, runner, login_as, factory, app):
    load_communes(runner)
    referent = login_as("group_referent")
    expert = factory.user(
        role="volunteer", organisation=get(app, Organisation, referent.organisation_id)
    )
    outsider = factory.user(role="volunteer")
    assert post_form(client, "/offers/new", offer_form(outsider.id)).status_code == 400
    response = post_form(client, "/offers/new", offer_form(expert.id))
    assert response.status_code == 302
    offer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert get(app, Offer, offer_id).expert_id == expert.id
    assert act(client, f"/offers/{offer_id}/publish").status_code == 302
    assert get(app, Offer, offer_id).status == "open"


def test_offer_capacity_cannot_drop_below_what_is_committed(client, runner, login_as, app):
    load_communes(runner)
    volunteer = login_as("volunteer")
    response = post_form(client, "/offers/new", offer_form(volunteer.id))
    offer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        db.session.get(Offer, offer_id).minutes_reserved = 3 * 420 + 60  # 3 days and an hour
        db.session.commit()
    response = post_form(
        client, f"/offers/{offer_id}/edit", offer_form(volunteer.id, days="2"), token_from="/offers"
    )
    assert response.status_code == 400
    assert "Déjà réservé ou réalisé : " in response.get_data(as_text=True)
    assert get(app, Offer, offer_id).days == 4
    assert get(app, Offer, offer_id).minutes == 4 * 420
    page = client.get(f"/offers/{offer_id}").get_data(as_text=True)
    assert "3,14 réservés" in page and "6 h restantes" in page


def test_max_km_is_validated(client, runner, login_as, app):
    load_communes(runner)
    volunteer = login_as("volunteer")
    response = post_form(client, "/offers/new", offer_form(volunteer.id, max_km="-5"))
    assert response.status_code == 400
    assert count(app, Offer) == 0


def _import_dev(runner):
    from tests.test_import import DEV

    assert runner.invoke(args=["import", "needs", str(DEV / "needs.csv")]).exit_code == 0
    assert runner.invoke(args=["import", "offers", str(DEV / "offers.csv")]).exit_code == 0


@pytest.mark.parametrize(
    ("query", "expected_ref"),
    [
        ("maintenace preventive", "N-2006"),  # typo kept from the need itself
        ("MAINTENANCE PREVENTIVE", "N-2006"),
        ("sauvgardes", "N-2010"),  # a typo in the search
        ("Longlaville", "N-2014"),  # the commune is searched too
    ],
)
def test_search_forgives_case_accents_and_typos(client, runner, login_as, query, expected_ref):
    _import_dev(runner)
    login_as("admin")
    html = client.get("/needs", query_string={"q": query}).get_data(as_text=True)
    assert expected_ref in html


def test_search_of_nonsense_finds_nothing(client, runner, login_as):
    _import_dev(runner)
    login_as("admin")
    html = client.get("/needs", query_string={"q": "xylophone quantique"}).get_data(as_text=True)
    assert "Aucun besoin ne correspond" in html


def test_filters_sort_pagination_and_filtered_export(client, runner, login_as):
    _import_dev(runner)
    login_as("admin")
    first = client.get("/needs").get_data(as_text=True)
    assert "38 résultats" in first and "page 1 sur 2" in first
    third = client.get("/needs", query_string={"page": 2}).get_data(as_text=True)
    assert third.count("/needs/") - third.count("/needs/export") >= 10
    hr = client.get("/needs/export.csv", query_string={"category": "hr"}).get_data(as_text=True)
    rows = hr.strip().split("\r\n")[1:]
    assert rows and all(",hr," in row for row in rows)
    window = client.get(
        "/needs/export.csv", query_string={"window_from": "2026-12-01", "window_to": "2026-12-31"}
    ).get_data(as_text=True)
    for line in window.strip().split("\r\n")[1:]:
        latest = line.rsplit(",", 1)[1]
        assert latest >= "2026-12-01"
    ignored = client.get("/needs", query_string={"window_from": "garbage", "category": "zzz"})
    assert ignored.status_code == 400  # a bad filter is named next to its field, never a 500
    page = ignored.get_data(as_text=True)
    assert 'id="window_from-error"' in page or "window_from" in page
    assert "Aucun besoin" in page or "0 résultat" in page
    commune = client.get("/offers", query_string={"commune": "longwy"}).get_data(as_text=True)
    assert "Longwy" in commune


def test_skills_already_used_are_suggested(client, login_as):
    login_as("sme_manager")
    create_need(client, skills="GMAO; plan de maintenance")
    assert "GMAO" in client.get("/needs/new").get_data(as_text=True)


def test_search_as_a_coordinator_of_some_territories(client, runner, app):
    """Regression: a coordinator's list is limited by an IN over their territories."""
    from marketplace.demo import ACCOUNTS

    runner.invoke(args=["demo", "load", "--no-history"])
    _import_dev(runner)
    coordinator = next(a for a in ACCOUNTS if a.role == "coordinator")
    login(client, coordinator.email, coordinator.password)
    response = client.get("/needs", query_string={"q": "maintenace"})
    assert response.status_code == 200
    response = client.get("/offers", query_string={"q": "maintenance"})
    assert response.status_code == 200


def test_a_need_is_published_in_one_step_from_a_form_prefilled_with_the_smes_place(
    client, runner, login_as, app
):
    load_communes(runner)
    manager = login_as("sme_manager")
    with app.app_context():
        from marketplace.accounts.models import Organisation

        sme = db.session.get(Organisation, manager.organisation_id)
        sme.postcode, sme.commune = "54200", "Toul"
        db.session.commit()
    form = client.get("/needs/new").get_data(as_text=True)
    assert 'value="54200"' in form and 'value="Toul"' in form
    assert 'name="publish" value="1"' in form
    response = post_form(client, "/needs/new", need_form(publish="1"))
    assert response.status_code == 302
    need_id = int(re.search(r"/needs/(\d+)", response.headers["Location"]).group(1))
    assert get(app, Need, need_id).status == "open"  # published, not left as a draft
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "publié" in page and "proposition" in page
    draft_id = create_need(client)  # the other button keeps a draft
    assert get(app, Need, draft_id).status == "draft"
    draft = client.get(f"/needs/{draft_id}").get_data(as_text=True)
    assert "une fois le besoin publié" in draft  # not "nothing was found" before it ran


def test_the_filtered_lists_export_for_people_in_french_and_in_import_format_v1(
    client, runner, login_as
):
    _import_dev(runner)
    login_as("admin")
    page = client.get("/needs", query_string={"category": "hr"}).get_data(as_text=True)
    assert "format=people" in page and "Exporter au format d'import v1" in page
    people = client.get("/needs/export.csv", query_string={"category": "hr", "format": "people"})
    assert people.data.startswith(b"\xef\xbb\xbf")  # French Excel reads the accents
    assert re.search(
        r'filename="needs-\d{4}-\d{2}-\d{2}\.csv"', people.headers["Content-Disposition"]
    )
    lines = people.data[3:].decode("utf-8").strip().split("\r\n")
    header = lines[0].split(";")
    assert header[:5] == ["Référence", "Titre", "Catégorie", "Compétences", "Jours"]
    assert header[-3:] == ["PME", "Au plus tôt", "Au plus tard"]
    rows = [line.split(";") for line in lines[1:]]
    assert rows and all(row[2] == "Ressources humaines" for row in rows)  # labels, not hr
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", row[-1]) for row in rows)
    assert all(re.fullmatch(r"\d+(,\d+)?", row[4]) for row in rows)  # decimal comma
    offers = client.get("/offers/export.csv", query_string={"format": "people"})
    assert (
        offers.data[3:]
        .decode("utf-8")
        .split("\r\n")[0]
        .endswith("Disponible du;Disponible jusqu'au")
    )
    # The round-trip format is still the default, unchanged.
    v1 = client.get("/needs/export.csv", query_string={"category": "hr"}).get_data(as_text=True)
    assert v1.startswith("ref,") and ",hr," in v1
    assert client.get("/needs/export.csv", query_string={"format": "xls"}).status_code == 400
