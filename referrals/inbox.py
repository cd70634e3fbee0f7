"""The center's inbox of referred cases: the list, each case whole, and its steps.

Owners, administrators and case managers (as for inquiries) read every case and move it
along: acknowledge, accept or decline, assign a mediator after the conflict-of-interest
check, schedule, record the outcome, close. The center's mediators read the cases
assigned to them, and take no step. Viewers have no access (403): a case holds the
parties' names and contacts and the dispute itself, which the center keeps to those who
work on it. Another center's case, a missing one, and for a mediator a case that is not
theirs, are all 404. Opening a case is a read of its confidential fields, kept in the
center's audit log (cases.read_case).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from core.access import access, bind_workspace_slug
from core.credentials.profiles import profile_of_user
from core.db import db
from core.forms import ButtonForm, StrictForm
from referrals import cases, lifecycle, views_of
from referrals.forms import (
    AssignForm,
    DeclineForm,
    OutcomeForm,
    ReferralFilterForm,
    ScheduleForm,
    page_helpers,
    status_label,
)
from referrals.lifecycle import InvalidTransition
from referrals.models import Referral, ReferralStatus
from tenants.models import AffiliationStatus
from tenants.services import affiliations
from tenants.services.rules import FieldError, NotFound

bp = Blueprint("inbox", __name__, url_prefix="/c/<slug>/referrals", template_folder="templates")
HANDLERS = ("owner", "admin", "case_manager")
READERS = (*HANDLERS, "mediator")
Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "tenant", "slug")


def _zone() -> str:
    workspace = g.get("workspace")
    return getattr(getattr(workspace, "obj", None), "timezone", None) or "Europe/Paris"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    workspace = g.get("workspace")
    return {
        **page_helpers(_zone()),
        "can_handle": workspace is not None and workspace.role in HANDLERS,
        "partner_name": lambda referral: views_of.referral_partner(referral).name,
        "mediator_name": cases.public_mediator_name,
    }


@bp.app_context_processor
def _nav_badge() -> dict[str, Any]:
    def new_referrals() -> int:
        """The center's cases just received, for the navigation bar (0 outside a center)."""
        workspace = g.get("workspace")
        if workspace is None or workspace.kind != "tenant" or workspace.role not in HANDLERS:
            return 0
        try:
            return cases.status_counts()[ReferralStatus.SUBMITTED.value]
        except SQLAlchemyError:  # an error page after a failed transaction: no badge
            return 0

    return {"new_referrals": new_referrals}


def _actor() -> cases.Actor:
    return cases.Actor("center", current_user.id)


def _is_mediator() -> bool:
    return g.workspace.role == "mediator"


def _my_profile_id() -> uuid.UUID | None:
    profile = profile_of_user(current_user.id)
    return profile.id if profile is not None else None


def _case(referral_id: uuid.UUID) -> Referral:
    """The case, if this member may read it (a mediator, only a case assigned to them)."""
    referral = cases.get(referral_id)
    if _is_mediator():
        mine = _my_profile_id()
        if mine is None or referral.mediator_profile_id != mine:
            raise NotFound(str(_l("No such referral.")))
    return referral


# --- the list ----------------------------------------------------------------------------


@bp.get("")
@access("tenant", roles=READERS)
def index() -> Page:
    form = ReferralFilterForm(request.args)
    if not form.validate():
        return render_template("referrals/inbox/index.html", form=form, listed=None), 422
    status = ReferralStatus(form.status.data) if form.status.data else None
    page = form.page.data or 1
    if not _is_mediator():
        listed = cases.listing(status, page)
    elif (mine := _my_profile_id()) is not None:
        listed = cases.listing(status, page, assigned_to=mine)
    else:  # a mediator without a profile has no case assigned
        listed = cases.Listing([], 1, 1, {s.value: 0 for s in ReferralStatus})
    return render_template("referrals/inbox/index.html", form=form, listed=listed, status=status)


# --- one case ----------------------------------------------------------------------------


def _mediators() -> list[tuple[str, str]]:
    """The center's active mediators, by name: those a case may be assigned to."""
    current, _ended = affiliations.center_affiliations()
    return [
        (str(a.profile_id), a.profile.display_name)
        for a in current
        if a.status == AffiliationStatus.ACTIVE
    ]


def _step_form(step: str, referral: Referral) -> StrictForm:
    """A blank form of a step the case may take now, filled with its current values."""
    if step == "decline":
        return DeclineForm(formdata=None)
    if step == "assign":
        current = str(referral.mediator_profile_id or "")
        return AssignForm(formdata=None, data={"mediator_id": current}, mediators=_mediators())
    if step == "schedule":
        form = ScheduleForm(formdata=None, zone=_zone())
        if referral.scheduled_at is not None:
            form.scheduled_at.data = referral.scheduled_at.astimezone(form.zone).replace(
                tzinfo=None
            )
        return form
    if step == "record_outcome":
        return OutcomeForm(formdata=None)
    return ButtonForm(formdata=None)  # acknowledge, accept, close


def _render_case(
    referral: Referral,
    forms: dict[str, StrictForm] | None = None,
    status: int = 200,
    *,
    problem: str | None = None,
    conflict: str | None = None,
) -> Page:
    case = views_of.case(referral, "center")
    steps = case["next_steps"] if g.workspace.role in HANDLERS else []
    shown = {step: _step_form(step, referral) for step in steps}
    shown.update({k: v for k, v in (forms or {}).items() if k in shown})
    page = render_template(
        "referrals/inbox/show.html",
        case=case,
        events=[views_of.event(e) for e in cases.timeline(referral.id)],
        steps=steps,
        forms=shown,
        problem=problem,
        conflict=conflict,
        preferred=cases.public_mediator_name(referral.preferred_profile_id),
    )
    return page, status


