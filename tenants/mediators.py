"""The center's mediator pages: its mediators and their affiliations, each mediator's
file (read-only) with its compliance, the verification queue and the compliance
dashboard with its CSV export.

Owners, administrators and case managers read; owners and administrators change an
affiliation, add a mediator, verify, and download evidence (the mediator's documents go
only to the mediator and their centers' administrators). A mediator's file is reached
only through the center's own affiliation (tenants.services.mediator_files): another
center's mediator, an ended affiliation or an invitation not yet accepted is a 404. The
affiliation's rate and internal notes appear on these pages only, never in an export.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.access import access, bind_workspace_slug
from core.accounts.models import User
from core.clock import now
from core.credentials.compliance import Status
from core.credentials.compliance.wording import describe
from core.credentials.forms import KIND_LABELS, STAGE_LABELS
from core.credentials.models import Certification
from core.credentials.profiles import ProfileInvalid
from core.credentials.standing import standing
from core.db import db
from core.tenancy import current_tenant_id
from tenants.mediator_forms import (
    AFFILIATION_LABELS,
    STATUS_COLOURS,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    AddMediatorForm,
    AffiliationForm,
    ClaimLinkForm,
)
from tenants.models import AffiliationStatus
from tenants.services import affiliations, compliance_board, mediator_claims, mediator_files
from tenants.services.compliance_board import NO_CERTIFICATION
from tenants.services.rules import FieldError

bp = Blueprint("mediators", __name__, url_prefix="/c/<slug>/mediators", template_folder="templates")
READERS = ("owner", "admin", "case_manager")
MANAGERS = ("owner", "admin")
Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "tenant", "slug")


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    locale = _locale()
    return {
        "day": lambda value: format_date(value, "medium", locale=locale) if value else "",
        "hours": lambda value: format_decimal(value or 0, locale=locale),
        "money": lambda value: format_decimal(value, "#,##0.00", locale=locale),
        "kind_label": lambda kind: KIND_LABELS.get(str(kind), str(kind)),
        "stage_label": lambda stage: STAGE_LABELS.get(str(stage), str(stage)),
        "status_label": lambda s: STATUS_LABELS[str(s) if s is not None else NO_CERTIFICATION],
        "status_colour": lambda s: STATUS_COLOURS[str(s) if s is not None else NO_CERTIFICATION],
        "affiliation_label": lambda s: AFFILIATION_LABELS[str(s)],
        "verification_label": lambda s: VERIFICATION_LABELS[str(s)],
        "can_manage": g.get("workspace") is not None and g.workspace.role in MANAGERS,
        "claim_days": mediator_claims.CLAIM_TTL.days,
    }


def _center() -> Any:
    return g.workspace.obj


def _managers_only() -> None:
    """The write half of a page that case managers may read."""
    if g.workspace.role not in MANAGERS:
        abort(403)


def _back(endpoint: str, message: str, category: str = "success", **values: Any) -> Response:
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


def _field_error(form: Any, name: str, message: Any) -> None:
    field = form._fields.get(name)
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message]


# --- the list, and adding a mediator ----------------------------------------------------


@dataclass(frozen=True)
class Listed:
    affiliation: Any
    open: bool  # the center reads the file (see mediator_files.file_is_open)
    status: Status | None = None
    certifications: int = 0
    pending: int = 0


def _listed() -> tuple[list[Listed], list[Any]]:
    current, ended = affiliations.center_affiliations()
    rows = compliance_board.board(now().date(), _locale())
    worst = compliance_board.worst_by_mediator(rows)
    held: dict[uuid.UUID, int] = {}
    for row in rows:
        held[row.profile_id] = held.get(row.profile_id, 0) + (row.certification is not None)
    pending: dict[uuid.UUID, int] = {}
    for item in affiliations.pending_verifications():
        pending[item.row.profile_id] = pending.get(item.row.profile_id, 0) + 1
    listed = []
    for affiliation in current:
        pid = affiliation.profile_id
        if mediator_files.file_is_open(affiliation):
            listed.append(
                Listed(affiliation, True, worst.get(pid), held.get(pid, 0), pending.get(pid, 0))
            )
        else:
            listed.append(Listed(affiliation, False))
    return listed, ended


def _render_index(form: AddMediatorForm, status: int = 200) -> Page:
    listed, ended = _listed()
    return render_template("mediators/index.html", listed=listed, ended=ended, form=form), status


@bp.route("", methods=["GET", "POST"])
@access("tenant", roles=READERS)
def index() -> Page:
    if request.method == "GET":
        return _render_index(AddMediatorForm(formdata=None))
    _managers_only()
    form = AddMediatorForm()
    if form.validate():
        try:
            affiliation = mediator_claims.create_mediator(
                _center(), current_user.name, form.profile_input(), form.email.data
            )
        except FieldError as error:
            db.session.rollback()
            _field_error(form, error.field, error.message)
        except ProfileInvalid as invalid:
            db.session.rollback()
            for name, message in invalid.errors.items():
                _field_error(form, name, message)
        else:
            profile = affiliation.profile
            if profile.is_claimed:
                message = _(
                    "%(name)s already has a profile: we emailed them a link to accept your "
                    "invitation.",
                    name=profile.display_name,
                )
            else:
                message = _(
                    "The profile of %(name)s is created: we emailed them a link to claim it.",
                    name=profile.display_name,
                )
            return _back("mediators.show", message, profile_id=profile.id)
    return _render_index(form, 422)


# --- one mediator ------------------------------------------------------------------------


@dataclass(frozen=True)
class Compliance:
    status: Status
    sentences: list[str]
    hours_due: Decimal
    valid_until: date | None


def _compliance(certification: Certification, on: date, locale: str) -> Compliance:
    assessment = standing(certification, on)
    return Compliance(
        assessment.status,
        [describe(issue, locale) for issue in assessment.issues],
        assessment.hours_due,
        assessment.valid_until,
    )


def _verifiers(rows: list[Any]) -> dict[uuid.UUID, str]:
    """Names of this center's members who verified: another center's people stay unnamed."""
    ids = {
        r.verified_by_id
        for r in rows
        if r.verified_by_id and r.verified_for_tenant_id == current_tenant_id()
    }
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _render_show(profile_id: uuid.UUID, status: int = 200, **forms: Any) -> Page:
    affiliation = mediator_files.affiliation_of(profile_id)
    statuses = affiliations.allowed_statuses(affiliation)
    forms.setdefault(
        "form",
        AffiliationForm(
            formdata=None, data=AffiliationForm.data_of(affiliation), statuses=statuses
        ),
    )
    context: dict[str, Any] = {"affiliation": affiliation, "profile": affiliation.profile}
    if not affiliation.profile.is_claimed:
        email = mediator_claims.last_claim_email(affiliation) or ""
        forms.setdefault("link_form", ClaimLinkForm(formdata=None, data={"email": email}))
    if mediator_files.file_is_open(affiliation):
        held = mediator_files.center_certifications(profile_id)
        kept = mediator_files.center_records(profile_id)
        on, locale = now().date(), _locale()
        context |= {
            "open": True,
            "certifications": held,
            "records": kept,
            "compliance": {c.id: _compliance(c, on, locale) for c in held},
            "verifiers": _verifiers([*held, *kept]),
            "reject_forms": forms.pop("reject_forms", {}),
        }
    return render_template("mediators/show.html", **context, **forms), status


@bp.route("/<uuid:profile_id>", methods=["GET", "POST"])
@access("tenant", roles=READERS)
def show(profile_id: uuid.UUID) -> Page:
    if request.method == "GET":
        return _render_show(profile_id)
    _managers_only()
    affiliation = mediator_files.affiliation_of(profile_id)
    form = AffiliationForm(statuses=affiliations.allowed_statuses(affiliation))
    if form.validate():
        try:
            affiliation, changed = affiliations.update_affiliation(profile_id, form.change())
        except FieldError as error:
            db.session.rollback()
            _field_error(form, error.field, error.message)
        else:
            name = affiliation.profile.display_name
            if not changed:
                return _back(
                    "mediators.show", _("Nothing to change."), "info", profile_id=profile_id
                )
            if affiliation.status == AffiliationStatus.ENDED:
                message = _(
                    "%(name)s no longer works with the center: their file is closed to it.",
                    name=name,
                )
                return _back("mediators.index", message)
            return _back("mediators.show", _("Affiliation saved."), profile_id=profile_id)
    return _render_show(profile_id, 422, form=form)


@bp.post("/<uuid:profile_id>/claim-link")
@access("tenant", roles=MANAGERS)
def send_claim_link(profile_id: uuid.UUID) -> Page:
    affiliation = mediator_files.affiliation_of(profile_id)
    if affiliation.profile.is_claimed:
        # Nothing to claim: the mediator has their account (and their own link, if invited).
        message = _(
            "%(name)s already has an account: there is no profile to claim.",
            name=affiliation.profile.display_name,
        )
        return _back("mediators.show", message, "info", profile_id=profile_id)
    form = ClaimLinkForm()
    if form.validate():
        try:
            email = mediator_claims.send_claim_link(
                _center(), current_user.name, profile_id, form.email.data
            )
        except FieldError as error:
            db.session.rollback()
            _field_error(form, error.field, error.message)
        else:
            message = _("A new link to claim the profile was sent to %(email)s.", email=email)
            return _back("mediators.show", message, profile_id=profile_id)
    return _render_show(profile_id, 422, link_form=form)


# The queue's and the dashboard's routes are of this blueprint, kept in their own
# modules; they must be added at import, before the blueprint is registered.
from tenants import mediator_compliance, mediator_verification  # noqa: E402, F401
