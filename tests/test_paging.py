"""Lists that grow without bound are keyset pages: every page costs what the first costs,
a tampered cursor is a 400, counts stop at a bound."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from marketplace.extensions import db
from marketplace.missions.models import Mission
from tests.missions_world import build_world


def _refs(html: str) -> list[str]:
    return re.findall(r">(M-P\d+)<", html)


def _next(html: str) -> str | None:
    found = re.search(r'href="([^"]*after=[^"]*)" rel="next"', html)
    return unescape(found.group(1)) if found else None


def test_the_missions_list_walks_every_mission_once_in_pages(app, factory, client, login_as):
    world = build_world(app, factory, quota=1000, committed=1000, offer_days=60)
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        from marketplace.offers.models import Offer

        group_id = db.session.get(Offer, world.offer_id).organisation_id
        for n in range(120):
            db.session.add(
                Mission(
                    ref=f"M-P{n:04d}",
                    need_id=world.need_ids[0],
                    offer_id=world.offer_id,
                    convention_id=world.convention_id,
                    group_id=group_id,
                    days=1,
                    starts_on=start.date(),
                    ends_on=start.date() + timedelta(days=30),
                    status="agreed",
                    # Twenty missions share each instant: the id breaks the ties.
                    created_at=start + timedelta(minutes=n // 20),
                    updated_at=start,
                    approved_minutes=0,
                    override_minutes=0,
                    override_group_minutes=0,
                    minutes_logged=0,
                )
            )
        db.session.commit()
    login_as("admin")
    seen, url, pages = [], "/missions", 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _refs(html)
        url, pages = _next(html), pages + 1
        assert pages < 10
    assert pages == 3 and "120 résultats" in html
    assert len(seen) == len(set(seen)) == 120  # nothing twice, nothing missed
    assert seen[0] == "M-P0119" and seen[-1] == "M-P0000"  # newest first


def test_a_tampered_cursor_is_a_400(client, login_as):
    login_as("admin")
    for after in ("nonsense", "W10.forged", "x" * 600):
        response = client.get("/missions", query_string={"after": after})
        assert response.status_code == 400 and "after" in response.get_data(as_text=True)
        assert client.get("/proposals", query_string={"after": after}).status_code == 400
