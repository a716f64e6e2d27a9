"""Approvals racing for the last days: 8 processes x 40 approvals, real commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.extensions import db
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from tests.missions_world import TODAY, build_world
from tests.processes import worker
from tests.units import DAY

ROOT = Path(__file__).resolve().parent.parent
PROCESSES, PER_PROCESS = 8, 40


def _many_missions(app, world, count: int) -> list[int]:
    with app.app_context():
        template = db.session.get(Need, world.need_ids[0])
        offer = db.session.get(Offer, world.offer_id)
        needs = [
            Need(
                ref=f"N-R{i}",
                organisation_id=template.organisation_id,
                title="x",
                days=1,
                postcode="54200",
                commune="Toul",
                starts_on=template.starts_on,
                ends_on=template.ends_on,
                status="matched",
            )
            for i in range(count)
        ]
        db.session.add_all(needs)
        db.session.flush()
        missions = [
            Mission(
                ref=f"M-R{i}",
                need_id=n.id,
                offer_id=offer.id,
                convention_id=world.convention_id,
                group_id=offer.organisation_id,
                days=1,
                starts_on=TODAY,
                ends_on=TODAY,
                status="agreed",
                approved_minutes=0,
                override_minutes=0,
                override_group_minutes=0,
                minutes_logged=0,
            )
            for i, n in enumerate(needs)
        ]
        db.session.add_all(missions)
        db.session.commit()
        return [m.id for m in missions]


def _race(app, world, db_url) -> tuple[int, list[str]]:
    ids = _many_missions(app, world, PROCESSES * PER_PROCESS)
    procs = [
        worker(
            db_url,
            "approve_missions",
            str(world.people["coordinator"].id),
            ",".join(map(str, ids[i * PER_PROCESS : (i + 1) * PER_PROCESS])),
        )
        for i in range(PROCESSES)
    ]
    approved, errors = 0, []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            errors.append(err[-2000:])
        else:
            approved += int(out.split("approved=")[1].split()[0])
    return approved, errors


@pytest.mark.slow
def test_quota_race_never_over_allocates(app, factory, db_url, db):
    world = build_world(app, factory, quota=25, committed=1000, offer_days=60)
    approved, errors = _race(app, world, db_url)
    assert errors == []
    assert approved == 25
    with app.app_context():
        convention = db.session.get(Convention, world.convention_id)
        assert convention.minutes_reserved == 25 * DAY <= convention.quota_minutes
        assert (
            db.session.scalar(select(func.count(Mission.id)).where(Mission.status == "approved"))
            == 25
        )
        assert db.session.get(Offer, world.offer_id).minutes_reserved == 25 * DAY


@pytest.mark.slow
def test_capacity_race_on_one_offer(app, factory, db_url, db):
    world = build_world(app, factory, quota=1000, committed=1000, offer_days=17)
    approved, errors = _race(app, world, db_url)
    assert errors == []
    assert approved == 17
    with app.app_context():
        offer = db.session.get(Offer, world.offer_id)
        assert offer.minutes_reserved == 17 * DAY == offer.minutes
        assert db.session.scalar(select(ConventionGroup.minutes_reserved)) == 17 * DAY
