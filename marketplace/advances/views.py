"""Finance pages: the portfolio, an advance, the fund, the committee and its sessions."""

from __future__ import annotations

from datetime import date, datetime

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, OrgKind, Role
from marketplace.advances import committee as committees
from marketplace.advances import services
from marketplace.advances.forms import (
    AdvanceForm,
    AgendaForm,
    AttendanceForm,
    ContributionForm,
    DecisionForm,
    FundForm,
    LinkForm,
    MemberForm,
    MoneyForm,
    ReasonForm,
    RescheduleForm,
    SessionForm,
)
from marketplace.advances.models import (
    ADVANCE_STATUSES,
    Advance,
    AdvanceStatus,
    AgendaItem,
    Committee,
    CommitteeSession,
    Condition,
    Fund,
    FundMovement,
    Repayment,
)
from marketplace.advances.money import euros_text
from marketplace.advances.states import EDITABLE, allowed
from marketplace.charts import line_chart_svg
from marketplace.conventions.models import Territory
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import commit_or_show, select_choices
from marketplace.i18n import format_euros
from marketplace.paging import keyset_page
from marketplace.params import choice_arg, int_arg
from marketplace.printing import pdf_download

bp = Blueprint("advances", __name__)
ANYONE = ALL_ROLES
PEOPLE_ACTIONS = ("submit", "withdraw", "contract", "default", "write_off")


def _get(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


# ------------------------------------------------------------------ advances


@bp.route("/advances")
@role_required(*ANYONE)
def list_advances():
    """The portfolio: what this person may see, newest first, by status and fund."""
    query = services.visible_advances(current_user)
    chosen = {"status": choice_arg("status", ADVANCE_STATUSES), "fund": int_arg("fund")}
    if chosen["status"]:
        query = query.where(Advance.status == chosen["status"])
    if chosen["fund"]:
        query = query.where(Advance.fund_id == chosen["fund"])
    page = keyset_page(query, (Advance.created_at, Advance.id), (datetime, int), descending=True)
    listed = query.order_by(None).subquery()
    totals = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(listed.c.amount_cents), 0),
            func.coalesce(func.sum(listed.c.disbursed_cents - listed.c.repaid_cents), 0),
        ).select_from(listed)
    ).one()
    return render_template(
        "advances/list.html",
        advances=page.rows,
        page=page,
        chosen=chosen,
        statuses=ADVANCE_STATUSES,
        funds=services.visible_funds(current_user),
        totals=totals,
        can_apply=current_user.role in (Role.SME_MANAGER, Role.COORDINATOR, Role.ADMIN),
    )


def _sme_choices() -> list:
    """The SMEs an officer may apply for (those of their funds' territories)."""
    territories = services.officer_territories(current_user)
    query = select(Organisation).where(Organisation.kind == OrgKind.SME).order_by(Organisation.name)
    if territories is not None:
        query = query.where(Organisation.territory_id.in_(territories))
    return select_choices((o.id, o.name) for o in db.session.scalars(query))


@bp.route("/advances/new", methods=["GET", "POST"])
@role_required(Role.SME_MANAGER, Role.COORDINATOR, Role.ADMIN)
def new_advance():
    """An application: by the SME's manager, or for an SME by a coordinator."""
    form = AdvanceForm()
    officer = current_user.role != Role.SME_MANAGER
    if officer:
        form.organisation_id.choices = _sme_choices()
    else:
        del form.organisation_id
        del form.analysis
    status = 200
    if form.validate_on_submit():
        organisation = (
            db.session.get(Organisation, form.organisation_id.data)
            if officer
            else current_user.organisation
        )
        if organisation is None:
            abort(400)
        advance, refused = commit_or_show(
            form.amount,
            lambda: services.create_advance(
                current_user, organisation, form.fields(), form.cofinancing_rows(), clock.now()
            ),
            form,
        )
        if refused is None:
            flash(
                _(
                    "Advance %(ref)s saved as a draft: submit it when it is complete.",
                    ref=advance.ref,
                ),
                "success",
            )
            return redirect(url_for("advances.show_advance", advance_id=advance.id))
        status = refused
    elif form.is_submitted():
        status = 400
    return render_template("advances/form.html", form=form, advance=None), status


