"""Access matrix: every route × every role, checked on the server."""

from __future__ import annotations

import pytest

from marketplace.accounts.roles import Role
from tests.conftest import csrf_from

ROLES = [r.value for r in Role]
STAFF = {"coordinator", "admin"}
ANY = set(ROLES)
NEED_READERS = {"sme_manager", "volunteer", "coordinator", "admin"}
OFFER_AUTHORS = {"volunteer", "group_referent"}

# endpoint -> (method, path template, roles allowed). Public endpoints are listed apart.
PUBLIC = {
    "static",
    "accounts.login",
    "accounts.accept_invitation",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.set_language",
    "main.home",
    "main.healthz",
    "calendar.feed",
}
PROTECTED = {
    "accounts.logout": ("POST", "/logout", ANY),
    "accounts.change_password": ("GET", "/account/password", ANY),
    "admin.list_organisations": ("GET", "/admin/organisations", STAFF),
    "admin.new_organisation": ("GET", "/admin/organisations/new", STAFF),
    "admin.list_users": ("GET", "/admin/users", STAFF),
    "admin.invite_user": ("GET", "/admin/users/new", STAFF),
    "admin.reinvite_user": ("POST", "/admin/users/{user_id}/invitation", STAFF),
    "needs.list_needs": ("GET", "/needs", NEED_READERS),
    "needs.export_needs": ("GET", "/needs/export.csv", NEED_READERS),
    "needs.new_need": ("GET", "/needs/new", {"sme_manager"}),
    "needs.show_need": ("GET", "/needs/999999", NEED_READERS),
    "needs.edit_need": ("GET", "/needs/999999/edit", {"sme_manager"}),
    "needs.act_need": ("POST", "/needs/999999/publish", {"sme_manager"}),
    "offers.list_offers": ("GET", "/offers", ANY),
    "offers.export_offers": ("GET", "/offers/export.csv", ANY),
    "offers.new_offer": ("GET", "/offers/new", OFFER_AUTHORS),
    "offers.show_offer": ("GET", "/offers/999999", ANY),
    "offers.edit_offer": ("GET", "/offers/999999/edit", OFFER_AUTHORS),
    "offers.act_offer": ("POST", "/offers/999999/publish", OFFER_AUTHORS),
    "imports.upload": ("GET", "/imports", STAFF),
    "imports.preview": ("GET", "/imports/999999", STAFF),
    "imports.apply": ("POST", "/imports/999999/apply", STAFF),
    "matching.list_proposals": ("GET", "/proposals", ANY),
    "matching.refresh": ("POST", "/proposals/refresh", STAFF),
    "matching.assignment": ("GET", "/proposals/assignment", STAFF),
    "missions.list_missions": ("GET", "/missions", ANY),
    "missions.show_mission": ("GET", "/missions/999999", ANY),
    "missions.act": ("POST", "/missions/999999/cancel", ANY),
    "missions.act_session": ("POST", "/missions/999999/sessions/1/cancel", ANY),
    "missions.pair": ("GET", "/missions/new", STAFF),
    "missions.session_ics": ("GET", "/missions/999999/sessions/1.ics", ANY),
    "accounts.calendar_link": ("POST", "/account/calendar", ANY),
    "answers.answer": (
        "POST",
        "/proposals/999999/answer",
        {"sme_manager", "volunteer", "group_referent"},
    ),
    "notifications.list_notifications": ("GET", "/notifications", ANY),
    "notifications.outbox": ("GET", "/admin/outbox", {"admin"}),
    "reports.show_convention": (
        "GET",
        "/conventions/999999",
        {"coordinator", "admin", "group_referent"},
    ),
    "reports.set_hours": (
        "POST",
        "/conventions/999999/hours",
        {"coordinator", "admin", "group_referent"},
    ),
    "reports.reports": ("GET", "/reports", ANY),
    "ledger.mission_ledger": ("GET", "/missions/999999/ledger", STAFF),
    "reports.reports_csv": ("GET", "/reports.csv", ANY),
    "reports.reports_xlsx": ("GET", "/reports.xlsx", ANY),
    "reports.reports_pdf": ("GET", "/reports.pdf", ANY),
    "advances.list_advances": ("GET", "/advances", ANY),
    "advances.new_advance": ("GET", "/advances/new", {"sme_manager", "coordinator", "admin"}),
    "advances.show_advance": ("GET", "/advances/999999", ANY),
    "advances.edit_advance": ("GET", "/advances/999999/edit", ANY),
    "advances.act": ("POST", "/advances/999999/submit", ANY),
    "advances.money": ("POST", "/advances/999999/money/repay", STAFF),
    "advances.lift": ("POST", "/advances/999999/conditions/999999/lift", STAFF),
    "advances.list_funds": ("GET", "/funds", ANY),
    "advances.new_fund": ("GET", "/funds/new", {"admin"}),
    "advances.reschedule": ("POST", "/advances/999999/reschedule", STAFF),
    "advances.committee_members": ("POST", "/committees/999999/members", ANY),
    "advances.show_fund": ("GET", "/funds/999999", ANY),
    "advances.show_committee": ("GET", "/committees/999999", ANY),
    "advances.show_session": ("GET", "/committee-sessions/999999", ANY),
    "advances.minutes": ("GET", "/committee-sessions/999999/minutes", ANY),
    "advances.dossier_pack": ("GET", "/committee-sessions/999999/pack", ANY),
    "advances.minutes_pdf": ("GET", "/committee-sessions/999999/minutes.pdf", ANY),
    "programme.programme": ("GET", "/programme?territory=999999", STAFF | {"group_referent"}),
    "programme.programme_projects": ("GET", "/programme/projects?territory=999999", STAFF),
    "impact.list_follow_ups": ("GET", "/follow-ups", STAFF | {"sme_manager"}),
    "impact.show_follow_up": ("GET", "/follow-ups/999999", STAFF | {"sme_manager"}),
    "impact.daily_costs": ("GET", "/daily-costs?group=999999", STAFF | {"group_referent"}),
    "impact.attestation": ("GET", "/missions/999999/attestation", ANY),
    "impact.attestation_pdf": ("GET", "/missions/999999/attestation.pdf", ANY),
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == PUBLIC | set(PROTECTED), (
        "a route is missing from the access matrix: " + str(endpoints ^ (PUBLIC | set(PROTECTED)))
    )


@pytest.mark.parametrize("endpoint", sorted(PROTECTED))
def test_anonymous_is_sent_to_login(client, factory, endpoint):
    method, path, _roles = PROTECTED[endpoint]
    target = factory.user(role="volunteer", is_active=False)
    url = path.format(user_id=target.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_from(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(PROTECTED))
def test_roles_per_route(client, factory, login_as, role, endpoint):
    method, path, allowed = PROTECTED[endpoint]
    user = login_as(role)
    # An inactive account inside the coordinator's scope, for the re-invite route.
    target_org = user.organisation_id if role == "coordinator" else None
    target = factory.user(role="volunteer", is_active=False) if target_org is None else None
    if target is None:
        from marketplace.accounts.models import Organisation, User
        from marketplace.extensions import db

        with client.application.app_context():
            operator = db.session.get(Organisation, target_org)
            group = factory.organisation(kind="group", territory=operator.territory)
            target = factory.user(role="volunteer", organisation=group, is_active=False)
            assert db.session.get(User, target.id) is not None
    url = path.format(user_id=target.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_from(client, "/")})
    if role in allowed:
        # Object routes point at an id that does not exist: past the role
        # guard, the object lookup answers 404.
        expected = (404,) if "999999" in url else (200, 302)
        assert response.status_code in expected, response.status_code
    else:
        assert response.status_code == 403
        assert "Accès refusé" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_has_its_home(client, login_as, role):
    login_as(role)
    response = client.get("/")
    assert response.status_code == 200
    titles = {
        "admin": "Administration",
        "coordinator": "Mes conventions",
        "group_referent": "Les experts de mon groupe",
        "volunteer": "Merci de mettre votre expertise",
        "sme_manager": "Votre entreprise est sur le territoire",
    }
    assert titles[role] in response.get_data(as_text=True)


def test_home_of_anonymous_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
