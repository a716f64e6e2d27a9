"""Mission rules: agreement, approval against the quota, sessions, audit, outcome."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import sme_managers
from marketplace.conventions.models import Convention, ConventionGroup, convention_coordinators
from marketplace.conventions.services import coordinator_territory_ids
from marketplace.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.matching.models import Proposal
from marketplace.missions.models import Mission, MissionEvent, MissionSession, SubmittedForm
from marketplace.missions.states import RESERVING, TRANSITIONS, allowed
from marketplace.needs.models import Need
from marketplace.notifications.services import notify
from marketplace.offers.models import Offer


class QuotaExceeded(DomainError):
    status_code = 409


class CapacityExceeded(DomainError):
    status_code = 409


class BadSession(DomainError):
    status_code = 400


class DoubleSubmit(DomainError):
    status_code = 409


# ------------------------------------------------------------------ who is who


def capacities(user: User, mission: Mission) -> set[str]:
    """The parts this user plays on this mission: sme, expert, coordinator."""
    found: set[str] = set()
    if user.role == Role.ADMIN:
        found.add("coordinator")
    elif user.role == Role.COORDINATOR and _coordinates(user, mission):
        found.add("coordinator")
    elif user.role == Role.SME_MANAGER and mission.need.organisation_id == user.organisation_id:
        found.add("sme")
    elif user.role == Role.VOLUNTEER and mission.offer.expert_id == user.id:
        found.add("expert")
    elif user.role == Role.GROUP_REFERENT and mission.group_id == user.organisation_id:
        found.add("expert")
    return found


def _coordinates(user: User, mission: Mission) -> bool:
    if mission.convention_id is not None:
        return bool(
            db.session.scalar(
                select(convention_coordinators.c.user_id).where(
                    convention_coordinators.c.convention_id == mission.convention_id,
                    convention_coordinators.c.user_id == user.id,
                )
            )
        )
    return mission.need.organisation.territory_id in coordinator_territory_ids(user)


def visible_missions(user: User):
    """Missions this user may see (a SELECT joined to the need and its SME)."""
    query = (
        select(Mission)
        .join(Need, Need.id == Mission.need_id)
        .join(Organisation, Organisation.id == Need.organisation_id)
        .join(Offer, Offer.id == Mission.offer_id)
    )
    if user.role == Role.ADMIN:
        condition = true()
    elif user.role == Role.COORDINATOR:
        mine = select(convention_coordinators.c.convention_id).where(
            convention_coordinators.c.user_id == user.id
        )
        condition = or_(
            Mission.convention_id.in_(mine),
            and_(
                Mission.convention_id.is_(None),
                Organisation.territory_id.in_(coordinator_territory_ids(user)),
            ),
        )
    elif user.role == Role.SME_MANAGER:
        condition = Need.organisation_id == user.organisation_id
    elif user.role == Role.VOLUNTEER:
        condition = Offer.expert_id == user.id
    else:
        condition = Mission.group_id == user.organisation_id
    return query.where(condition)


def get_visible_mission(user: User, mission_id: int) -> Mission:
    mission = db.session.scalar(visible_missions(user).where(Mission.id == mission_id))
    if mission is None:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    return mission


def claim_form(key: str | None, user: User, now: datetime) -> None:
    """Refuse a form submitted twice (its one-time key is stored the first time)."""
    if not key or len(key) > 64:
        raise DoubleSubmit(_l("This form has no valid key; reload the page."))
    try:
        with db.session.begin_nested():
            db.session.add(SubmittedForm(key=key, user_id=user.id, at=now))
    except IntegrityError:
        raise DoubleSubmit(_l("This form was already submitted.")) from None


# ------------------------------------------------------------------ audit


def record(
    mission: Mission,
    actor: User | None,
    action: str,
    before: str | None,
    after: str | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    db.session.add(
        MissionEvent(
            mission_id=mission.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before,
            to_status=after,
            reason=reason,
            at=now,
        )
    )


def _move(
    mission: Mission, action: str, actor: User | None, now: datetime, reason: str | None = None
) -> None:
    """Change a mission's status with a conditional UPDATE, and write it down."""
    before = mission.status
    target = TRANSITIONS[action].target
    done = db.session.execute(
        update(Mission)
        .where(Mission.id == mission.id, Mission.status == before)
        .values(status=target, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("The mission changed meanwhile; reload the page."))
    db.session.refresh(mission)
    record(mission, actor, action, before, target, now, reason)


def check(user: User, mission: Mission, action: str) -> set[str]:
    caps = capacities(user, mission)
    if not caps:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if not allowed(action, mission.status, caps):
        raise InvalidTransition(
            _l(
                "This action is not possible on a mission that is %(status)s.",
                status=mission.status,
            )
        )
    return caps


def parties(mission: Mission) -> list[User]:
    """The people to tell: the SME's managers, the expert, the coordinators."""
    managers = sme_managers(mission.need.organisation_id, active_only=True)
    coordinators = mission.convention.coordinators if mission.convention else []
    return [*managers, mission.offer.expert, *coordinators]


def link(mission: Mission) -> str:
    return f"/missions/{mission.id}"


# ------------------------------------------------------------------ agreement


def convention_for(need: Need, offer: Offer) -> Convention | None:
    """The active convention of the SME's territory that the offer's group is partner of."""
    return db.session.scalar(
        select(Convention)
        .join(ConventionGroup, ConventionGroup.convention_id == Convention.id)
        .where(
            Convention.status == "active",
            Convention.territory_id == need.organisation.territory_id,
            ConventionGroup.organisation_id == offer.organisation_id,
        )
        .order_by(Convention.starts_on.desc())
        .limit(1)
    )


def create_mission(
    need: Need, offer: Offer, actor: User | None, now: datetime, proposal: Proposal | None = None
) -> Mission:
    """Both sides agree (or a coordinator pairs them by hand): the mission starts 'agreed'."""
    if need.status != "open":
        raise InvalidTransition(_l("This need is no longer open."))
    if offer.status != "open":
        raise InvalidTransition(_l("This offer is no longer open."))
    start, end = max(need.starts_on, offer.starts_on), min(need.ends_on, offer.ends_on)
    if start > end:
        raise InvalidTransition(_l("The need's and the offer's windows do not overlap."))
    # The need leaves the market for the days the mission covers.
    taken = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.status == "open")
        .values(status="matched", updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise InvalidTransition(_l("This need was matched meanwhile."))
    convention = convention_for(need, offer)
    mission = Mission(
        ref=f"new-{need.id}-{offer.id}",
        need_id=need.id,
        offer_id=offer.id,
        proposal_id=proposal.id if proposal else None,
        convention_id=convention.id if convention else None,
        group_id=offer.organisation_id,
        days=need.days,
        starts_on=start,
        ends_on=end,
        status="agreed",
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
        approved_days=0,
        override_days=0,
        days_logged=0,
    )
    db.session.add(mission)
    db.session.flush()
    mission.ref = f"M-{mission.id:06d}"
    db.session.execute(
        update(Proposal)
        .where(
            Proposal.need_id == need.id,
            Proposal.status.in_(("proposed", "accepted_by_sme", "accepted_by_expert")),
            Proposal.id != (proposal.id if proposal else -1),
        )
        .values(status="expired", updated_at=now)
    )
    db.session.refresh(need)
    record(mission, actor, "agree", None, "agreed", now)
    notify(
        parties(mission),
        "mission_agreed",
        str(_l("Mission %(ref)s agreed: %(title)s", ref=mission.ref, title=need.title)),
        link(mission),
        now,
    )
    return mission


def answer_proposal(
    user: User, proposal: Proposal, accept: bool, message: str | None, now: datetime
) -> Mission | None:
    """The SME manager or the expert accepts or declines; both accepting makes a mission."""
    need, offer = proposal.need, proposal.offer
    if user.role == Role.SME_MANAGER and need.organisation_id == user.organisation_id:
        side, other_side = "sme", "expert"
    elif (user.role == Role.VOLUNTEER and offer.expert_id == user.id) or (
        user.role == Role.GROUP_REFERENT and offer.organisation_id == user.organisation_id
    ):
        side, other_side = "expert", "sme"
    else:
        raise NotFound(_l("This proposal does not exist, or you cannot see it."))
    waiting_for_me = {"proposed", f"accepted_by_{other_side}"}
    if proposal.status not in waiting_for_me:
        raise InvalidTransition(_l("This proposal has already been answered."))
    if not accept:
        target = "declined"
    elif proposal.status == "proposed":
        target = f"accepted_by_{side}"
    else:
        target = "agreed"
    done = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == proposal.status)
        .values(
            status=target,
            updated_at=now,
            **{f"{side}_message": (message or "").strip()[:2000] or None},
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("This proposal has already been answered."))
    db.session.refresh(proposal)
    if target == "agreed":
        return create_mission(need, offer, user, now, proposal)
    other = [offer.expert] if side == "sme" else sme_managers(need.organisation_id)
    names = {"who": user.name, "need": need.title, "offer": offer.title}
    message = (
        _l("%(who)s accepted the pairing “%(need)s” / “%(offer)s”", **names)
        if accept
        else _l("%(who)s declined the pairing “%(need)s” / “%(offer)s”", **names)
    )
    notify(other, "proposal_answered", str(message), "/proposals", now)
    return None