@bp.route("/advances/<int:advance_id>/edit", methods=["GET", "POST"])
@role_required(*ANYONE)
def edit_advance(advance_id: int):
    advance = services.get_visible_advance(current_user, advance_id)
    caps = services.capacities(current_user, advance)
    if not caps or advance.status not in EDITABLE:
        abort(403)
    form = AdvanceForm(data=None if request.method == "POST" else _form_data(advance))
    del form.organisation_id
    if "officer" not in caps:
        del form.analysis
    status = 200
    if form.validate_on_submit():
        _done, refused = commit_or_show(
            form.amount,
            lambda: services.update_advance(
                current_user,
                advance,
                form.fields(),
                form.cofinancing_rows(),
                clock.now(),
            ),
            form,
        )
        if refused is None:
            flash(_("Advance %(ref)s saved.", ref=advance.ref), "success")
            return redirect(url_for("advances.show_advance", advance_id=advance.id))
        status = refused
    elif form.is_submitted():
        status = 400
    return render_template("advances/form.html", form=form, advance=advance), status


def _form_data(advance: Advance) -> dict:
    """The application as its edit form starts (amounts as they were typed, cents kept)."""
    first = advance.cofinancings[0] if advance.cofinancings else None
    return {
        "amount": euros_text(advance.amount_cents),
        "purpose": advance.purpose,
        "term_months": advance.term_months,
        "grace_months": advance.grace_months,
        "frequency": advance.frequency,
        "headcount": advance.headcount,
        "jobs_to_create": advance.jobs_to_create,
        "jobs_to_preserve": advance.jobs_to_preserve,
        "lender": first.lender if first else "",
        "cofinancing": euros_text(first.amount_cents) if first else "",
        "analysis": advance.analysis,
    }


@bp.route("/advances/<int:advance_id>")
@role_required(*ANYONE)
def show_advance(
    advance_id: int,
    refusal: dict | None = None,
    money_form: MoneyForm | None = None,
    reschedule_form: RescheduleForm | None = None,
):
    """One advance: the application, the committee's conditions, the schedule, the
    repayments and the timeline, with the actions open to this person."""
    advance = services.get_visible_advance(current_user, advance_id)
    caps = services.capacities(current_user, advance)
    actions = [a for a in PEOPLE_ACTIONS if allowed(a, advance.status, caps)]
    repayments = db.session.scalars(
        select(Repayment)
        .where(Repayment.advance_id == advance.id)
        .order_by(Repayment.received_on, Repayment.id)
    ).all()
    decisions = db.session.scalars(
        select(AgendaItem).where(AgendaItem.advance_id == advance.id).order_by(AgendaItem.id)
    ).all()
    return render_template(
        "advances/detail.html",
        advance=advance,
        caps=caps,
        actions=actions,
        editable=bool(caps) and advance.status in EDITABLE,
        schedule=services.current_schedule(advance),
        repayments=repayments,
        decisions=decisions,
        today=clock.today(),
        refusal=refusal,
        money_form=money_form or MoneyForm(formdata=None, on=clock.today()),
        reason_form=ReasonForm(formdata=None),
        reschedule_form=reschedule_form
        or RescheduleForm(formdata=None, prefix="reschedule", start=clock.today()),
    ), (refusal or {}).get("status", 200)


