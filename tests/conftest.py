"""Fixtures: a migrated real database (SQLite file, or TEST_DATABASE_URL), app, client, runner."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text

from config import TestConfig
from marketplace import create_app
from marketplace.extensions import db as _db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def make_config(url: str, **overrides) -> type[TestConfig]:
    return type("BoundTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


def reset_schema(app) -> None:
    """Drop everything, then build the schema with the Alembic migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            _db.drop_all()
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
        _db.engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    return database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(db_url):
    application = create_app(make_config(db_url))
    reset_schema(application)
    yield application
    dispose(application)


def dispose(application) -> None:
    """Close the pooled connections of an app (avoids ResourceWarnings at exit)."""
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture()
def second_worker(db_url, db):
    """Another app instance on the same database, as a second worker process would be."""
    application = create_app(make_config(db_url))
    yield application
    dispose(application)


def _truncate_all() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            _db.session.execute(text(f"DELETE FROM {name}"))
    _db.session.commit()


@pytest.fixture()
def db(app):
    """The database, emptied after each test (tests commit for real).

    No app context stays pushed during the test: each client request must get
    its own, as in production. Tests open `with app.app_context():` to query.
    """
    yield _db
    with app.app_context():
        _truncate_all()


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


def csrf_from(client, path: str = "/login") -> str:
    """A CSRF token read from a real page, as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict, token_from: str | None = None, **kwargs):
    """Submit a form with the CSRF token of the current session."""
    token = csrf_from(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def login(client, email: str, password: str, **extra):
    return post_form(client, "/login", {"email": email, "password": password, **extra})


@pytest.fixture()
def factory(app, db):
    from tests.factories import Factory

    return Factory(app)


@pytest.fixture()
def login_as(client, factory):
    """Create a user of the given role (with organisation and convention) and log in."""

    def _login_as(role: str, **kwargs):
        user = factory.user(role=role, **kwargs)
        response = login(client, user.email, factory.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item, for fixtures that act on a failure (the
    browser tests save a screenshot)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
