"""« Mot de passe oublié » : one-time hashed link, 1 hour, same answer for everyone,
throttled, every session revoked; the mail's link encrypted in the outbox, erased once sent."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import Invitation, User
from marketplace.extensions import db
from marketplace.mail.models import OutboxMail
from tests.conftest import csrf_from, login, post_form

ANSWER = "Si un compte actif utilise cette adresse"


def _ask(client, email: str):
    return post_form(client, "/password/forgot", {"email": email})


def _mails(app) -> list[OutboxMail]:
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        return mails


def _link_in_sent_mail(app, monkeypatch) -> str:
    """Send the outbox through a fake SMTP backend and read the link the person got."""
    from flask_mailman import EmailMessage

    from marketplace.mail.services import send_outbox

    sent_bodies = []
    monkeypatch.setattr(EmailMessage, "send", lambda self: sent_bodies.append(self.body) or 1)
    app.config["MAIL_SERVER"] = "smtp.test.example"
    try:
        with app.app_context():
            from marketplace import clock

            assert send_outbox(clock.now()) == (1, 0)
            db.session.commit()
    finally:
        app.config["MAIL_SERVER"] = ""
    (body,) = sent_bodies
    return re.search(r"http\S+/password/reset/\S+", body).group(0)


def test_the_answer_is_the_same_whether_the_account_exists(client, factory, app):
    user = factory.user()
    known = _ask(client, user.email)
    unknown = _ask(app.test_client(), "personne@test.example")
    assert known.status_code == unknown.status_code == 200
    assert ANSWER in known.get_data(as_text=True) and ANSWER in unknown.get_data(as_text=True)
    mails = _mails(app)
    assert [m.to_address for m in mails] == [user.email]  # only the real account gets mail


def test_reset_sets_the_password_once_and_ends_every_session(client, factory, app, monkeypatch):
    user = factory.user()
    other_session = app.test_client()
    assert login(other_session, user.email, factory.password).status_code == 302
    _ask(client, user.email)
    (mail,) = _mails(app)
    assert "/password/reset/" not in mail.body and mail.secret  # nothing usable in the outbox
    link = _link_in_sent_mail(app, monkeypatch)
    assert _mails(app)[0].secret is None  # erased once sent
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalar(
            select(Invitation.token_hash).where(Invitation.purpose == "reset")
        )
        assert token not in stored  # only its digest is kept
    path = f"/password/reset/{token}"
    weak = post_form(client, path, {"new_password": "court", "confirm": "court"})
    assert weak.status_code == 400
    new = "une phrase assez longue pour être un bon mot de passe"
    done = post_form(client, path, {"new_password": new, "confirm": new})
    assert done.status_code == 302
    assert other_session.get("/notifications").status_code in (302, 401)  # revoked
    assert login(app.test_client(), user.email, new).status_code == 302
    assert login(app.test_client(), user.email, factory.password).status_code == 401
    assert client.get(path).status_code == 410  # once only


def test_a_reset_link_expires_after_an_hour(client, factory, app, monkeypatch):
    user = factory.user()
    _ask(client, user.email)
    link = _link_in_sent_mail(app, monkeypatch)
    with app.app_context():
        reset = db.session.scalar(select(Invitation).where(Invitation.purpose == "reset"))
        assert reset.expires_at - reset.created_at == timedelta(hours=1)
        reset.expires_at = reset.created_at - timedelta(seconds=1)
        db.session.commit()
    page = client.get("/password/reset/" + link.rsplit("/", 1)[1])
    assert page.status_code == 410 and "expiré" in page.get_data(as_text=True)


def test_reset_requests_are_throttled_per_account_and_per_address(client, factory, app):
    user = factory.user()
    for _ in range(5):
        assert _ask(client, user.email).status_code == 200
    with app.app_context():
        links = db.session.scalar(
            select(func.count(Invitation.id)).where(Invitation.user_id == user.id)
        )
    assert links == 3  # at most 3 links an hour to one account, the same answer meanwhile
    other = factory.user()
    for _ in range(6):
        _ask(client, "someone-else@test.example")
    _ask(client, other.email)  # the 12th request from this address this hour
    assert other.email not in [m.to_address for m in _mails(app)]


def test_an_invited_account_gets_no_reset_link(client, factory, app):
    invited = factory.user(is_active=False)
    with app.app_context():
        db.session.get(User, invited.id).password_hash = None
        db.session.commit()
    assert ANSWER in _ask(client, invited.email).get_data(as_text=True)
    assert _mails(app) == []


def test_a_bad_reset_token_is_a_410(client):
    assert client.get("/password/reset/not-a-token").status_code == 410
    assert csrf_from(client, "/password/forgot")