@bp.route("/advances/<int:advance_id>/<action>", methods=["POST"])
@role_required(*ANYONE)
def act(advance_id: int, action: str):
    advance = services.get_visible_advance(current_user, advance_id)
    if action not in PEOPLE_ACTIONS:
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.act(current_user, advance, action, clock.now(), form.reason.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return show_advance(
            advance_id,
            refusal={"action": action, "message": error.message, "status": error.status_code},
        )
    flash(
        _("Advance %(ref)s: %(status)s.", ref=advance.ref, status=status_text(advance.status)),
        "success",
    )
    return redirect(url_for("advances.show_advance", advance_id=advance.id))


@bp.route("/advances/<int:advance_id>/money/<kind>", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def money(advance_id: int, kind: str):
    """A tranche paid out, or a repayment received."""
    advance = services.get_visible_advance(current_user, advance_id)
    if kind not in ("disburse", "repay"):
        abort(404)
    form = MoneyForm()
    if not form.validate_on_submit():
        return show_advance(advance_id, refusal={"action": kind, "status": 400}, money_form=form)

    def call():
        if kind == "disburse":
            return services.disburse(
                current_user, advance, form.amount.cents, form.on.data, clock.now()
            )
        return services.record_repayment(
            current_user, advance, form.amount.cents, form.on.data, clock.now(), form.reference.data
        )

    _done, refused = commit_or_show(form.amount, call)
    if refused is not None:
        return show_advance(
            advance_id, refusal={"action": kind, "status": refused}, money_form=form
        )
    message = (
        _(
            "%(amount)s paid out on advance %(ref)s.",
            amount=format_euros(form.amount.cents),
            ref=advance.ref,
        )
        if kind == "disburse"
        else _(
            "%(amount)s received on advance %(ref)s; %(left)s left to repay.",
            amount=format_euros(form.amount.cents),
            ref=advance.ref,
            left=format_euros(advance.outstanding_cents),
        )
    )
    flash(message, "success")
    return redirect(url_for("advances.show_advance", advance_id=advance.id))


@bp.route("/advances/<int:advance_id>/reschedule", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def reschedule(advance_id: int):
    """What is left to repay on a new schedule version (the old one is kept)."""
    advance = services.get_visible_advance(current_user, advance_id)
    form = RescheduleForm(prefix="reschedule")
    if form.validate_on_submit():
        _done, refused = commit_or_show(
            form.start,
            lambda: services.reschedule(
                current_user,
                advance,
                form.start.data,
                form.term_months.data,
                form.grace_months.data,
                form.reason.data,
                clock.now(),
            ),
            form,
        )
        if refused is None:
            flash(_("Advance %(ref)s rescheduled.", ref=advance.ref), "success")
            return redirect(url_for("advances.show_advance", advance_id=advance.id))
    else:
        refused = 400
    return show_advance(
        advance_id, refusal={"action": "reschedule", "status": refused}, reschedule_form=form
    )


@bp.route("/advances/<int:advance_id>/conditions/<int:condition_id>/lift", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def lift(advance_id: int, condition_id: int):
    advance = services.get_visible_advance(current_user, advance_id)
    condition = _get(Condition, condition_id)
    if condition.advance_id != advance.id or not ReasonForm().validate_on_submit():
        abort(404)
    try:
        committees.lift_condition(current_user, condition, clock.now())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        abort(error.status_code)
    flash(_("Condition lifted."), "success")
    return redirect(url_for("advances.show_advance", advance_id=advance.id))


STATUS_LABELS = {
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "on_agenda": _l("on a committee's agenda"),
    "adjourned": _l("adjourned"),
    "approved": _l("approved"),
    "refused": _l("refused"),
    "withdrawn": _l("withdrawn"),
    "contracted": _l("contracted"),
    "disbursed": _l("partly disbursed"),
    "repaying": _l("repaying"),
    "in_arrears": _l("in arrears"),
    "repaid": _l("repaid"),
    "defaulted": _l("defaulted"),
    "written_off": _l("written off"),
}


def status_text(status: str) -> str:
    # one translation per call (the dict is built once; the labels are lazy)
    return str(STATUS_LABELS[status])


ACTION_LABELS = {
    "create": _l("application created"),
    "edit": _l("application edited"),
    "submit": _l("submitted"),
    "withdraw": _l("withdrawn"),
    "put_on_agenda": _l("put on a committee's agenda"),
    "approve": _l("approved by the committee"),
    "refuse": _l("refused by the committee"),
    "adjourn": _l("adjourned by the committee"),
    "contract": _l("contract signed"),
    "disburse_part": _l("tranche paid out"),
    "disburse_all": _l("paid out in full: repayments start"),
    "repayment": _l("repayment received"),
    "fall_behind": _l("in arrears"),
    "catch_up": _l("back on schedule"),
    "repay_all": _l("repaid in full"),
    "reschedule": _l("rescheduled"),
    "default": _l("declared in default"),
    "write_off": _l("written off"),
}


def action_text(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return action if label is None else str(label)


@bp.app_context_processor
def _labels():
    return {
        "advance_status": status_text,
        "advance_action": action_text,
        "decision_label": committees.decision_label,
    }


# ------------------------------------------------------------------ the fund


@bp.route("/funds")
@role_required(*ANYONE)
def list_funds():
    funds = services.visible_funds(current_user)
    if len(funds) == 1:
        return redirect(url_for("advances.show_fund", fund_id=funds[0].id))
    return render_template("advances/funds.html", funds=funds)


@bp.route("/funds/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_fund():
    """An administrator sets up a territory's fund and its committee."""
    form = FundForm()
    taken = set(db.session.scalars(select(Fund.territory_id)))
    form.territory_id.choices = select_choices(
        (t.id, t.name)
        for t in db.session.scalars(select(Territory).order_by(Territory.name))
        if t.id not in taken
    )
    status = 200
    if form.validate_on_submit():
        fund, refused = commit_or_show(
            form.territory_id,
            lambda: services.create_fund(
                current_user,
                form.territory_id.data,
                form.name.data,
                form.min_amount.cents,
                form.max_amount.cents,
                form.quorum.data,
            ),
            form,
        )
        if refused is None:
            flash(_("Fund %(name)s set up, with its committee.", name=fund.name), "success")
            return redirect(url_for("advances.show_fund", fund_id=fund.id))
        status = refused
    elif form.is_submitted():
        status = 400
    return render_template("advances/fund_form.html", form=form), status


@bp.route("/funds/<int:fund_id>", methods=["GET", "POST"])
@role_required(*ANYONE)
def show_fund(fund_id: int):
    """The fund: contributions, lent, repaid, written off, available; its officers record
    contributions and see every movement; others see the aggregates only."""
    fund = _get(Fund, fund_id)
    if fund not in services.visible_funds(current_user):
        abort(404)
    officer = services.is_officer(current_user, fund)
    form = ContributionForm() if officer else None
    status = 200
    if form is not None:
        groups = db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.GROUP)
            .order_by(Organisation.name)
        )
        form.contributor_id.choices = select_choices(
            [(0, _("— another contributor —")), *((g.id, g.name) for g in groups)]
        )
        if form.validate_on_submit():
            contributor = (
                db.session.get(Organisation, form.contributor_id.data)
                if form.contributor_id.data
                else None
            )
            _done, refused = commit_or_show(
                form.amount,
                lambda: services.add_contribution(
                    current_user,
                    fund,
                    contributor,
                    form.contributor.data or "",
                    form.amount.cents,
                    form.on.data,
                    clock.now(),
                ),
            )
            if refused is None:
                flash(
                    _(
                        "Contribution of %(amount)s recorded.",
                        amount=format_euros(form.amount.cents),
                    ),
                    "success",
                )
                return redirect(url_for("advances.show_fund", fund_id=fund.id))
            status = refused
        elif form.is_submitted():
            status = 400
        elif not form.on.data:
            form.on.data = clock.today()
    by_status = dict(
        db.session.execute(
            select(Advance.status, func.count())
            .where(Advance.fund_id == fund.id)
            .group_by(Advance.status)
        ).all()
    )
    movements = (
        db.session.scalars(
            select(FundMovement)
            .options(joinedload(FundMovement.advance).joinedload(Advance.organisation))
            .where(FundMovement.fund_id == fund.id)
            .order_by(FundMovement.moved_on.desc(), FundMovement.id.desc())
            .limit(100)
        ).all()
        if officer
        else []
    )
    contributions = db.session.execute(
        select(FundMovement.contributor, func.sum(FundMovement.amount_cents))
        .where(FundMovement.fund_id == fund.id, FundMovement.kind == "contribution")
        .group_by(FundMovement.contributor)
        .order_by(func.sum(FundMovement.amount_cents).desc())
    ).all()
    committee = db.session.scalar(
        select(Committee).where(Committee.territory_id == fund.territory_id)
    )
    history = services.fund_history(fund, clock.today())
    chart = line_chart_svg(
        [format_date(date(int(m[:4]), int(m[5:]), 1), "MMM yy") for m, *_ in history],
        [
            ("contributed", _("contributed"), [c / 100 for _m, c, _o, _a in history]),
            ("outstanding", _("outstanding"), [o / 100 for _m, _c, o, _a in history]),
            ("available", _("available to lend"), [a / 100 for _m, _c, _o, a in history]),
        ],
        _("The fund over time, in euros"),
        number=lambda v: format_decimal(v, format="#,##0"),
    )
    return render_template(
        "advances/fund.html",
        fund=fund,
        officer=officer,
        form=form,
        by_status=by_status,
        movements=movements,
        contributions=contributions,
        committee=committee,
        chart=Markup(chart),  # noqa: S704 - built by line_chart_svg, every text escaped
    ), status


# ------------------------------------------------------------------ the committee


def _member_forms(committee: Committee) -> tuple[MemberForm, LinkForm]:
    organisations = [(0, "—")] + [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
    ]
    member_form, link_form = MemberForm(prefix="member"), LinkForm(prefix="link")
    member_form.organisation_id.choices = select_choices(organisations)
    member_form.user_id.choices = select_choices(
        [(0, "—")]
        + [
            (u.id, f"{u.name} ({u.email})")
            for u in db.session.scalars(
                select(User).where(User.is_active_account.is_(True)).order_by(User.name)
            )
        ]
    )
    link_form.organisation_id.choices = select_choices(organisations[1:])
    mine = [
        m
        for m in committee.members
        if committees.can_run(current_user, committee) or m.user_id == current_user.id
    ]
    link_form.member_id.choices = select_choices((m.id, m.name) for m in mine)
    return member_form, link_form


@bp.route("/committees/<int:committee_id>/members", methods=["POST"])
@role_required(*ANYONE)
def committee_members(committee_id: int):
    """The secretariat adds a member; a member (or the secretariat) declares a link."""
    committee = _get(Committee, committee_id)
    if not _committee_visible(committee):
        abort(404)
    member_form, link_form = _member_forms(committee)
    refused = 400
    if request.form.get("form") == "member" and member_form.validate_on_submit():
        _done, refused = commit_or_show(
            member_form.name,
            lambda: committees.add_member(
                current_user,
                committee,
                member_form.name.data,
                member_form.user_id.data,
                member_form.organisation_id.data,
                member_form.seat.data,
                member_form.joined_on.data,
            ),
            member_form,
        )
    elif request.form.get("form") == "link" and link_form.validate_on_submit():
        member = next(m for m in committee.members if m.id == link_form.member_id.data)
        _done, refused = commit_or_show(
            link_form.organisation_id,
            lambda: committees.declare_link(
                current_user, member, link_form.organisation_id.data, link_form.note.data
            ),
            link_form,
        )
    if refused is None:
        flash(_("Saved."), "success")
        return redirect(url_for("advances.show_committee", committee_id=committee.id))
    return show_committee(committee_id, forms=(member_form, link_form), status=refused)


def _committee_visible(committee: Committee) -> bool:
    return committees.can_run(current_user, committee) or committees.sits_on(
        current_user, committee
    )


@bp.route("/committees/<int:committee_id>", methods=["GET", "POST"])
@role_required(*ANYONE)
def show_committee(committee_id: int, forms: tuple | None = None, status: int = 200):
    committee = _get(Committee, committee_id)
    if not _committee_visible(committee):
        abort(404)
    runs = committees.can_run(current_user, committee)
    form = (
        SessionForm() if runs and forms is None else (SessionForm(formdata=None) if runs else None)
    )
    member_form, link_form = forms or _member_forms(committee)
    if forms is None and form is not None and form.validate_on_submit():
        session, refused = commit_or_show(
            form.held_on,
            lambda: committees.create_session(current_user, committee, form.held_on.data),
        )
        if refused is None:
            return redirect(url_for("advances.show_session", session_id=session.id))
        status = refused
    elif forms is None and form is not None and form.is_submitted():
        status = 400
    sessions = db.session.scalars(
        select(CommitteeSession)
        .where(CommitteeSession.committee_id == committee.id)
        .order_by(CommitteeSession.held_on.desc())
    ).all()
    if not member_form.is_submitted():
        member_form.joined_on.data = clock.today()
    return render_template(
        "advances/committee.html",
        committee=committee,
        sessions=sessions,
        form=form,
        runs=runs,
        today=clock.today(),
        member_form=member_form,
        link_form=link_form,
    ), status


@bp.route("/committee-sessions/<int:session_id>", methods=["GET", "POST"])
@role_required(*ANYONE)
def show_session(session_id: int):
    """A session: its agenda, who attends, the decisions; the secretariat records them."""
    session = _get(CommitteeSession, session_id)
    committee = session.committee
    if not _committee_visible(committee):
        abort(404)
    runs = committees.can_run(current_user, committee)
    agenda_form, attendance_form, decision_form = (
        AgendaForm(prefix="agenda"),
        AttendanceForm(prefix="attendance"),
        DecisionForm(prefix="decision"),
    )
    seated = committees.members_on(committee, session.held_on)
    waiting = db.session.scalars(
        select(Advance)
        .join(Fund)
        .where(
            Fund.territory_id == committee.territory_id,
            Advance.status.in_((AdvanceStatus.SUBMITTED, AdvanceStatus.ADJOURNED)),
        )
        .order_by(Advance.ref)
    ).all()
    agenda_form.advance_id.choices = select_choices(
        (a.id, f"{a.ref} · {a.organisation.name} · {format_euros(a.amount_cents)}") for a in waiting
    )
    attendance_form.present.choices = select_choices((m.id, m.name) for m in seated)
    decision_form.items.choices = select_choices(
        (i.id, i.advance.ref) for i in session.items if i.decision is None
    )
    status = 200
    if request.method == "POST":
        if not runs:
            abort(403)
        which = request.form.get("form")
        refused = None
        if which == "agenda" and agenda_form.validate_on_submit():
            advance = _get(Advance, agenda_form.advance_id.data)
            _done, refused = commit_or_show(
                agenda_form.advance_id,
                lambda: committees.put_on_agenda(current_user, session, advance, clock.now()),
            )
        elif which == "attendance" and attendance_form.validate_on_submit():
            _done, refused = commit_or_show(
                attendance_form.present,
                lambda: committees.set_attendance(
                    current_user, session, set(attendance_form.present.data or [])
                ),
            )
        elif which == "decision" and decision_form.validate_on_submit():
            items = [i for i in session.items if i.id in set(decision_form.items.data or [])]
            votes = {}
            for key, value in request.form.items():
                if key.startswith("vote-") and value:
                    try:
                        votes[int(key[5:])] = value
                    except ValueError:
                        abort(400)
            conditions = [
                line.strip()
                for line in (decision_form.conditions.data or "").splitlines()
                if line.strip()
            ]
            _done, refused = commit_or_show(
                decision_form.decision,
                lambda: committees.decide(
                    current_user,
                    session,
                    items,
                    decision_form.decision.data,
                    votes,
                    conditions,
                    decision_form.comment.data,
                    clock.now(),
                ),
            )
        elif which == "close":
            _done, refused = commit_or_show(
                decision_form.decision,
                lambda: committees.close_session(current_user, session, clock.now()),
            )
        else:
            refused = 400
        if refused is None:
            flash(_("Saved."), "success")
            return redirect(url_for("advances.show_session", session_id=session.id))
        status = refused
        db.session.refresh(session)
    present = {a.member_id for a in session.attendance if a.present}
    if not attendance_form.is_submitted():
        attendance_form.present.data = sorted(present)
    return render_template(
        "advances/session.html",
        session=session,
        committee=committee,
        runs=runs,
        seated=seated,
        present=present,
        agenda_form=agenda_form,
        attendance_form=attendance_form,
        decision_form=decision_form,
        tallies={i.id: committees.tally(session, i.advance) for i in session.items},
    ), status


def _minutes_html(session: CommitteeSession, pack: bool = False) -> str:
    return render_template(
        "advances/minutes.html",
        pack=pack,
        recusals={
            i.id: [
                m.name
                for m in committees.members_on(session.committee, session.held_on)
                if committees.is_recused(m, i.advance)
            ]
            for i in session.items
        },
        session=session,
        committee=session.committee,
        seated=committees.members_on(session.committee, session.held_on),
        present={a.member_id for a in session.attendance if a.present},
        issued_on=clock.today(),
    )


@bp.route("/committee-sessions/<int:session_id>/minutes")
@role_required(*ANYONE)
def minutes(session_id: int):
    """The minutes (procès-verbal) of a session, printable; `.pdf` for the file."""
    session = _get(CommitteeSession, session_id)
    if not _committee_visible(session.committee):
        abort(404)
    return _minutes_html(session)


@bp.route("/committee-sessions/<int:session_id>/pack")
@role_required(*ANYONE)
def dossier_pack(session_id: int):
    """What the members read before the session: each dossier with its analysis, its
    co-financing and leverage, and who will be recused."""
    session = _get(CommitteeSession, session_id)
    if not _committee_visible(session.committee):
        abort(404)
    return _minutes_html(session, pack=True)


@bp.route("/committee-sessions/<int:session_id>/minutes.pdf")
@role_required(*ANYONE)
def minutes_pdf(session_id: int):
    session = _get(CommitteeSession, session_id)
    if not _committee_visible(session.committee):
        abort(404)
    name = f"pv-{session.committee.name}-{session.held_on.isoformat()}".replace(" ", "-")
    return pdf_download(_minutes_html(session), name)
