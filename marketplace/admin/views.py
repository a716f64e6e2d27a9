"""Coordinators and admins: organisations and user invitations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import Role
from marketplace.admin import services
from marketplace.admin.forms import ROLE_LABELS, InviteUserForm, OrganisationForm
from marketplace.admin.services import manageable_organisations, manageable_users
from marketplace.conventions.services import manageable_territories
from marketplace.errors import InvalidTransition, NotAllowed
from marketplace.extensions import db
from marketplace.forms import select_choices
from marketplace.mail.services import SECRET_PLACEHOLDER, queue_mail
from marketplace.urls import external_url

bp = Blueprint("admin", __name__, url_prefix="/admin")
STAFF = (Role.COORDINATOR, Role.ADMIN)


def _send_invitation(user: User, token: str, inviter: User) -> str:
    """Mail the invitation (the outbox keeps the link encrypted, erased once sent) and
    return the link, shown once to the inviter too (to pass on if the mail is slow).
    Never logged: a log is no place for a secret."""
    link = external_url("accounts.accept_invitation", token=token)
    validity = current_app.config["INVITATION_VALIDITY"].days
    queue_mail(
        user.email,
        "Votre compte sur la place de marché des jours de compétences",
        f"Bonjour {user.name},\n\n{inviter.name} vous invite à rejoindre la place de marché "
        "des jours de compétences. Pour choisir votre mot de passe, ouvrez ce lien (valable "
        f"{validity} jours, une seule fois) :\n{SECRET_PLACEHOLDER}\n",
        clock.now(),
        user.id,
        secret=link,
    )
    return link


@bp.route("/organisations")
@role_required(*STAFF)
def list_organisations():
    """Organisations the current coordinator or admin manages."""
    return render_template(
        "admin/organisations.html", organisations=manageable_organisations(current_user)
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_organisation():
    """Create an SME, group or operator organisation."""
    form = OrganisationForm()
    form.territory_id.choices = select_choices(
        (t.id, t.name) for t in manageable_territories(current_user)
    )
    if form.validate_on_submit():
        if form.siren.data and db.session.scalar(
            select(Organisation.id).where(Organisation.siren == form.siren.data)
        ):
            form.siren.errors.append(_("An organisation with this SIREN already exists."))
        else:
            fields = {
                name: getattr(form, name).data
                for name in (
                    "kind",
                    "name",
                    "siren",
                    "naf_code",
                    "headcount",
                    "postcode",
                    "commune",
                    "lat",
                    "lon",
                    "territory_id",
                )
            }
            fields["name"] = fields["name"].strip()
            organisation = services.create_organisation(current_user, **fields)
            db.session.commit()
            flash(_("Organisation %(name)s created.", name=organisation.name), "success")
            return redirect(url_for("admin.list_organisations"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/organisation_form.html", form=form), status


@bp.route("/users")
@role_required(*STAFF)
def list_users():
    """Users of the organisations the current coordinator or admin manages."""
    return render_template(
        "admin/users.html", users=manageable_users(current_user), role_labels=ROLE_LABELS
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(*STAFF)
def invite_user():
    """Create an account and an invitation link to set its password."""
    form = InviteUserForm()
    roles = [r for r in Role if r != Role.ADMIN or current_user.role == Role.ADMIN]
    form.role.choices = select_choices((r.value, ROLE_LABELS[r]) for r in roles)
    organisations = manageable_organisations(current_user)
    pairs = [(o.id, o.name) for o in organisations]
    if current_user.role == Role.ADMIN:
        pairs.insert(0, (0, _("— none (administrators only) —")))
    form.organisation_id.choices = select_choices(pairs)
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        if db.session.scalar(select(User.id).where(User.email == email)):
            form.email.errors.append(_("An account with this e-mail already exists."))
        else:
            organisation = db.session.get(Organisation, form.organisation_id.data) or None
            try:
                user, token = services.invite_user(
                    current_user,
                    email=email,
                    name=form.name.data,
                    role=form.role.data,
                    organisation=organisation,
                    now=clock.now(),
                    validity=current_app.config["INVITATION_VALIDITY"],
                )
            except NotAllowed as error:
                db.session.rollback()
                form.organisation_id.errors.append(error.message)
            else:
                link = _send_invitation(user, token, current_user)
                db.session.commit()
                return render_template("admin/invitation_sent.html", invited=user, link=link)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form), status


@bp.route("/users/<int:user_id>/invitation", methods=["POST"])
@role_required(*STAFF)
def reinvite_user(user_id: int):
    """Send a new invitation link to an account that is not active yet."""
    user = db.session.get(User, user_id)
    if user is None or user not in manageable_users(current_user):
        abort(404)
    if user.is_active:
        raise InvalidTransition(_("This account is already active."))
    token = accounts.create_invitation(
        user, current_user, clock.now(), current_app.config["INVITATION_VALIDITY"]
    )
    link = _send_invitation(user, token, current_user)
    db.session.commit()
    return render_template("admin/invitation_sent.html", invited=user, link=link)
