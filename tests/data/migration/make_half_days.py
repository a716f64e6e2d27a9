"""One-off: the demo and generated data at the half-day schema, dumped as JSON rows."""

import gzip
import json
import os
import sys
from datetime import UTC, date, datetime

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/bench")
os.environ["DATABASE_URL"] = "sqlite:////tmp/fx/old.sqlite3"
if os.path.exists("/tmp/fx/old.sqlite3"):
    os.remove("/tmp/fx/old.sqlite3")
import common as L

url = "sqlite:////tmp/fx/old.sqlite3"
app = L.make_app(url)
from sqlalchemy import select, text

from marketplace.extensions import db

with app.app_context():
    from marketplace.demo.load import load_demo

    print(load_demo("pbkdf2:sha256:1000"))
    db.session.commit()
# generated: a small world with a year of sessions, logged, plus imported listings
from tests.factories import Factory
from tests.missions_world import build_world

factory = Factory(app)
world = build_world(app, factory, quota=1000, committed=1000, offer_days=60)
L.year_of_sessions(app, world, 600, 120)
from marketplace.ledger.services import log_delivered_days

with app.app_context():
    print(log_delivered_days(date(2026, 12, 31), datetime.now(UTC)))
    db.session.commit()
    # some corrections, as coordinators would record them
    from marketplace.ledger.models import LedgerEntry
    from marketplace.missions.models import Mission
    from marketplace.quota.services import correct

    ms = db.session.scalars(
        select(Mission).where(Mission.convention_id == world.convention_id).limit(5)
    ).all()
    for i, m in enumerate(ms):
        d = 0.5 if i % 2 else -0.5
        if correct(m.convention_id, m.group_id, d):
            db.session.add(
                LedgerEntry(
                    convention_id=m.convention_id,
                    group_id=m.group_id,
                    mission_id=m.id,
                    entry_on=date(2026, 11, 2),
                    days=d,
                    source="correction",
                    reason="fixture",
                )
            )
    db.session.commit()
    tables = {}
    for t in db.metadata.sorted_tables:
        rows = db.session.execute(select(t)).mappings().all()
        out = []
        for r in rows:
            d = {}
            for k, v in r.items():
                if isinstance(v, (date, datetime)):
                    v = v.isoformat()
                elif isinstance(v, (bytes, bytearray)):
                    v = None if t.name == "listing_embeddings" else v.hex()
                d[k] = v
            out.append(d)
        if t.name in ("listing_embeddings", "alembic_version"):
            continue
        tables[t.name] = out
    print({k: len(v) for k, v in tables.items()})
    with gzip.open("/tmp/fx/half_days.json.gz", "wt") as f:
        json.dump(
            {
                "revision": db.session.execute(
                    text("select version_num from alembic_version")
                ).scalar(),
                "tables": tables,
            },
            f,
            separators=(",", ":"),
        )