@bp.get("/<uuid:referral_id>")
@access("tenant", roles=READERS)
def show(referral_id: uuid.UUID) -> Page:
    _case(referral_id)  # not found (or not theirs) before the audited read
    referral = cases.read_case(referral_id, _actor())
    db.session.commit()
    return _render_case(referral)


# --- the steps ---------------------------------------------------------------------------


def _moved_on(referral_id: uuid.UUID) -> Page:
    """The case changed since the page was opened: where it stands now, and why (409)."""
    db.session.rollback()
    referral = cases.get(referral_id)
    problem = _(
        "This step is not available for a case in the status “%(status)s”. "
        "The page shows where the case stands now.",
        status=status_label(referral.status),
    )
    return _render_case(referral, status=409, problem=problem)


def _done(referral_id: uuid.UUID, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("inbox.show", referral_id=referral_id), code=303)


def _take(
    referral_id: uuid.UUID,
    step: str,
    form: StrictForm,
    run: Callable[[StrictForm], Any],
    message: str,
) -> Page:
    """Validate a step's form and take the step; a refusal is shown on the case's page
    (the case is read again without a second audit entry: its reader opened it)."""
    referral = cases.get(referral_id)  # another center's case: 404 before its form
    if referral.status not in lifecycle.STEPS[step].sources:
        return _moved_on(referral_id)
    if not form.validate():
        return _render_case(referral, {step: form}, 422)
    try:
        run(form)
    except FieldError as refused:
        db.session.rollback()
        field = form._fields.get(refused.field or "")
        if field is None:
            form.form_errors.append(refused.message)
        else:
            field.errors = [*field.errors, refused.message]
        return _render_case(cases.get(referral_id), {step: form}, 422)
    except InvalidTransition:
        return _moved_on(referral_id)
    return _done(referral_id, message)


@bp.post("/<uuid:referral_id>/acknowledge")
@access("tenant", roles=HANDLERS)
def acknowledge(referral_id: uuid.UUID) -> Page:
    return _take(
        referral_id,
        "acknowledge",
        ButtonForm(),
        lambda _form: cases.acknowledge(referral_id, _actor()),
        _("Receipt acknowledged: the partner sees it."),
    )


@bp.post("/<uuid:referral_id>/accept")
@access("tenant", roles=HANDLERS)
def accept(referral_id: uuid.UUID) -> Page:
    return _take(
        referral_id,
        "accept",
        ButtonForm(),
        lambda _form: cases.accept(referral_id, _actor()),
        _("The case is accepted. Assign a mediator next."),
    )


@bp.post("/<uuid:referral_id>/decline")
@access("tenant", roles=HANDLERS)
def decline(referral_id: uuid.UUID) -> Page:
    return _take(
        referral_id,
        "decline",
        DeclineForm(),
        lambda form: cases.decline(referral_id, form.reason.data or "", _actor()),
        _("The case is declined. The partner reads your reason."),
    )


@bp.post("/<uuid:referral_id>/assign")
@access("tenant", roles=HANDLERS)
def assign(referral_id: uuid.UUID) -> Page:
    referral = cases.get(referral_id)  # another center's case: 404 before its form
    if referral.status not in lifecycle.STEPS["assign"].sources:
        return _moved_on(referral_id)
    form = AssignForm(mediators=_mediators())
    if not form.validate():
        return _render_case(referral, {"assign": form}, 422)
    reason = form.override_reason.data or None
    try:
        cases.assign(
            referral_id, uuid.UUID(form.mediator_id.data), _actor(), override_reason=reason
        )
    except cases.ConflictOfInterest as conflict:
        db.session.rollback()
        if reason:  # given, but too short to override
            form.override_reason.errors = [
                _("Give a reason of at least %(min)d characters.", min=cases.MIN_OVERRIDE_REASON)
            ]
        referral = cases.get(referral_id)
        return _render_case(referral, {"assign": form}, 409, conflict=conflict.message)
    except FieldError as refused:
        db.session.rollback()
        form.mediator_id.errors = [*form.mediator_id.errors, refused.message]
        return _render_case(cases.get(referral_id), {"assign": form}, 422)
    except InvalidTransition:
        return _moved_on(referral_id)
    name = cases.public_mediator_name(uuid.UUID(form.mediator_id.data))
    return _done(referral_id, _("The case is assigned to %(name)s.", name=name))


@bp.post("/<uuid:referral_id>/schedule")
@access("tenant", roles=HANDLERS)
def schedule(referral_id: uuid.UUID) -> Page:
    return _take(
        referral_id,
        "schedule",
        ScheduleForm(zone=_zone()),
        lambda form: cases.schedule(referral_id, form.scheduled_at_in_zone(), _actor()),
        _("The first session is scheduled."),
    )


@bp.post("/<uuid:referral_id>/outcome")
@access("tenant", roles=HANDLERS)
def outcome(referral_id: uuid.UUID) -> Page:
    return _take(
        referral_id,
        "record_outcome",
        OutcomeForm(),
        lambda form: cases.record_outcome(referral_id, form.outcome.data or "", _actor()),
        _("The outcome is recorded."),
    )


@bp.post("/<uuid:referral_id>/close")
@access("tenant", roles=HANDLERS)
def close(referral_id: uuid.UUID) -> Page:
    return _take(
        referral_id,
        "close",
        ButtonForm(),
        lambda _form: cases.close(referral_id, _actor()),
        _("The case is closed."),
    )
