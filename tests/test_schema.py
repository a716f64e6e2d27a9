"""The Alembic history builds exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from marketplace.extensions import db


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_are_at_head(app):
    from alembic.script import ScriptDirectory

    with app.app_context(), db.engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        config = app.extensions["migrate"].migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
    assert current == head


def test_constraints_exist_in_the_database(app):
    with app.app_context():
        inspector = inspect(db.engine)
        checks = {c["name"] for c in inspector.get_check_constraints("users")}
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("users")}
    assert "ck_users_role" in checks
    assert ("email",) in uniques


def test_database_refuses_an_unknown_role(app, db):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(
                    "INSERT INTO users (email, name, role, is_active, session_version, created_at)"
                    " VALUES ('x@test.example', 'X', 'superuser', true, 1, CURRENT_TIMESTAMP)"
                )
            )
            db.session.flush()
        db.session.rollback()
