"""Login, logout, sessions, password change and throttling, through the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
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
    assert _failures(app) == 15  # 5 each per account, address and pair; the 6th not counted


def test_an_attacker_cannot_lock_the_owner_out_from_another_address(client, factory, app):
    """F6: 5 bad attempts on someone's e-mail used to lock them out for 15 minutes."""
    victim = factory.user()
    for _ in range(5):
        assert login(client, victim.email, "bad password").status_code == 401
    assert login(client, victim.email, factory.password).status_code == 429  # that pair
    owner = app.test_client()
    token = csrf_from(owner)
    ok = owner.post(
        "/login",
        data={"email": victim.email, "password": factory.password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert ok.status_code == 302  # their own address never failed on the account


def test_throttling_per_address_across_accounts(client, factory):
    for n in range(5):
        login(client, f"guess{n}@test.example", "bad password")
    user = factory.user()
    # F6: 5 failures from an address no longer refuse everyone's valid login from it.
    assert login(client, user.email, factory.password).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    for n in range(5, 20):
        login(client, f"guess{n}@test.example", "bad password")
    assert login(client, user.email, factory.password).status_code == 429  # 20: the address
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
        from marketplace.accounts.services import _pair_key

        pair = _pair_key(user.email, "127.0.0.1")
        for kind, key in (("account", user.email), ("address", "127.0.0.1"), ("pair", pair)):
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
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.key_kind.in_(("account", "pair"))
            )
        )
    assert remaining == 0


def test_last_login_is_recorded(client, factory, app):
    user = factory.user()
    login(client, user.email, factory.password)
    with app.app_context():
        assert _db.session.get(User, user.id).last_login_at is not None


def test_an_account_under_attack_gets_a_growing_delay_not_a_lock(app, factory):
    """Failures from many addresses (each under the pair limit): an address that failed on
    the account waits longer and longer; an address that never failed is not refused."""
    from marketplace.accounts.services import ThrottlePolicy, authenticate
    from marketplace.errors import Throttled

    victim = factory.user()
    policy = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15), delay_after=5)
    method = app.config["PASSWORD_HASH_METHOD"]
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        for n in range(5):  # five addresses, one failure each: no delay yet
            assert authenticate(victim.email, "x", f"10.0.0.{n}", start, policy, method) is None
        _db.session.commit()
        # The 6th failure from 10.0.0.0 passes (delay 1 s from its last failure, long ago)...
        later = start + timedelta(seconds=30)
        assert authenticate(victim.email, "x", "10.0.0.0", later, policy, method) is None
        _db.session.commit()
        # ...then 6 failures on the account: 2 s to wait from that address.
        with pytest.raises(Throttled):
            authenticate(
                victim.email, "x", "10.0.0.0", later + timedelta(seconds=1), policy, method
            )
        assert (
            authenticate(
                victim.email, "x", "10.0.0.0", later + timedelta(seconds=3), policy, method
            )
            is None
        )
        _db.session.commit()
        # A clean address is never delayed, and the right password works from it.
        user = authenticate(victim.email, factory.password, "10.7.7.7", later, policy, method)
        assert user is not None and user.id == victim.id
    assert policy.delay(5) == timedelta(seconds=1) and policy.delay(30) == timedelta(minutes=2)


def test_client_addresses_come_from_proxy_headers_only_when_trusted(db_url, factory, db):
    from marketplace import create_app
    from tests.conftest import dispose, make_config

    user = factory.user()
    for proxies, expected in ((0, 429), (1, 302)):
        application = create_app(make_config(db_url, TRUSTED_PROXIES=proxies))
        try:
            with application.app_context():
                _db.session.execute(_db.delete(LoginAttempt))
                _db.session.commit()
            attacker = application.test_client()
            for _ in range(5):
                token = csrf_from(attacker)
                attacker.post(
                    "/login",
                    data={"email": user.email, "password": "bad", "csrf_token": token},
                    headers={"X-Forwarded-For": "203.0.113.5"},
                )
            owner = application.test_client()
            token = csrf_from(owner)
            response = owner.post(
                "/login",
                data={"email": user.email, "password": factory.password, "csrf_token": token},
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
            # Untrusted: both came from the same socket address, the header is ignored.
            assert response.status_code == expected, proxies
        finally:
            dispose(application)
