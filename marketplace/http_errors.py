"""Error pages in the site's style, and domain errors turned into 4xx answers."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.params import BadParameter

TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("Access denied"),
    404: lambda: _("Page not found"),
    405: lambda: _("Method not allowed"),
    409: lambda: _("Action not possible"),
    410: lambda: _("Link no longer valid"),
    413: lambda: _("File too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
}


def render_error(status: int, message: str | None = None):
    title = TITLES.get(status, TITLES[500])()
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(
            400,
            _("The form has expired or was not sent by this site. Reload the page and try again."),
        )

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        # A refused action writes nothing: whatever it began is undone.
        db.session.rollback()
        return render_error(error.status_code, str(error.message))

    @app.errorhandler(BadParameter)
    def _bad_parameter(error: BadParameter):
        return render_error(400, error.description)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return render_error(error.code or 500)
