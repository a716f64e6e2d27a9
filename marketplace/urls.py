"""Links built from the URL map, inside or outside a request (jobs, commands, mails).

`internal_url` gives the path of an endpoint ("/missions/3"), the form notifications keep:
a link inside the app. `external_url` gives the absolute address a mail carries, from the
configured `APP_BASE_URL`, never from the Host header of whatever request is running (a
forged Host would otherwise end up in a mail).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for


def _adapter(base_url: str):
    parts = urlsplit(base_url)
    return current_app.url_map.bind(
        parts.netloc or "localhost",
        script_name=parts.path.rstrip("/") or "/",
        url_scheme=parts.scheme or "http",
    )


def internal_url(endpoint: str, **values) -> str:
    """The path of an endpoint, as url_for builds it (relative to the site's root)."""
    return _adapter(current_app.config["APP_BASE_URL"]).build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint under APP_BASE_URL (for mails)."""
    return _adapter(current_app.config["APP_BASE_URL"]).build(endpoint, values, force_external=True)


def absolute(path: str) -> str:
    """An internal path (as notifications keep it) made absolute under APP_BASE_URL."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + "/" + path.lstrip("/")


def with_query(endpoint: str, drop: tuple[str, ...] = (), **changes) -> str:
    """The current page's query string kept (first value of each parameter) with changes,
    for links such as "next page" or "export this list". Names url_for reserves
    (`_external`, `_anchor`…) are never taken from the query string."""
    args = {
        k: v
        for k, v in request.args.items()
        if not k.startswith("_") and k not in drop and k not in ("endpoint", "values")
    }
    return url_for(endpoint, **{**args, **changes})
