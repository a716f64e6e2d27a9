"""Pages as PDF documents: WeasyPrint lays out the page's own HTML for print.

The page is rendered as the browser gets it and laid out with its print stylesheet, so the
PDF and the browser's print say the same thing. The renderer reads only the application's
own static files (no network: a page can never make the server fetch a URL), and fonts
come from the system (Debian: fonts-dejavu-core). WeasyPrint needs Pango; without it the
download answers 503 naming what to install, and the rest of the application runs.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, abort, current_app
from flask_babel import gettext as _


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it loads are missing."""


def html_to_pdf(html: str, static_folder: str, static_url: str = "/static/") -> bytes:
    """The PDF of `html`, whose stylesheets and images are read from `static_folder`."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as error:  # OSError: Pango's shared library not found
        raise PdfUnavailable(
            f"PDF output needs WeasyPrint and Pango (Debian: libpango-1.0-0 "
            f"libpangoft2-1.0-0 fonts-dejavu-core): {error}"
        ) from error
    root = Path(static_folder).resolve()

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = urlsplit(url).path
            if not path.startswith(static_url):
                raise ValueError(f"only the application's static files are read: {url}")
            file = (root / path[len(static_url) :]).resolve()
            if not file.is_relative_to(root) or not file.is_file():
                raise ValueError(f"no such static file: {path}")
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, file.read_bytes(), {"Content-Type": kind})

    document = HTML(string=html, base_url="http://pdf.invalid/", url_fetcher=StaticFilesOnly())
    return document.write_pdf()


def pdf_download(html: str, filename_stem: str) -> Response:
    """The page as a PDF attachment; without WeasyPrint or Pango, a 503 that says to use
    the printable page (and the log says what to install)."""
    try:
        pdf = html_to_pdf(html, current_app.static_folder)
    except PdfUnavailable as error:
        current_app.logger.error("%s", error)
        abort(
            503,
            description=_("PDF output is not available on this server; use the printable page."),
        )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename_stem}.pdf"'},
    )
