"""Coordinators upload a CSV, see what it would do, then apply it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import update

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import Role
from marketplace.errors import InvalidTransition, NotFound
from marketplace.extensions import db
from marketplace.imports.csvio import FileProblem, decode
from marketplace.imports.forms import UploadForm
from marketplace.imports.models import ImportBatch
from marketplace.imports.services import apply_import, plan_import

bp = Blueprint("imports", __name__, url_prefix="/imports")
STAFF = (Role.COORDINATOR, Role.ADMIN)


def _summary(plan) -> dict:
    return {
        "creates": plan.creates,
        "updates": plan.updates,
        "rows": len(plan.rows),
        "errors": [
            {"row": e.row, "column": e.column, "message": e.message} for e in plan.errors[:500]
        ],
        "error_count": len(plan.errors),
        "warnings": plan.warnings[:500],
        "new_organisations": plan.new_organisations[:200],
        "new_experts": plan.new_experts[:200],
    }


@bp.route("", methods=["GET", "POST"])
@role_required(*STAFF)
def upload():
    """Upload a needs or offers CSV: it is checked, nothing is written yet."""
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            text = decode(upload_file.read())
        except FileProblem as problem:
            form.file.errors.append(problem.message)
        else:
            plan = plan_import(form.kind.data, text, current_user)
            db.session.rollback()  # planning writes nothing; make sure of it
            batch = ImportBatch(
                kind=form.kind.data,
                filename=(upload_file.filename or "")[:255],
                content=text,
                created_by_id=current_user.id,
                summary=_summary(plan),
                created_at=clock.now(),
            )
            db.session.add(batch)
            db.session.commit()
            return redirect(url_for("imports.preview", batch_id=batch.id))
    status = 400 if form.is_submitted() else 200
    return render_template("imports/upload.html", form=form), status


def _own_batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or (
        batch.created_by_id != current_user.id and current_user.role != Role.ADMIN
    ):
        raise NotFound(_("This import does not exist."))
    return batch


@bp.route("/<int:batch_id>")
@role_required(*STAFF)
def preview(batch_id: int):
    """What the uploaded file would create and update, and its errors."""
    return render_template("imports/preview.html", batch=_own_batch(batch_id))


@bp.route("/<int:batch_id>/apply", methods=["POST"])
@role_required(*STAFF)
def apply(batch_id: int):
    """Write the previewed file, all or nothing (checked again first)."""
    batch = _own_batch(batch_id)
    if batch.status != "previewed":
        raise InvalidTransition(_("This file has already been imported."))
    plan = plan_import(batch.kind, batch.content, current_user)
    if not plan.ok:
        db.session.rollback()
        batch.summary = _summary(plan)
        db.session.commit()
        flash(
            _("The data changed since the preview: the file now has errors. Nothing was imported."),
            "error",
        )
        return redirect(url_for("imports.preview", batch_id=batch.id), code=303)
    apply_import(plan, clock.now())
    # Claim the batch in the same transaction: a double submit imports once.
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == "previewed")
        .values(status="applied", applied_at=clock.now(), summary=_summary(plan))
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidTransition(_("This file has already been imported."))
    db.session.commit()
    flash(
        _(
            "Import done: %(creates)d created, %(updates)d updated.",
            creates=plan.creates,
            updates=plan.updates,
        ),
        "success",
    )
    return redirect(url_for("needs.list_needs" if batch.kind == "needs" else "offers.list_offers"))
