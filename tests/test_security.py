"""Security defaults: CSRF, cookies, headers, redirects, config, hashing."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from config import DEV_SECRET_KEY, Config, ProductionConfig
from marketplace import create_app
from marketplace.accounts.services import hash_password
from tests.conftest import csrf_from, login


def test_post_without_csrf_token_is_refused_and_does_not_log_in(client, factory):
    user = factory.user()
    response = client.post("/login", data={"email": user.email, "password": factory.password})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_post_with_a_forged_csrf_token_is_refused(client, factory):
    user = factory.user()
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": factory.password, "csrf_token": "forged"},
    )
    assert response.status_code == 400


def test_csrf_token_from_another_session_is_refused(client, factory, app):
    user = factory.user()
    stolen = csrf_from(app.test_client())
    client.get("/login")
    response = client.post(
        "/login", data={"email": user.email, "password": factory.password, "csrf_token": stolen}
    )
    assert response.status_code == 400


def _set_cookie_headers(response, name):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


def test_session_and_remember_cookie_flags(client, factory):
    user = factory.user()
    response = login(client, user.email, factory.password, remember="y")
    (session_cookie,) = _set_cookie_headers(response, "session")
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    (remember,) = _set_cookie_headers(response, "remember_token")
    assert "HttpOnly" in remember
    assert "SameSite=Lax" in remember
    cookie = client.get_cookie("remember_token")
    from datetime import UTC, datetime, timedelta

    lifetime = cookie.expires - datetime.now(UTC)
    assert timedelta(days=13) < lifetime <= timedelta(days=14, minutes=1)


def test_production_sets_secure_cookie_on_login(db_url, factory, db):
    """The production configuration as shipped (its cookie flags are not set by the test)."""
    config = type(
        "ProductionOnTestDatabase",
        (ProductionConfig,),
        {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "a-real-secret-for-this-test"},
    )
    application = create_app(config)
    try:
        client = application.test_client()
        user = factory.user()
        response = login(client, user.email, factory.password, remember="y")
        for name in ("session", "remember_token"):
            (cookie,) = _set_cookie_headers(response, name)
            assert "Secure" in cookie
        assert "max-age" in response.headers["Strict-Transport-Security"]
    finally:
        from tests.conftest import dispose

        dispose(application)


def test_production_refuses_to_start_without_a_secret_key():
    bare = type("Prod", (ProductionConfig,), {"SECRET_KEY": DEV_SECRET_KEY})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(bare)
    empty = type("Prod", (ProductionConfig,), {"SECRET_KEY": ""})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(empty)


def test_debug_is_off_by_default():
    assert Config.DEBUG is False
    assert ProductionConfig.DEBUG is False


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client, factory):
    user = factory.user(role="admin")
    login(client, user.email, factory.password)
    for path in ("/login", "/", "/admin/users", "/admin/organisations/new"):
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html
        assert "style=" not in html
        assert "<style" not in html


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_redirects_only_to_local_paths(client, factory, next_url, expected):
    user = factory.user(role="admin")
    token = csrf_from(client)
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={"email": user.email, "password": factory.password, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_password_hashing_meets_the_owasp_floor():
    method = Config.PASSWORD_HASH_METHOD
    name, n, r, p = method.split(":")
    assert name == "scrypt"
    # OWASP: scrypt with N=2^15 needs p >= 3 (or a larger N at lower p).
    assert int(n) >= 2**15 and int(r) >= 8 and int(p) >= 3
    hashed = hash_password("a long enough password", method)
    assert hashed.startswith("scrypt:32768:8:3$")
    assert check_password_hash(hashed, "a long enough password")


def test_weaker_hash_is_upgraded_at_login(client, factory, app):
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    user = factory.user()
    with app.app_context():
        record = db.session.get(User, user.id)
        record.password_hash = hash_password(factory.password, "pbkdf2:sha256:1000")
        db.session.commit()
    login(client, user.email, factory.password)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash.startswith(
            app.config["PASSWORD_HASH_METHOD"] + "$"
        )


def test_oversized_field_is_refused_with_a_message(client):
    response = client.post(
        "/login",
        data={
            "email": "x" * 300 + "@test.example",
            "password": "p",
            "csrf_token": csrf_from(client),
        },
    )
    assert response.status_code == 400
    assert "254" in response.get_data(as_text=True)


def test_every_response_with_personal_data_is_no_store(client, login_as, runner):
    """F7: the CSV and XLSX exports (names, e-mails) could be kept by a cache."""
    runner.invoke(args=["demo", "load"])
    login_as("admin")
    for path in (
        "/",
        "/needs",
        "/needs/export.csv",
        "/offers/export.csv",
        "/reports.csv",
        "/reports.xlsx",
        "/notifications",
        "/needs/999999",  # an error page too
    ):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    static = client.get("/static/css/app.css")
    static.close()
    assert static.headers.get("Cache-Control") != "no-store"


def test_healthz_answers_without_a_session_after_asking_the_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert "Set-Cookie" not in response.headers  # no session is created for it
    from sqlalchemy import event

    from marketplace.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine

    def _record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    try:
        assert client.get("/healthz").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", _record)
    assert "SELECT 1" in seen  # the database is really asked, every time
