"""Two web nodes on one database behave as one installation (docs/operations.md): what one
node signs the other accepts (sessions are signed cookies, not server memory), failed logins
counted on one node count on the other, the quota reserved through one node is gone for the
other, and of two schedulers started beside them exactly one runs the jobs."""

from __future__ import annotations

import http.client
import re
import secrets
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from marketplace.conventions.models import Convention
from marketplace.missions.models import Mission
from tests.missions_world import build_world
from tests.processes import flask, read_until, terminate, web_node
from tests.test_missions import agree
from tests.units import DAY

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_KEY_RE = re.compile(r'name="form_key" value="([^"]+)"')


class Browser:
    """A person's browser: one cookie jar, sent to whichever node it talks to (as behind a
    load balancer, where the same host name reaches either node)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, value = header.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
            return response.status, text
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str]:
        return self._send("GET", path)

    def post(self, path: str, form: dict, page: str) -> tuple[int, str]:
        """Submit a form the way the page gives it (its CSRF token, its one-time key)."""
        _status, html = self.get(page)
        fields = {"csrf_token": CSRF_RE.search(html)[1], **form}
        key = FORM_KEY_RE.search(html)
        if key:
            fields["form_key"] = key[1]
        return self._send("POST", path, urlencode(fields))


@pytest.mark.slow
def test_two_web_nodes_on_one_database_behave_as_one(app, factory, db_url, db):
    # Two agreed missions of 2 days each under a convention with a quota of 2 days.
    world = build_world(app, factory, quota=2, committed=50, needs=2)
    first, _c = agree(app, factory, world, index=0)
    second, _c = agree(app, factory, world, index=1)
    secret = secrets.token_hex(32)  # every node shares the installation's secret
    nodes = [web_node(db_url, secret) for _ in range(2)]
    schedulers = []
    try:
        (_a, port_a), (_b, port_b) = nodes
        password = factory.password

        # A session opened on node A is good on node B.
        browser = Browser(port_a)
        coordinator = world.people["coordinator"]
        status, _ = browser.post(
            "/login", {"email": coordinator.email, "password": password}, "/login"
        )
        assert status == 302
        browser.port = port_b
        status, home = browser.get("/")
        assert status == 200 and coordinator.name in home

        # Failed logins on either node add up: 3 on A and 2 on B lock the pair on both.
        manager = world.people["sme_manager"]
        attacker = Browser(port_a)
        for port in (port_a, port_a, port_a, port_b, port_b):
            attacker.port = port
            status, _ = attacker.post(
                "/login", {"email": manager.email, "password": "wrong"}, "/login"
            )
            assert status == 401
        for port in (port_a, port_b):
            attacker.port = port
            status, _ = attacker.post(
                "/login", {"email": manager.email, "password": password}, "/login"
            )
            assert status == 429

        # The quota reserved through node B is gone for node A: the second approval is refused.
        status, _ = browser.post(f"/missions/{first}/approve", {}, f"/missions/{first}")
        assert status == 302
        browser.port = port_a
        status, page = browser.post(f"/missions/{second}/approve", {}, f"/missions/{second}")
        assert status == 409 and "quota" in page
        with app.app_context():
            statuses = dict(db.session.execute(select(Mission.id, Mission.status)).all())
            reserved = db.session.get(Convention, world.convention_id).minutes_reserved
        assert (statuses[first], statuses[second], reserved) == ("approved", "agreed", 2 * DAY)

        # A scheduler beside each node: one runs the jobs, the other waits for the lock.
        schedulers.append(flask(db_url, "scheduler", "run", merge_stderr=True))
        read_until(schedulers[0], "Scheduler started:", seconds=120)
        schedulers.append(flask(db_url, "scheduler", "run", merge_stderr=True))
        said = read_until(schedulers[1], "waiting")
        assert "Scheduler started" not in said
    finally:
        terminate([*(node for node, _port in nodes), *schedulers])
