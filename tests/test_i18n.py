"""French first, English available; every message has its French translation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import csrf_from, login

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted_messages() -> set[str]:
    found = set()
    method_map = [("marketplace/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_french_translation():
    path = ROOT / "marketplace/translations/fr/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}
    missing = sorted(m for m in extracted_messages() if not translated.get(m))
    assert missing == [], f"untranslated (run `make messages`, then translate): {missing}"


def _catalog():
    path = ROOT / "marketplace/translations/fr/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale="fr")


def test_the_catalogue_is_complete_both_ways_with_no_fuzzy_entry():
    """Every entry translated (every plural form too), none fuzzy, none left over from code
    that is gone (the catalogue and the code say the same messages, both ways), and each
    translation keeps its message's placeholders (a lost %(days)s would crash the page)."""
    catalog = _catalog()
    entries = [m for m in catalog if m.id]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert fuzzy == [], f"fuzzy entries (check, then drop the flag): {fuzzy}"
    incomplete = [m.id for m in entries if not isinstance(m.string, str) and not all(m.string)]
    assert incomplete == [], f"plural forms missing: {incomplete}"
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in entries}
    assert sorted(ids - extracted_messages()) == [], "entries no code uses: run `make messages`"
    assert not list(catalog.obsolete), "obsolete entries: run `make messages`"
    placeholder = re.compile(r"%\((\w+)\)s")
    broken = []
    for m in entries:
        ids_text = m.id if isinstance(m.id, str) else " ".join(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        for text in strings:
            wanted = set(placeholder.findall(ids_text)) - {"num"}
            if not wanted <= set(placeholder.findall(text)):
                broken.append(m.id)
    assert broken == [], f"translations that lose a placeholder: {broken}"


def test_switch_to_english_and_back(client):
    token = csrf_from(client)
    response = client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html and "Log in" in html
    client.post("/language", data={"lang": "fr", "csrf_token": token})
    assert "Connexion" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_refused(client):
    response = client.post("/language", data={"lang": "de", "csrf_token": csrf_from(client)})
    assert response.status_code == 400


def test_language_choice_survives_login_and_is_remembered(client, factory, app):
    user = factory.user()
    token = csrf_from(client)
    client.post("/language", data={"lang": "en", "csrf_token": token})
    login(client, user.email, factory.password)
    assert "Hello" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_from(client, "/")})
    other = app.test_client()  # a new browser: the account's choice applies
    login(other, user.email, factory.password)
    assert "Hello" in other.get("/").get_data(as_text=True)


def test_dates_and_numbers_in_french_format(app):
    from flask_babel import force_locale

    with app.test_request_context():
        env = app.jinja_env
        with force_locale("fr"):
            assert env.filters["date"](date(2026, 1, 12)) == "12 janv. 2026"
            assert env.filters["days"](2.5) == "2,5"
            assert env.filters["number"](12500).replace("\u202f", " ") == "12 500"
        with force_locale("en"):
            assert env.filters["days"](2.5) == "2.5"


def test_error_pages_are_styled_and_translated(client, factory):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page introuvable" in html and "css/app.css" in html
    response = client.put("/login")
    assert response.status_code == 405


def test_unexpected_error_gives_the_styled_500_page(db_url, db):
    from marketplace import create_app
    from tests.conftest import dispose, make_config

    application = create_app(make_config(db_url, TESTING=False, PROPAGATE_EXCEPTIONS=False))

    def broken():
        raise RuntimeError("boom")

    application.add_url_rule("/broken", "broken", broken)
    try:
        response = application.test_client().get("/broken")
        assert response.status_code == 500
        html = response.get_data(as_text=True)
        assert "Une erreur est survenue" in html and "boom" not in html
    finally:
        dispose(application)
