"""Organisations and invitations, by coordinators and admins."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Invitation, Organisation, User
from marketplace.extensions import db
from tests.conftest import csrf_from, login, post_form

LINK_RE = re.compile(r"/invitation/([A-Za-z0-9_\-]+)")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def org_form(territory_id: int, **overrides) -> dict:
    data = {
        "kind": "sme",
        "name": "Chaudronnerie Toulois",
        "siren": "732 829 320",
        "naf_code": "25.62B",
        "headcount": "12",
        "postcode": "54200",
        "commune": "Toul",
        "lat": "48.675",
        "lon": "5.891",
        "territory_id": str(territory_id),
    }
    data.update(overrides)
    return data


def coordinator_territory(app, user) -> int:
    with app.app_context():
        return db.session.get(Organisation, user.organisation_id).territory_id


def test_coordinator_creates_an_organisation(client, login_as, app):
    user = login_as("coordinator")
    territory_id = coordinator_territory(app, user)
    response = post_form(client, "/admin/organisations/new", org_form(territory_id))
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(
            select(Organisation).where(Organisation.name == "Chaudronnerie Toulois")
        )
        assert created.siren == "732829320"
        assert created.territory_id == territory_id
    assert "Chaudronnerie Toulois" in client.get("/admin/organisations").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "732829321", "sa clé de contrôle est fausse"),
        ("siren", "73282932", "exactement 9 chiffres"),
        ("siren", "7328293AB", "que des chiffres"),
        ("postcode", "5420", "5 chiffres"),
        ("postcode", "ABCDE", "5 chiffres"),
        ("name", "x" * 201, "200"),
        ("name", "", "requis"),
        ("lat", "123", "90"),
        ("naf_code", "ABC", "25.62B"),
        ("kind", "bank", "pas un choix valide"),
    ],
)
def test_bad_organisation_input_is_refused_and_writes_nothing(
    client, login_as, app, field, value, message
):
    user = login_as("coordinator")
    before = count(app, Organisation)
    response = post_form(
        client,
        "/admin/organisations/new",
        org_form(coordinator_territory(app, user), **{field: value}),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html  # the message sits next to its field
    assert count(app, Organisation) == before


def test_duplicate_siren_is_refused(client, login_as, app):
    user = login_as("coordinator")
    territory_id = coordinator_territory(app, user)
    post_form(client, "/admin/organisations/new", org_form(territory_id))
    response = post_form(client, "/admin/organisations/new", org_form(territory_id, name="Autre"))
    assert response.status_code == 400
    assert "Une organisation avec ce SIREN existe déjà." in response.get_data(as_text=True)


def test_coordinator_cannot_create_in_another_territory(client, login_as, factory, app):
    login_as("coordinator")
    elsewhere = factory.territory()
    before = count(app, Organisation)
    response = post_form(client, "/admin/organisations/new", org_form(elsewhere.id))
    assert response.status_code == 400  # not a choice offered to this coordinator
    assert count(app, Organisation) == before


def test_coordinator_sees_only_organisations_in_scope(client, login_as, factory, app):
    user = login_as("coordinator")
    with app.app_context():
        own_territory = db.session.get(Organisation, user.organisation_id).territory
    inside = factory.organisation(kind="sme", territory=own_territory, name="PME du territoire")
    outside = factory.organisation(kind="sme", name="PME d'ailleurs")
    html = client.get("/admin/organisations").get_data(as_text=True)
    assert inside.name in html
    assert outside.name not in html


def _invite(client, **overrides):
    data = {"email": "nouvelle@test.example", "name": "Nadia Nouvelle", "role": "sme_manager"}
    data.update(overrides)
    return post_form(client, "/admin/users/new", data)


def _sme_in_scope(app, factory, coordinator):
    with app.app_context():
        territory = db.session.get(Organisation, coordinator.organisation_id).territory
    return factory.organisation(kind="sme", territory=territory)


def test_invitation_flow(client, login_as, factory, app, caplog):
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    with caplog.at_level("INFO"):
        response = _invite(client, organisation_id=str(sme.id))
    assert response.status_code == 200
    token = LINK_RE.search(response.get_data(as_text=True)).group(1)
    assert not any(token in record.getMessage() for record in caplog.records)  # never logged
    with app.app_context():
        from marketplace.mail.models import OutboxMail

        (mail,) = db.session.scalars(select(OutboxMail)).all()
        assert mail.to_address == "nouvelle@test.example"
        assert token not in mail.body and "non conservé" in mail.body  # a redacted copy
        assert mail.secret and token not in mail.secret  # the link, encrypted at rest

    with app.app_context():
        invited = db.session.scalar(select(User).where(User.email == "nouvelle@test.example"))
        assert invited.is_active is False and invited.password_hash is None
        stored = db.session.scalar(select(Invitation.token_hash))
        assert token not in stored  # only a digest is stored

    invited_client = app.test_client()
    assert login(invited_client, "nouvelle@test.example", "whatever password").status_code == 401
    page = invited_client.get(f"/invitation/{token}")
    assert page.status_code == 200
    assert "Nadia Nouvelle" in page.get_data(as_text=True)
    response = post_form(
        invited_client,
        f"/invitation/{token}",
        {"new_password": "mon mot de passe solide", "confirm": "mon mot de passe solide"},
    )
    assert response.status_code == 302
    assert invited_client.get("/").status_code == 200  # logged in

    # The link works once.
    reused = app.test_client().get(f"/invitation/{token}")
    assert reused.status_code == 410
    assert "déjà été utilisé" in reused.get_data(as_text=True)
    fresh = app.test_client()
    assert login(fresh, "nouvelle@test.example", "mon mot de passe solide").status_code == 302


def test_expired_invitation_is_refused(client, login_as, factory, app):
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    token = LINK_RE.search(
        _invite(client, organisation_id=str(sme.id)).get_data(as_text=True)
    ).group(1)
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        invitation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    other = app.test_client()
    response = other.get(f"/invitation/{token}")
    assert response.status_code == 410
    assert "a expiré" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(User).where(User.email == "nouvelle@test.example")
            ).password_hash
            is None
        )


def test_unknown_invitation_token(client):
    response = client.get("/invitation/not-a-real-token")
    assert response.status_code == 410
    assert "pas valable" in response.get_data(as_text=True)


def test_invitation_password_rules(client, login_as, factory, app):
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    token = LINK_RE.search(
        _invite(client, organisation_id=str(sme.id)).get_data(as_text=True)
    ).group(1)
    other = app.test_client()
    response = post_form(
        other, f"/invitation/{token}", {"new_password": "court", "confirm": "court"}
    )
    assert response.status_code == 400
    response = post_form(
        other,
        f"/invitation/{token}",
        {"new_password": "un mot de passe long", "confirm": "un autre mot de passe"},
    )
    assert response.status_code == 400
    assert "Les mots de passe sont différents." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Invitation.used_at)) is None


def test_coordinator_cannot_invite_an_admin(client, login_as, app):
    login_as("coordinator")
    before = count(app, User)
    response = _invite(client, role="admin", organisation_id="0")
    assert response.status_code == 400
    assert count(app, User) == before


def test_role_must_fit_the_organisation_kind(client, login_as, factory, app):
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    before = count(app, User)
    response = _invite(client, role="volunteer", organisation_id=str(sme.id))
    assert response.status_code == 400
    assert "bon type" in response.get_data(as_text=True)
    assert count(app, User) == before


def test_coordinator_cannot_invite_into_an_organisation_out_of_scope(
    client, login_as, factory, app
):
    login_as("coordinator")
    outside = factory.organisation(kind="sme")
    before = count(app, User)
    response = _invite(client, organisation_id=str(outside.id))
    assert response.status_code == 400
    assert count(app, User) == before


def test_duplicate_email_is_refused(client, login_as, factory, app):
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    _invite(client, organisation_id=str(sme.id))
    response = _invite(client, email="NOUVELLE@test.example", organisation_id=str(sme.id))
    assert response.status_code == 400
    assert "Un compte existe déjà" in response.get_data(as_text=True)


def test_admin_can_invite_an_admin(client, login_as, app):
    login_as("admin")
    response = _invite(client, role="admin", organisation_id="0", email="boss@test.example")
    assert response.status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(select(User.role).where(User.email == "boss@test.example")) == "admin"
        )


def test_reinvite_issues_a_new_link_for_inactive_accounts_only(client, login_as, factory, app):
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    inactive = factory.user(role="sme_manager", organisation=sme, is_active=False)
    active = factory.user(role="sme_manager", organisation=sme)
    token = csrf_from(client, "/admin/users")
    response = client.post(f"/admin/users/{inactive.id}/invitation", data={"csrf_token": token})
    assert response.status_code == 200
    assert LINK_RE.search(response.get_data(as_text=True))
    response = client.post(f"/admin/users/{active.id}/invitation", data={"csrf_token": token})
    assert response.status_code == 409
    outsider = factory.user(role="sme_manager", is_active=False)
    response = client.post(f"/admin/users/{outsider.id}/invitation", data={"csrf_token": token})
    assert response.status_code == 404


def test_the_invitation_link_uses_the_configured_base_url_not_the_request_host(
    client, login_as, factory, app, monkeypatch
):
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://jours.example/alize")
    coordinator = login_as("coordinator")
    sme = _sme_in_scope(app, factory, coordinator)
    response = _invite(client, organisation_id=str(sme.id))
    page = response.get_data(as_text=True)
    assert "https://jours.example/alize/invitation/" in page
    assert "http://localhost/invitation/" not in page  # the test client's host
