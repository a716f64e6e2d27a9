"""Login, logout, password change, invitation links, language choice."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace import clock
from marketplace.accounts import services
from marketplace.accounts.forms import (
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    SetPasswordForm,
)
from marketplace.errors import Throttled
from marketplace.extensions import db
from marketplace.mail.services import SECRET_PLACEHOLDER, queue_mail
from marketplace.security import safe_next
from marketplace.urls import external_url

bp = Blueprint("accounts", __name__)


def _policy() -> services.ThrottlePolicy:
    config = current_app.config
    return services.ThrottlePolicy(
        max_failures=config["LOGIN_THROTTLE_MAX_FAILURES"],
        window=config["LOGIN_THROTTLE_WINDOW"],
        max_address_failures=config["LOGIN_THROTTLE_MAX_ADDRESS_FAILURES"],
        delay_after=config["LOGIN_THROTTLE_DELAY_AFTER"],
        max_delay=config["LOGIN_THROTTLE_MAX_DELAY"],
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password (throttled)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data,
                form.password.data,
                request.remote_addr or "unknown",
                clock.now(),
                _policy(),
                current_app.config["PASSWORD_HASH_METHOD"],
            )
        except Throttled as error:
            db.session.rollback()
            return render_template("accounts/login.html", form=form, error=error.message), 429
        db.session.commit()
        if user is None:
            return (
                render_template(
                    "accounts/login.html",
                    form=form,
                    error=_("Wrong e-mail or password, or the account is not active."),
                ),
                401,
            )
        target = safe_next(request.args.get("next"))
        lang = session.get("lang")
        session.clear()  # a fresh session at login: nothing carried over but the language
        if lang:
            session["lang"] = lang
        login_user(user, remember=form.remember.data)
        return redirect(target or url_for("main.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session and every other one of the same user."""
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/calendar", methods=["POST"])
@login_required
def calendar_link():
    """Create (or renew) one's private calendar link, shown once; or revoke it."""
    user = current_user._get_current_object()
    link = None
    if request.form.get("revoke") == "1":
        services.revoke_calendar_token(user)
        flash(_("Your calendar link no longer works."), "success")
    else:
        link = external_url("calendar.feed", token=services.new_calendar_token(user))
    db.session.commit()
    if link is None:
        return redirect(url_for("accounts.change_password"))
    return render_template(
        "accounts/password.html", form=PasswordChangeForm(formdata=None), calendar_link=link
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (ends the other sessions)."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if services.change_password(
            user,
            form.current_password.data,
            form.new_password.data,
            current_app.config["PASSWORD_HASH_METHOD"],
        ):
            db.session.commit()
            login_user(user)  # the session version changed: keep this session alive
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
        db.session.rollback()
        form.current_password.errors.append(_("The current password is wrong."))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a password-reset link; the answer is the same whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        now = clock.now()
        validity = current_app.config["PASSWORD_RESET_VALIDITY"]
        found = services.request_password_reset(
            form.email.data, request.remote_addr or "unknown", now, validity
        )
        if found is not None:
            user, token = found
            link = external_url("accounts.reset_password", token=token)
            queue_mail(
                user.email,
                "Choisir un nouveau mot de passe",
                "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une "
                f"heure, une seule fois) :\n{SECRET_PLACEHOLDER}\n\nSi vous n'avez rien demandé, "
                "ignorez ce message : votre mot de passe reste le même.\n",
                now,
                user.id,
                secret=link,
            )
        db.session.commit()
        return render_template("accounts/forgot.html", form=form, sent=True)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot.html", form=form, sent=False), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a reset link; every session of the account ends."""
    now = clock.now()
    link = services.find_reset(token, now)  # InvitationInvalid -> 410 page
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(
            token, form.new_password.data, now, current_app.config["PASSWORD_HASH_METHOD"]
        )
        db.session.commit()
        session.clear()
        flash(_("Your password has been changed. Log in with it."), "success")
        return redirect(url_for("accounts.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset.html", form=form, email=link.user.email), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Set one's password from an invitation link, then log in."""
    now = clock.now()
    invitation = services.find_invitation(token, now)  # InvitationInvalid -> 410 page
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = services.accept_invitation(
            token, form.new_password.data, now, current_app.config["PASSWORD_HASH_METHOD"]
        )
        db.session.commit()
        session.clear()
        login_user(user)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("main.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/invitation.html", form=form, invited=invitation.user), status


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language (French or English)."""
    form = LanguageForm()
    if not form.validate_on_submit() or form.lang.data not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        current_user.locale = form.lang.data
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))
