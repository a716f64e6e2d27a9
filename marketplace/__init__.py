"""The skill-days marketplace: application factory."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

# Flask and SQLAlchemy are imported inside the functions: the pure parts of the
# package (the matcher, text normalisation) must import without them.
if TYPE_CHECKING:
    from flask import Flask

    from config import Config


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the Flask app: extensions, blueprints, CLI, error handlers. Starts no thread."""
    from flask import Flask

    from config import Config

    config_class = config_class or Config
    config_class.check()
    # The matcher cannot run without its encoder: say so now, naming the package to
    # install, rather than at the first publish.
    from marketplace.matching.encoder import check_available

    check_available()
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=False,
    )
    app.config.from_object(config_class)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from marketplace.extensions import babel, csrf, db, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    mail.init_app(app)
    _configure_database(app)
    _configure_login(app)

    from marketplace import i18n, security

    security.init_app(app)
    i18n.init_app(app)

    from marketplace.params import BoundedIntConverter
    from marketplace.urls import with_query

    # Before any route is added: every `<int:…>` of every blueprint is bounded.
    app.url_map.converters["int"] = BoundedIntConverter
    app.jinja_env.globals["with_query"] = with_query

    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.admin.views import bp as admin_bp
    from marketplace.advances.views import bp as advances_bp
    from marketplace.impact.views import bp as impact_bp
    from marketplace.imports.views import bp as imports_bp
    from marketplace.ledger.views import bp as ledger_bp
    from marketplace.main.views import bp as main_bp
    from marketplace.matching.views import bp as matching_bp
    from marketplace.missions.views import answer_bp, calendar_bp
    from marketplace.missions.views import bp as missions_bp
    from marketplace.needs.views import bp as needs_bp
    from marketplace.notifications.views import bp as notifications_bp
    from marketplace.offers.views import bp as offers_bp
    from marketplace.reports.funder_views import bp as programme_bp
    from marketplace.reports.views import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(needs_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(missions_bp)
    app.register_blueprint(answer_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(advances_bp)
    app.register_blueprint(impact_bp)
    app.register_blueprint(programme_bp)

    from marketplace import cli, http_errors
    from marketplace.matching.incremental import connect_signals

    connect_signals()  # the matcher follows needs and offers as they change

    http_errors.init_app(app)
    cli.init_app(app)
    return app


def _configure_database(app: Flask) -> None:
    # Importing the models registers them on the metadata (for migrations).
    import marketplace.models  # noqa: F401
    from marketplace.db import tune_sqlite
    from marketplace.extensions import db

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _configure_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.extensions import db, login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id carries the session version: after logout or a password
        # change the number no longer matches and the old cookie is refused.
        try:
            raw_id, raw_version = user_id.split(":", 1)
            uid, version = int(raw_id), int(raw_version)
        except (ValueError, AttributeError):
            return None
        user = db.session.scalar(select(User).where(User.id == uid))
        if user is None or user.session_version != version or not user.is_active:
            return None
        return user


def _select_locale() -> str:
    """The user's choice (account, then session), else French."""
    from flask import current_app, g, request, session
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if getattr(g, "forced_locale", None) in languages:
        return g.forced_locale
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
