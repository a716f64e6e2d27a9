"""Homes are work queues: each item counts what waits for this person and links to it."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.demo import ACCOUNTS
from marketplace.extensions import db
from marketplace.missions.models import Mission, MissionSession
from tests.conftest import login


def _queue(client) -> dict[str, tuple[int, str]]:
    html = client.get("/").get_data(as_text=True)
    section = re.search(r'<section class="card queue".*?</section>', html, re.S).group(0)
    return {
        label.strip(): (int(count.replace("\u202f", "").replace("\xa0", "")), href)
        for href, count, label in re.findall(
            r'<a href="([^"]+)"><span class="count">([^<]+)</span>([^<]+)</a>', section
        )
    }


def _as(app, role: str, index: int = 0):
    account = [a for a in ACCOUNTS if a.role == role][index]
    client = app.test_client()
    assert login(client, account.email, account.password).status_code == 302
    return client


def test_each_role_sees_what_waits_for_it_with_a_link(app, runner):
    runner.invoke(args=["demo", "load", "--no-history"])
    with app.app_context():
        # A session of the demo declared held but not confirmed yet, and one disputed.
        sessions = db.session.scalars(
            select(MissionSession).join(Mission).where(Mission.ref == "M-DEMO-1")
        ).all()
        delivered = [s for s in sessions if s.status == "delivered"]
        assert delivered
    sme = _queue(_as(app, "sme_manager"))
    assert (
        sme["Propositions à traiter"][0] >= 1 and sme["Propositions à traiter"][1] == "/proposals"
    )
    assert sme["Séances à confirmer"][0] == len(delivered)
    coordinator = _queue(_as(app, "coordinator"))
    assert coordinator["Séances en attente de confirmation par la PME"][0] == len(delivered)
    assert "Missions à approuver" not in coordinator  # the demo's missions are approved
    volunteer = _queue(_as(app, "volunteer"))
    assert volunteer["Propositions à traiter"][0] >= 1


def test_an_empty_queue_says_what_to_do_next(client, login_as):
    login_as("sme_manager")
    page = client.get("/").get_data(as_text=True)
    assert "Rien ne vous attend" in page and 'href="/needs/new"' in page


def test_the_navigation_folds_on_small_screens_without_script(client, login_as):
    login_as("coordinator")
    page = client.get("/").get_data(as_text=True)
    assert 'type="checkbox" id="menu-toggle"' in page and 'for="menu-toggle"' in page
    assert '<details class="submenu">' in page  # the administration links in one entry
    assert "<script" not in page


def test_long_lists_carry_their_column_names_for_small_screens(client, login_as, runner):
    runner.invoke(args=["demo", "load", "--no-history"])
    login_as("admin")
    for path in ("/needs", "/offers", "/missions", "/proposals"):
        page = client.get(path).get_data(as_text=True)
        assert '<table class="table stack">' in page and 'data-label="' in page, path
