"""No URL gives a 500: every GET route, found from the URL map, with malformed values for
each query parameter it reads and for each id in its path."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from marketplace.demo import ACCOUNTS
from tests.conftest import login

HUGE = "100000000000000000000"
MALFORMED = [HUGE, "-" + HUGE, "-1", "1e20", "2026-02-31", "abc", "\x00", "x" * 4096]
RAW = ["%zz", "%e9"]  # an invalid percent-escape, and one that is not UTF-8, sent as they are
PATH_IDS = [HUGE, "99999999999", "2147483648"]
# Read by some pages only in some states; always tried as well.
ALWAYS = ["page", "q", "next", "lang"]

READ: set[str] = set()


class _RecordingArgs(ImmutableMultiDict):
    """request.args that remembers which parameters a view read."""

    def get(self, key, default=None, type=None):  # noqa: A002
        READ.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        READ.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


class _RecordingRequest(Request):
    parameter_storage_class = _RecordingArgs


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule


def _path(rule, value: str = "1") -> str:
    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name]
        filler = value if type(converter).__name__.endswith("IntConverter") else "abc"
        path = path.replace(f"<int:{name}>", filler).replace(f"<{name}>", filler)
        path = path.replace(f"<string:{name}>", filler)
    return path


@pytest.mark.slow  # about 15 s a role: every GET route x every parameter x every value
@pytest.mark.parametrize("role", ["admin", "sme_manager"])
def test_no_get_route_answers_a_server_error(app, runner, client, role, monkeypatch):
    runner.invoke(args=["demo", "load", "--no-history"])
    account = next(a for a in ACCOUNTS if a.role == role)
    assert login(client, account.email, account.password).status_code == 302
    monkeypatch.setattr(app, "request_class", _RecordingRequest)
    failures = []

    def check(url: str, query: str = "") -> None:
        response = client.get(url, query_string=query)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} GET {url}?{query[:80]}")

    for rule in _get_rules(app):
        READ.clear()
        base = _path(rule)
        check(base)
        for name in sorted(READ | set(ALWAYS)):
            for value in MALFORMED:
                check(base, f"{name}={quote(value)}")
            for raw in RAW:
                check(base, f"{name}={raw}")
            check(base, f"{name}=1&{name}=2")  # repeated
        for value in PATH_IDS if rule.arguments else []:
            check(_path(rule, value))
        check(base, "from=2026-12-31&to=2026-01-01")  # a period backwards
    assert failures == [], "\n".join(failures[:40])


def test_a_malformed_report_filter_is_a_400_that_names_it(client, login_as):
    login_as("admin")
    for query, name in (
        ("from=pas-une-date", "from"),
        ("convention=abc", "convention"),
        (f"convention={HUGE}", "convention"),
        ("category=cuisine", "category"),
        ("from=2026-12-31&to=2026-01-01", "from"),
        ("print=0", None),
    ):
        response = client.get("/reports", query_string=query)
        if name is None:
            assert response.status_code == 200  # F4: print=0 gave a 500
            continue
        assert response.status_code == 400, query
        assert f"{name} :" in response.get_data(as_text=True), query


def test_huge_ids_in_paths_are_404_and_huge_pages_an_empty_or_last_page(client, login_as):
    login_as("admin")
    assert client.get(f"/needs/{HUGE}").status_code == 404
    assert client.get(f"/imports/{HUGE}").status_code == 404
    assert client.get("/needs", query_string={"page": HUGE}).status_code == 400
    assert client.get("/needs", query_string={"page": "99999"}).status_code == 200
