"""Coordinators import through the web: preview first, then all or nothing."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.imports.models import ImportBatch
from marketplace.needs.models import Need
from tests.conftest import csrf_from
from tests.test_import import DEV


def upload(client, content: bytes, kind="needs", name="needs.csv"):
    return client.post(
        "/imports",
        data={
            "kind": kind,
            "csrf_token": csrf_from(client, "/imports"),
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )


def need_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Need.id)))


def test_preview_then_apply_once(client, login_as, app):
    login_as("admin")  # the whole file, in every territory
    response = upload(client, (DEV / "needs.csv").read_bytes())
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "À créer" in page and ">38<" in page
    assert need_count(app) == 0  # nothing written by the preview
    batch_id = int(re.search(r"/imports/(\d+)", preview_url).group(1))
    token = csrf_from(client, preview_url)
    applied = client.post(f"/imports/{batch_id}/apply", data={"csrf_token": token})
    assert applied.status_code == 302
    assert need_count(app) == 38
    again = client.post(f"/imports/{batch_id}/apply", data={"csrf_token": token})
    assert again.status_code == 409
    assert need_count(app) == 38


def test_errors_are_listed_and_block_the_import(client, login_as, app):
    login_as("coordinator")
    text = (DEV / "needs.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[3] = lines[3].replace(",2027-", ",2027-99-", 1)
    response = upload(client, "\n".join(lines).encode())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Erreurs : rien ne sera importé" in page
    assert "Importer ces lignes" not in page
    batch_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))
    applied = client.post(
        f"/imports/{batch_id}/apply", data={"csrf_token": csrf_from(client, "/imports")}
    )
    assert applied.status_code == 303
    assert need_count(app) == 0


def test_unreadable_upload_is_refused_next_to_the_field(client, login_as, app):
    login_as("coordinator")
    response = upload(client, b"\x00\x01\x02binary")
    assert response.status_code == 400
    assert 'id="file-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_oversized_upload_gets_413(client, login_as, app):
    """A 61 MB upload is refused from its Content-Length, before it is read."""
    login_as("coordinator")
    csrf_from(client, "/imports")
    response = client.post(
        "/imports",
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(61 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)
    assert need_count(app) == 0


def test_a_coordinator_cannot_see_anothers_import(client, login_as, factory, app):
    login_as("coordinator")
    response = upload(client, (DEV / "needs.csv").read_bytes())
    other = app.test_client()
    from tests.conftest import login

    someone = factory.user(role="coordinator")
    login(other, someone.email, factory.password)
    assert other.get(response.headers["Location"]).status_code == 404
