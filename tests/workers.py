"""Worker processes for concurrency tests: `python -m tests.workers TASK URL ARGS...`.

Each runs a real app on the shared database and commits for real.
"""

from __future__ import annotations

import sys


def bump_session_version(url: str, user_id: str, times: str) -> None:
    """Read-modify-write a user's session version `times` times, one commit each."""
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.accounts.services import end_sessions
    from marketplace.extensions import db
    from tests.conftest import make_config

    app = create_app(make_config(url))
    with app.app_context():
        for _ in range(int(times)):
            user = db.session.get(User, int(user_id))
            end_sessions(user)
            db.session.commit()
        db.engine.dispose()


def approve_missions(url: str, coordinator_id: str, mission_ids: str) -> None:
    """Approve each mission in its own transaction; print how many passed and failed."""
    from datetime import UTC, datetime

    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.missions.decisions import approve
    from marketplace.missions.models import Mission
    from marketplace.quota.services import CapacityExceeded, QuotaExceeded
    from tests.conftest import make_config

    app = create_app(make_config(url))
    approved = refused = 0
    with app.app_context():
        for mission_id in mission_ids.split(","):
            coordinator = db.session.get(User, int(coordinator_id))
            mission = db.session.get(Mission, int(mission_id))
            try:
                approve(coordinator, mission, datetime.now(UTC))
                db.session.commit()
                approved += 1
            except (QuotaExceeded, CapacityExceeded):
                db.session.rollback()
                refused += 1
        db.engine.dispose()
    print(f"approved={approved} refused={refused}")


def add_corrections(url: str, coordinator_id: str, mission_id: str, times: str) -> None:
    """Half a day of correction on a mission's ledger, `times` times, one commit each: every
    commit moves an entry and the counters together."""
    from datetime import UTC, date, datetime

    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.ledger.services import add_correction
    from marketplace.missions.models import Mission
    from tests.conftest import make_config

    app = create_app(make_config(url))
    with app.app_context():
        for n in range(int(times)):
            coordinator = db.session.get(User, int(coordinator_id))
            mission = db.session.get(Mission, int(mission_id))
            add_correction(coordinator, mission, 210, f"correction {n}", date(2026, 12, 1),
                           datetime.now(UTC))  # fmt: skip
            db.session.commit()
        db.engine.dispose()
    print(f"committed={times}")


def disburse_advance(url: str, coordinator_id: str, advance_id: str) -> None:
    """Pay out a whole advance in one transaction; print `paid` or `short`."""
    from datetime import UTC, date, datetime

    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.advances.models import Advance
    from marketplace.advances.services import FundShort, disburse
    from marketplace.extensions import db
    from tests.conftest import make_config

    app = create_app(make_config(url))
    with app.app_context():
        coordinator = db.session.get(User, int(coordinator_id))
        advance = db.session.get(Advance, int(advance_id))
        try:
            disburse(
                coordinator, advance, advance.amount_cents, date(2026, 1, 5), datetime.now(UTC)
            )
            db.session.commit()
            print("paid")
        except FundShort:
            db.session.rollback()
            print("short")
        db.engine.dispose()


if __name__ == "__main__":
    task, *args = sys.argv[1:]
    tasks = {
        "bump_session_version": bump_session_version,
        "approve_missions": approve_missions,
        "add_corrections": add_corrections,
        "disburse_advance": disburse_advance,
    }
    tasks[task](*args)
