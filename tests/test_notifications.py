"""The bell, mail digests and the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.mail.models import OutboxMail
from marketplace.notifications.models import Notification
from marketplace.notifications.services import digest_mails, notify
from tests.conftest import login


def test_bell_counts_unread_and_the_list_marks_them_read(client, factory, app):
    user = factory.user()
    now = datetime.now(UTC)
    with app.app_context():
        from marketplace.accounts.models import User

        notify(
            [db.session.get(User, user.id)] * 2, "test", "Nouvelle proposition", "/proposals", now
        )
        db.session.commit()
    login(client, user.email, factory.password)
    assert '<span class="count">1</span>' in client.get("/").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Nouvelle proposition" in page
    assert '<span class="count">0</span>' in client.get("/").get_data(as_text=True)


def test_a_burst_of_events_becomes_one_mail(app, factory, db):
    alice, bob = factory.user(), factory.user()
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with app.app_context():
        from marketplace.accounts.models import User

        a, b = db.session.get(User, alice.id), db.session.get(User, bob.id)
        for minute, text in (
            (0, "Proposition acceptée"),
            (1, "Mission approuvée"),
            (2, "Séance planifiée"),
        ):
            notify([a], "x", text, None, start + timedelta(minutes=minute))
        notify([b], "x", "Séance à confirmer", "/missions/7", start + timedelta(minutes=2))
        db.session.commit()
        assert digest_mails(start + timedelta(minutes=4)) == 0  # the burst is not over
        assert digest_mails(start + timedelta(minutes=8)) == 2
        db.session.commit()
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.to_address)).all()
        by_address = {m.to_address: m for m in mails}
        assert "3 nouveautés" in by_address[alice.email].subject
        assert "Séance planifiée" in by_address[alice.email].body
        assert by_address[bob.email].subject == "Séance à confirmer"
        # The page behind it, as an absolute link under APP_BASE_URL (never the Host header).
        assert f"{app.config['APP_BASE_URL']}/missions/7" in by_address[bob.email].body
        assert digest_mails(start + timedelta(minutes=20)) == 0  # nothing mailed twice


def test_send_mails_job_uses_smtp_only_when_configured(runner, app, factory):
    user = factory.user()
    with app.app_context():
        from marketplace.accounts.models import User

        notify(
            [db.session.get(User, user.id)],
            "x",
            "Bonjour",
            None,
            datetime.now(UTC) - timedelta(hours=1),
        )
        db.session.commit()
    result = runner.invoke(args=["jobs", "run", "send-mails", "--format", "json"])
    assert json.loads(result.stdout) | {} == {**json.loads(result.stdout), "digests": 1, "sent": 0}
    app.config.update(MAIL_SERVER="smtp.test.example", MAIL_BACKEND="locmem")
    try:
        result = runner.invoke(args=["jobs", "run", "send-mails", "--format", "json"])
        assert json.loads(result.stdout)["sent"] == 1
        with app.app_context():
            mail = db.session.scalar(select(OutboxMail))
            assert mail.sent_at is not None and mail.to_address == user.email
            assert (
                db.session.scalar(
                    select(func.count(Notification.id)).where(Notification.mailed_at.is_(None))
                )
                == 0
            )
    finally:
        app.config.update(MAIL_SERVER="", MAIL_BACKEND=None)


def test_outbox_page_is_for_admins(client, login_as):
    login_as("admin")
    assert client.get("/admin/outbox").status_code == 200
