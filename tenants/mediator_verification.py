"""The center's verification of its mediators' files: evidence downloads, the queue of
pending records and certifications, and the Verify / Reject (with a reason) buttons.

Routes of the `mediators` blueprint, for owners and administrators: the documents and
the decisions are theirs. Everything is reached through the center's own affiliation
(tenants.services.mediator_files), so another center's mediator is a 404, and the item
is looked up before the form is read.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from core.access import access
from core.credentials.records import RecordInvalid
from core.db import db
from core.files.uploads import evidence_response
from tenants.forms import ConfirmForm
from tenants.mediator_forms import RejectForm
from tenants.mediators import MANAGERS, Page, _back, _field_error, _render_show, bp
from tenants.services import affiliations, mediator_files


@bp.get("/<uuid:profile_id>/records/<uuid:record_id>/evidence")
@access("tenant", roles=MANAGERS)
def record_evidence(profile_id: uuid.UUID, record_id: uuid.UUID) -> Response:
    record = mediator_files.center_record(profile_id, record_id)
    if not record.has_evidence:
        abort(404)
    return evidence_response(record)


@bp.get("/<uuid:profile_id>/certifications/<uuid:certification_id>/evidence")
@access("tenant", roles=MANAGERS)
def certification_evidence(profile_id: uuid.UUID, certification_id: uuid.UUID) -> Response:
    certification = mediator_files.center_certification(profile_id, certification_id)
    if not certification.has_evidence:
        abort(404)
    return evidence_response(certification)


def _after_decision(profile_id: uuid.UUID, message: str) -> Response:
    """Back to the page the decision was made on: the mediator's, or the queue."""
    if request.form.get("next") == "show":
        return _back("mediators.show", message, profile_id=profile_id)
    return _back("mediators.queue", message)


def _verify(kind: affiliations.Kind, profile_id: uuid.UUID, item_id: uuid.UUID) -> Page:
    if not ConfirmForm().validate():
        # The item exists (or this answers 404) before the form is looked at.
        (mediator_files.center_record if kind == "record" else mediator_files.center_certification)(
            profile_id, item_id
        )
        return _render_decision_page(
            profile_id, 422, error=_("This form could not be read. Please try again.")
        )
    affiliations.decide(kind, profile_id, item_id, actor_id=current_user.id, verified=True)
    return _after_decision(profile_id, _("Verified."))


def _reject(kind: affiliations.Kind, profile_id: uuid.UUID, item_id: uuid.UUID) -> Page:
    (mediator_files.center_record if kind == "record" else mediator_files.center_certification)(
        profile_id, item_id
    )
    form = RejectForm()
    if form.validate():
        try:
            affiliations.decide(
                kind,
                profile_id,
                item_id,
                actor_id=current_user.id,
                verified=False,
                reason=form.reason.data,
            )
        except RecordInvalid as invalid:
            db.session.rollback()
            for name, message in invalid.errors.items():
                _field_error(form, name, message)
        else:
            return _after_decision(profile_id, _("Rejected: the mediator sees the reason."))
    return _render_decision_page(profile_id, 422, reject_forms={item_id: form})


def _render_decision_page(profile_id: uuid.UUID, status: int, **context: Any) -> Page:
    if request.form.get("next") == "show":
        return _render_show(profile_id, status, **context)
    return _render_queue(status, **context)


@bp.post("/<uuid:profile_id>/records/<uuid:record_id>/verify")
@access("tenant", roles=MANAGERS)
def verify_record(profile_id: uuid.UUID, record_id: uuid.UUID) -> Page:
    return _verify("record", profile_id, record_id)


@bp.post("/<uuid:profile_id>/records/<uuid:record_id>/reject")
@access("tenant", roles=MANAGERS)
def reject_record(profile_id: uuid.UUID, record_id: uuid.UUID) -> Page:
    return _reject("record", profile_id, record_id)


@bp.post("/<uuid:profile_id>/certifications/<uuid:certification_id>/verify")
@access("tenant", roles=MANAGERS)
def verify_certification(profile_id: uuid.UUID, certification_id: uuid.UUID) -> Page:
    return _verify("certification", profile_id, certification_id)


@bp.post("/<uuid:profile_id>/certifications/<uuid:certification_id>/reject")
@access("tenant", roles=MANAGERS)
def reject_certification(profile_id: uuid.UUID, certification_id: uuid.UUID) -> Page:
    return _reject("certification", profile_id, certification_id)


def _render_queue(status: int = 200, **context: Any) -> Page:
    context.setdefault("reject_forms", {})
    items = affiliations.pending_verifications()
    return render_template("mediators/queue.html", items=items, **context), status


@bp.get("/verification")
@access("tenant", roles=MANAGERS)
def queue() -> Page:
    return _render_queue()
