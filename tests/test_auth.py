"""Login, logout, sessions, password change and throttling, through the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import LoginAttempt, User
from marketplace.extensions import db as _db
from tests.conftest import csrf_from, login, post_form


def test_login_page_is_french_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Connexion" in html
    assert 'lang="fr"' in html


def test_login_success_redirects_home(client, factory):
    user = factory.user(role="sme_manager")
    response = login(client, user.email, factory.password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Bonjour" in client.get("/").get_data(as_text=True)


def test_email_is_case_insensitive(client, factory):
    user = factory.user(role="volunteer")
    assert login(client, user.email.upper(), factory.password).status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(client, factory, app):
    user = factory.user()
    response = login(client, user.email, "not the password")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_unknown_email_gets_the_same_answer(client):
    response = login(client, "nobody@test.example", "whatever-password")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.get_data(as_text=True)


def test_empty_form_says_which_field_is_missing(client):
    response = login(client, "", "")
    assert response.status_code == 400
    assert "Ce champ est requis." in response.get_data(as_text=True)


def test_inactive_account_cannot_log_in(client, factory):
    user = factory.user(is_active=False)
    assert login(client, user.email, factory.password).status_code == 401


def test_login_starts_a_new_session(client, factory):
    user = factory.user()
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, user.email, factory.password)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].startswith(f"{user.id}:")


def test_logout_ends_the_session_and_replaying_the_cookie_fails(client, factory, app):
    user = factory.user()
    login(client, user.email, factory.password, remember="y")
    old_session = client.get_cookie("session").value
    old_remember = client.get_cookie("remember_token").value
    assert client.get("/").status_code == 200

    token = csrf_from(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302

    # Replay the cookies captured before logout: they no longer open a session.
    replay = app.test_client()
    replay.set_cookie("session", old_session)
    replay.set_cookie("remember_token", old_remember)
    response = replay.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logout_requires_post_with_csrf(client, factory):
    user = factory.user()
    login(client, user.email, factory.password)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_password_change(client, factory, app):
    user = factory.user()
    other_device = app.test_client()
    login(other_device, user.email, factory.password)
    login(client, user.email, factory.password)

    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "wrong",
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert response.status_code == 400
    assert "Le mot de passe actuel est incorrect." in response.get_data(as_text=True)

    response = post_form(
        client,
        "/account/password",
        {"current_password": factory.password, "new_password": "short", "confirm": "short"},
    )
    assert response.status_code == 400
    assert "Entre 12 et 128 caractères." in response.get_data(as_text=True)

    response = post_form(
        client,
        "/account/password",
        {
            "current_password": factory.password,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session stays
    assert other_device.get("/").status_code == 302  # the other one ends

    fresh = app.test_client()
    assert login(fresh, user.email, factory.password).status_code == 401
    assert login(fresh, user.email, "a brand new secret").status_code == 302


def _failures(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count(LoginAttempt.id)))


def test_sixth_bad_attempt_is_refused_with_429(client, factory, app):
    user = factory.user()
    for _ in range(5):
        assert login(client, user.email, "bad password").status_code == 401
    response = login(client, user.email, factory.password)  # even the right one
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert _failures(app) == 10  # 5 per account + 5 per address; the 6th is not counted


def test_throttling_per_address_across_accounts(client, factory):
    for n in range(5):
        login(client, f"guess{n}@test.example", "bad password")
    user = factory.user()
    assert login(client, user.email, factory.password).status_code == 429
    # From another address the account itself is not locked.
    other = client.application.test_client()
    token = csrf_from(other)
    ok = other.post(
        "/login",
        data={"email": user.email, "password": factory.password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert ok.status_code == 302


def test_throttling_holds_across_worker_processes(client, factory, second_worker):
    """Failures recorded by one app instance count in another (shared database)."""
    user = factory.user()
    for _ in range(5):
        login(client, user.email, "bad password")
    other = second_worker.test_client()
    response = login(other, user.email, factory.password)
    assert response.status_code == 429


def test_old_failures_do_not_count(client, factory, app):
    user = factory.user()
    long_ago = datetime.now(UTC) - timedelta(minutes=16)
    with app.app_context():
        for kind, key in (("account", user.email), ("address", "127.0.0.1")):
            for _ in range(5):
                _db.session.add(LoginAttempt(key_kind=kind, key=key, attempted_at=long_ago))
        _db.session.commit()
    assert login(client, user.email, factory.password).status_code == 302


def test_success_clears_the_account_failures(client, factory, app):
    user = factory.user()
    for _ in range(3):
        login(client, user.email, "bad password")
    assert login(client, user.email, factory.password).status_code == 302
    with app.app_context():
        remaining = _db.session.scalar(
            select(func.count(LoginAttempt.id)).where(LoginAttempt.key_kind == "account")
        )
    assert remaining == 0


def test_last_login_is_recorded(client, factory, app):
    user = factory.user()
    login(client, user.email, factory.password)
    with app.app_context():
        assert _db.session.get(User, user.id).last_login_at is not None