def pair_by_hand(actor: User, need: Need, offer: Offer, now: datetime) -> Mission:
    """A coordinator pairs a need and an offer without going through a proposal."""
    if actor.role not in (Role.COORDINATOR, Role.ADMIN):
        raise NotAllowed(_l("Only a coordinator can pair by hand."))
    if actor.role == Role.COORDINATOR and (
        need.organisation.territory_id not in coordinator_territory_ids(actor)
    ):
        raise NotAllowed(_l("This need is outside your conventions."))
    return create_mission(need, offer, actor, now)


# ------------------------------------------------------------------ the quota

_CONVENTION_ROOM = (
    Convention.days_reserved + Convention.days_delivered
    <= Convention.skill_days_quota + Convention.days_overridden
)
_GROUP_ROOM = (
    ConventionGroup.days_reserved + ConventionGroup.days_delivered
    <= ConventionGroup.committed_days + ConventionGroup.days_overridden
)


def _reserve_offer(offer_id: int, days: float) -> None:
    # The expert's days are never overridden: the offer's own CHECK backs this up.
    done = db.session.execute(
        update(Offer)
        .where(
            Offer.id == offer_id, Offer.days_reserved + Offer.days_delivered + days <= Offer.days
        )
        .values(days_reserved=Offer.days_reserved + days)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise CapacityExceeded(
            _l("The expert does not have %(days)s days left on this offer.", days=f"{days:g}")
        )


def _reserve_counter(model, key_filter, room_limit, days: float, override: bool) -> float:
    """Add days to a convention's or a group's reservation; returns the days overridden.

    Without an override, a conditional UPDATE: it only applies if the days fit, so two
    approvals at once cannot both take the last days. With an override, the row is
    locked and the excess is recorded as overridden (the CHECK stays true).
    """
    if not override:
        done = db.session.execute(
            update(model)
            .where(
                key_filter,
                model.days_reserved + model.days_delivered + days
                <= room_limit + model.days_overridden,
            )
            .values(days_reserved=model.days_reserved + days)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise QuotaExceeded("")
        return 0.0
    row = db.session.scalars(select(model).where(key_filter).with_for_update()).one()
    db.session.refresh(row)
    limit = getattr(row, "skill_days_quota", None)
    limit = row.committed_days if limit is None else limit
    excess = max(0.0, row.days_reserved + row.days_delivered + days - limit - row.days_overridden)
    db.session.execute(
        update(model)
        .where(model.id == row.id)
        .values(
            days_reserved=model.days_reserved + days,
            days_overridden=model.days_overridden + excess,
        )
        .execution_options(synchronize_session=False)
    )
    return excess


def _release(mission: Mission, days: float) -> None:
    """Give back reserved days, overridden ones first (the mission's counters follow)."""
    if days <= 0:
        return
    quota_back = min(mission.override_days, days)
    group_back = min(mission.override_group_days, days)
    db.session.execute(
        update(Offer)
        .where(Offer.id == mission.offer_id)
        .values(days_reserved=Offer.days_reserved - days)
        .execution_options(synchronize_session=False)
    )
    if mission.convention_id is not None:
        db.session.execute(
            update(Convention)
            .where(Convention.id == mission.convention_id)
            .values(
                days_reserved=Convention.days_reserved - days,
                days_overridden=Convention.days_overridden - quota_back,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(ConventionGroup)
            .where(
                ConventionGroup.convention_id == mission.convention_id,
                ConventionGroup.organisation_id == mission.group_id,
            )
            .values(
                days_reserved=ConventionGroup.days_reserved - days,
                days_overridden=ConventionGroup.days_overridden - group_back,
            )
            .execution_options(synchronize_session=False)
        )
    mission.approved_days -= days
    mission.override_days -= quota_back
    mission.override_group_days -= group_back


def _reserve(mission: Mission, days: float, override_reason: str | None) -> None:
    """Reserve days on the offer, the convention and the group (the mission's counters follow)."""
    if mission.convention_id is None:
        raise QuotaExceeded(
            _l(
                "No active convention covers this SME and this group: "
                "the mission cannot be approved."
            )
        )
    _reserve_offer(mission.offer_id, days)
    override = bool(override_reason and override_reason.strip())
    group_key = and_(
        ConventionGroup.convention_id == mission.convention_id,
        ConventionGroup.organisation_id == mission.group_id,
    )
    try:
        over_quota = _reserve_counter(
            Convention,
            Convention.id == mission.convention_id,
            Convention.skill_days_quota,
            days,
            override,
        )
    except QuotaExceeded:
        raise QuotaExceeded(
            _l(
                "Approving %(days)s days would pass the convention's quota. Record an override "
                "with a reason if the committee decided so.",
                days=f"{days:g}",
            )
        ) from None
    try:
        over_group = _reserve_counter(
            ConventionGroup, group_key, ConventionGroup.committed_days, days, override
        )
    except QuotaExceeded:
        raise QuotaExceeded(
            _l(
                "Approving %(days)s days would pass the days the group committed. Record an "
                "override with a reason if the committee decided so.",
                days=f"{days:g}",
            )
        ) from None
    mission.approved_days += days
    mission.override_days += over_quota
    mission.override_group_days += over_group


# ------------------------------------------------------------------ decisions


def approve(
    actor: User, mission: Mission, now: datetime, override_reason: str | None = None
) -> None:
    """The approval committee says yes: the mission's days are reserved."""
    check(actor, mission, "approve")
    _reserve(mission, mission.days, override_reason)
    overridden = max(mission.override_days, mission.override_group_days)
    reason = None
    if overridden:
        reason = str(
            _l(
                "Override of %(days)s days beyond the quota: %(why)s",
                days=f"{overridden:g}",
                why=override_reason.strip(),
            )
        )
    _move(mission, "approve", actor, now, reason)
    notify(
        parties(mission),
        "mission_approved",
        str(
            _l(
                "Mission %(ref)s approved (%(days)s days)",
                ref=mission.ref,
                days=f"{mission.days:g}",
            )
        ),
        link(mission),
        now,
    )


def refuse(actor: User, mission: Mission, reason: str, now: datetime) -> None:
    check(actor, mission, "refuse")
    if not (reason or "").strip():
        raise BadSession(_l("Give the reason of the refusal."))
    _move(mission, "refuse", actor, now, reason.strip())
    _reopen_need(mission, now)
    notify(
        parties(mission),
        "mission_refused",
        str(_l("Mission %(ref)s refused: %(why)s", ref=mission.ref, why=reason.strip())),
        link(mission),
        now,
    )


def cancel(actor: User, mission: Mission, reason: str | None, now: datetime) -> None:
    """Cancel a mission; what it reserved and has not delivered goes back."""
    check(actor, mission, "cancel")
    if "coordinator" not in capacities(actor, mission) and any(
        s.status in ("delivered", "confirmed", "disputed") for s in mission.sessions
    ):
        raise InvalidTransition(_l("Days were already delivered: ask the coordinator."))
    if mission.status in RESERVING:
        _release(mission, mission.approved_days - mission.days_logged)
    _move(mission, "cancel", actor, now, (reason or "").strip() or None)
    db.session.execute(
        update(MissionSession)
        .where(MissionSession.mission_id == mission.id, MissionSession.status == "planned")
        .values(status="cancelled")
    )
    _reopen_need(mission, now)
    notify(
        parties(mission),
        "mission_cancelled",
        str(_l("Mission %(ref)s cancelled", ref=mission.ref)),
        link(mission),
        now,
    )


def _reopen_need(mission: Mission, now: datetime) -> None:
    db.session.execute(
        update(Need)
        .where(Need.id == mission.need_id, Need.status == "matched")
        .values(status="open", updated_at=now)
    )


def extend(actor: User, mission: Mission, days: float, reason: str | None, now: datetime) -> None:
    """The coordinator approves more days for a mission already approved."""
    caps = capacities(actor, mission)
    if "coordinator" not in caps:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if mission.status not in RESERVING:
        raise InvalidTransition(_l("Only an approved mission can be extended."))
    if days <= 0 or not float(days * 2).is_integer():
        raise BadSession(_l("Extend by half days: 0.5, 1, 1.5…"))
    _reserve(mission, days, reason)
    record(
        mission,
        actor,
        "extend",
        mission.status,
        mission.status,
        now,
        (reason or "").strip() or str(_l("%(days)s more days", days=f"{days:g}")),
    )


def mark_delivered(actor: User, mission: Mission, now: datetime) -> None:
    """All sessions are settled: the mission is delivered; unused days go back."""
    check(actor, mission, "deliver")
    pending = [s for s in mission.sessions if s.status in ("planned", "delivered", "disputed")]
    if pending:
        raise InvalidTransition(_l("Some sessions are still to be held or confirmed."))
    if not any(s.status == "confirmed" for s in mission.sessions):
        raise InvalidTransition(_l("No session was confirmed: cancel the mission instead."))
    _release(mission, mission.approved_days - mission.confirmed_days)
    _move(mission, "deliver", actor, now)


def close(actor: User, mission: Mission, now: datetime) -> None:
    check(actor, mission, "close")
    _move(mission, "close", actor, now)


# ------------------------------------------------------------------ sessions


def _session_rules(
    mission: Mission, held_on: date, days: float, today: date, ignore: MissionSession | None = None
) -> None:
    if days not in (0.5, 1):
        raise BadSession(_l("A session is a half day (0.5) or a full day (1)."))
    if not mission.starts_on <= held_on <= mission.ends_on:
        raise BadSession(
            _l(
                "The date must be between %(start)s and %(end)s.",
                start=mission.starts_on.isoformat(),
                end=mission.ends_on.isoformat(),
            )
        )
    if held_on < today:
        raise BadSession(_l("A session cannot be planned in the past."))
    planned = sum(
        s.days
        for s in mission.sessions
        if s is not ignore and s.status not in ("cancelled", "not_held")
    )
    if planned + days > mission.approved_days:
        raise BadSession(
            _l(
                "Planning %(days)s more days would pass the %(approved)s days approved; ask the "
                "coordinator to extend the approval.",
                days=f"{days:g}",
                approved=f"{mission.approved_days:g}",
            )
        )


def plan_session(
    actor: User,
    mission: Mission,
    held_on: date,
    days: float,
    is_remote: bool,
    place: str | None,
    today: date,
    now: datetime,
) -> MissionSession:
    caps = capacities(actor, mission)
    if not caps & {"sme", "expert", "coordinator"}:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if mission.status not in RESERVING:
        raise InvalidTransition(_l("Sessions are planned once the mission is approved."))
    _session_rules(mission, held_on, days, today)
    session = MissionSession(
        mission_id=mission.id,
        held_on=held_on,
        days=days,
        is_remote=is_remote,
        place=(place or "").strip()[:200] or None,
        status="planned",
        created_at=now,
    )
    db.session.add(session)
    db.session.flush()
    db.session.refresh(mission)
    record(
        mission,
        actor,
        "session_planned",
        mission.status,
        mission.status,
        now,
        f"{held_on.isoformat()} ({days:g} j)",
    )
    if mission.status == "approved":
        _move(mission, "start", actor, now)
    notify(
        parties(mission),
        "session_planned",
        str(
            _l(
                "Session of %(date)s planned for mission %(ref)s",
                date=held_on.isoformat(),
                ref=mission.ref,
            )
        ),
        link(mission),
        now,
    )
    return session


def _own_session(mission: Mission, session_id: int) -> MissionSession:
    session = db.session.get(MissionSession, session_id)
    if session is None or session.mission_id != mission.id:
        raise NotFound(_l("This session does not exist."))
    return session


def _set_session(session: MissionSession, before: tuple[str, ...], **values) -> None:
    done = db.session.execute(
        update(MissionSession)
        .where(MissionSession.id == session.id, MissionSession.status.in_(before))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("This session changed meanwhile; reload the page."))
    db.session.refresh(session)


def move_session(
    actor: User,
    mission: Mission,
    session_id: int,
    held_on: date,
    days: float,
    today: date,
    now: datetime,
) -> None:
    session = _own_session(mission, session_id)
    if not capacities(actor, mission) & {"sme", "expert", "coordinator"}:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if session.status != "planned" or session.held_on <= today:
        raise InvalidTransition(_l("Only a session still to come can be moved."))
    _session_rules(mission, held_on, days, today, ignore=session)
    old = session.held_on
    _set_session(session, ("planned",), held_on=held_on, days=days)
    record(
        mission,
        actor,
        "session_moved",
        mission.status,
        mission.status,
        now,
        f"{old.isoformat()} → {held_on.isoformat()}",
    )
    notify(
        parties(mission),
        "session_moved",
        str(
            _l(
                "Session of %(old)s moved to %(new)s (mission %(ref)s)",
                old=old.isoformat(),
                new=held_on.isoformat(),
                ref=mission.ref,
            )
        ),
        link(mission),
        now,
    )


def cancel_session(
    actor: User, mission: Mission, session_id: int, today: date, now: datetime
) -> None:
    session = _own_session(mission, session_id)
    if not capacities(actor, mission) & {"sme", "expert", "coordinator"}:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if session.status != "planned" or session.held_on <= today:
        raise InvalidTransition(_l("Only a session still to come can be cancelled."))
    _set_session(session, ("planned",), status="cancelled")
    record(
        mission,
        actor,
        "session_cancelled",
        mission.status,
        mission.status,
        now,
        session.held_on.isoformat(),
    )


def declare_session(
    actor: User, mission: Mission, session_id: int, held: bool, today: date, now: datetime
) -> None:
    """After the date, the volunteer says whether the session took place."""
    session = _own_session(mission, session_id)
    if "expert" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the expert declares a session."))
    if session.held_on > today:
        raise BadSession(_l("This session has not happened yet."))
    status = "delivered" if held else "not_held"
    _set_session(session, ("planned",), status=status, declared_at=now)
    record(
        mission,
        actor,
        "session_declared",
        mission.status,
        mission.status,
        now,
        f"{session.held_on.isoformat()}: {status}",
    )
    if held:
        managers = sme_managers(mission.need.organisation_id)
        notify(
            managers,
            "session_to_confirm",
            str(
                _l(
                    "Please confirm the session of %(date)s (mission %(ref)s)",
                    date=session.held_on.isoformat(),
                    ref=mission.ref,
                )
            ),
            link(mission),
            now,
        )


def confirm_session(
    actor: User, mission: Mission, session_id: int, agree: bool, reason: str | None, now: datetime
) -> None:
    """The SME manager confirms a delivered session, or disputes it (the coordinator decides)."""
    session = _own_session(mission, session_id)
    if "sme" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the SME manager confirms a session."))
    if agree:
        _set_session(session, ("delivered",), status="confirmed", confirmed_at=now)
    else:
        if not (reason or "").strip():
            raise BadSession(_l("Say what was wrong with this session."))
        _set_session(session, ("delivered",), status="disputed", dispute_reason=reason.strip())
        notify(
            mission.convention.coordinators if mission.convention else [],
            "session_disputed",
            str(
                _l(
                    "Session of %(date)s disputed on mission %(ref)s",
                    date=session.held_on.isoformat(),
                    ref=mission.ref,
                )
            ),
            link(mission),
            now,
        )
    record(
        mission,
        actor,
        "session_confirmed" if agree else "session_disputed",
        mission.status,
        mission.status,
        now,
        (reason or "").strip() or None,
    )


def resolve_dispute(
    actor: User, mission: Mission, session_id: int, held: bool, reason: str | None, now: datetime
) -> None:
    session = _own_session(mission, session_id)
    if "coordinator" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the coordinator settles a dispute."))
    status = "confirmed" if held else "not_held"
    _set_session(session, ("disputed",), status=status, confirmed_at=now if held else None)
    record(
        mission,
        actor,
        "dispute_settled",
        mission.status,
        mission.status,
        now,
        (reason or "").strip() or status,
    )


# ------------------------------------------------------------------ after the mission


def record_outcome(
    actor: User,
    mission: Mission,
    rating: int,
    comment: str | None,
    jobs_created: int,
    jobs_preserved: int,
    outcome_on: date,
    now: datetime,
) -> None:
    if "sme" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the SME manager rates the help received."))
    if mission.status not in ("delivered", "closed"):
        raise InvalidTransition(_l("The outcome is recorded once the mission is delivered."))
    mission.rating, mission.rating_comment = rating, (comment or "").strip() or None
    mission.jobs_created, mission.jobs_preserved = jobs_created, jobs_preserved
    mission.outcome_on = outcome_on
    mission.updated_at = now
    record(
        mission,
        actor,
        "outcome",
        mission.status,
        mission.status,
        now,
        f"{rating}/5, +{jobs_created} / ={jobs_preserved}",
    )


def leave_note(actor: User, mission: Mission, note: str, now: datetime) -> None:
    if "expert" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the expert leaves a note here."))
    mission.volunteer_note = note.strip()[:4000] or None
    mission.updated_at = now
    record(mission, actor, "note", mission.status, mission.status, now)
