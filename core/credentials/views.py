"""The mediator's own pages: "My profile" and "My training and certifications".

Every route is `own`: it reaches only the signed-in person's profile, and a record or a
certification of anyone else answers 404, like one that does not exist. Views parse a
form, read the upload through core.files (checked from its bytes before anything is
written), call one service and commit with `commit_with_files`, so that a failed commit
leaves no stored file behind and a replaced or deleted file goes only once committed.
A form that comes back is invalid: HTTP 422, each message on its field.

Nothing of a center's side (its affiliation, rate, internal notes) is read here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from wtforms import Field

from core.access import access
from core.accounts.models import User
from core.clock import now
from core.credentials import certifications, profiles, records
from core.credentials.compliance import Status
from core.credentials.compliance.wording import describe
from core.credentials.forms import (
    KIND_LABELS,
    MODE_LABELS,
    REGISTRATION_LABELS,
    SPECIALTY_LABELS,
    STAGE_LABELS,
    CertificationForm,
    ProfileForm,
    RecordForm,
)
from core.credentials.models import Certification, MediatorProfile
from core.credentials.regions import language_name, region_name
from core.credentials.standing import standing
from core.db import db
from core.files.checks import CheckedFile, UploadRefused
from core.files.storage import storage
from core.files.uploads import (
    accepts_upload,
    commit_with_files,
    evidence_response,
    read_evidence,
    read_photo,
)
from core.forms import ButtonForm

bp = Blueprint("credentials", __name__, template_folder="templates")

# The signed credential's export, when its blueprint is registered.
EXPORT_ENDPOINT = "credentials_public.export"

STATUS_LABELS: dict[Status, Any] = {
    Status.COMPLIANT: _l("Compliant"),
    Status.EXPIRING: _l("Expiring soon"),
    Status.UNVERIFIED: _l("Awaiting verification"),
    Status.UNKNOWN_RULE: _l("Rule not known"),
    Status.HOURS_SHORT: _l("Hours short"),
    Status.EXPIRED: _l("Expired"),
    Status.REVOKED: _l("Revoked"),
}
STATUS_COLOURS: dict[Status, str] = {
    Status.COMPLIANT: "success",
    Status.EXPIRING: "warning",
    Status.UNVERIFIED: "info",
    Status.UNKNOWN_RULE: "secondary",
    Status.HOURS_SHORT: "danger",
    Status.EXPIRED: "danger",
    Status.REVOKED: "dark",
}
VERIFICATION_LABELS: dict[str, Any] = {
    "pending": _l("Awaiting verification"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
}
VERIFICATION_COLOURS = {"pending": "secondary", "verified": "success", "rejected": "danger"}

Page = str | tuple[str, int] | Response


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    locale = _locale()

    def day(value: date | None) -> str:
        return format_date(value, "medium", locale=locale) if value else ""

    def hours(value: Decimal | None) -> str:
        return format_decimal(value or 0, locale=locale)

    return {
        "day": day,
        "hours": hours,
        "kind_label": lambda kind: KIND_LABELS.get(str(kind), str(kind)),
        "stage_label": lambda stage: STAGE_LABELS.get(str(stage), str(stage)),
        "verification_label": lambda status: VERIFICATION_LABELS[str(status)],
        "verification_colour": lambda status: VERIFICATION_COLOURS[str(status)],
        "specialty_label": lambda value: SPECIALTY_LABELS.get(value, value),
        "mode_label": lambda value: MODE_LABELS.get(value, value),
        "registration_label": lambda value: REGISTRATION_LABELS.get(value, value),
        "region_name": lambda code: region_name(code, locale),
        "language_name": lambda code: language_name(code, locale),
    }


# --- helpers --------------------------------------------------------------------------


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    """Whether the signed-in person keeps a mediator file: the navigation bar then leads
    to it directly; everyone else finds it in their own menu."""

    def keeps_mediator_file() -> bool:
        if not current_user.is_authenticated:
            return False
        try:
            return _own_profile() is not None
        except SQLAlchemyError:  # an error page for a database that is gone
            return False

    return {"keeps_mediator_file": keeps_mediator_file}


def _own_profile() -> MediatorProfile | None:
    return profiles.profile_of_user(current_user.id)


def _profile_or_404() -> MediatorProfile:
    """The signed-in person's profile; without one, their records cannot exist: 404."""
    found = _own_profile()
    if found is None:
        abort(404)
    return found


def _see_other(endpoint: str, message: str, category: str = "success") -> Response:
    flash(message, category)
    return redirect(url_for(endpoint), code=303)


def _render(template: str, **context: Any) -> tuple[str, int]:
    """A page; a submitted form that comes back is invalid, hence 422."""
    return render_template(template, **context), 422 if request.method == "POST" else 200


def _upload(field: Field, reader: Any) -> tuple[CheckedFile | None, bool]:
    """The checked file of `field` (None if none was chosen) and whether it is
    acceptable; a refused one gets its reason on the field. Nothing is stored here."""
    try:
        return reader(request.files.get(field.name)), True
    except UploadRefused as refused:
        field.errors = [*field.errors, refused.message]
        return None, False


def _show_errors(form: Any, errors: dict[str, object]) -> None:
    """A service's field errors, on their fields (an unknown field's in the alert)."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _need_profile() -> Response:
    return _see_other(
        "credentials.profile",
        _("Create your mediator profile first: your training and certifications belong to it."),
        "info",
    )


# --- the profile ------------------------------------------------------------------------


@bp.route("/me/profile", methods=["GET", "POST"])
@access("own")
@accepts_upload
def profile() -> Page:
    mine = _own_profile()
    if request.method == "GET":
        values = ProfileForm.data_of(mine) if mine else {"display_name": current_user.name}
        return _render("credentials/profile.html", form=ProfileForm(data=values), profile=mine)
    form = ProfileForm()
    valid = form.validate()
    photo, readable = _upload(form.photo, read_photo)
    if valid and readable:
        try:
            if mine is None:
                mine = profiles.create_profile(form.profile_input(), user_id=current_user.id)
            else:
                profiles.update_profile(mine, form.profile_input())
        except profiles.ProfileInvalid as invalid:
            _show_errors(form, invalid.errors)
        else:
            stored, replaced = [], []
            if photo is not None:
                replaced.append(profiles.set_photo(mine, photo))
                stored.append(mine.photo_key)
            elif form.remove_photo.data:
                replaced.append(profiles.remove_photo(mine))
            commit_with_files(stored, replaced)
            return _see_other("credentials.profile", _("Your profile is saved."))
    return _render("credentials/profile.html", form=form, profile=mine)


@bp.get("/me/profile/photo")
@access("own")
def photo() -> Response:
    mine = _profile_or_404()
    if mine.photo_key is None:
        abort(404)
    response = Response(
        storage().get(mine.photo_key), mimetype=profiles.photo_content_type(mine.photo_key)
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- training and certifications ------------------------------------------------------


@dataclass(frozen=True)
class Compliance:
    """A certification's standing today, in the page's language."""

    status: Status
    label: str
    colour: str
    sentences: list[str]
    valid_until: date | None


def _compliance(certification: Certification, today: date, locale: str) -> Compliance:
    assessment = standing(certification, today)
    return Compliance(
        status=assessment.status,
        label=str(STATUS_LABELS[assessment.status]),
        colour=STATUS_COLOURS[assessment.status],
        sentences=[describe(issue, locale) for issue in assessment.issues],
        valid_until=assessment.valid_until,
    )


def _names(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Who verified what: the people's names (the only thing shown of them)."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


@bp.get("/me/training")
@access("own")
def training() -> Page:
    mine = _own_profile()
    if mine is None:
        return _render("credentials/training.html", profile=None)
    held = certifications.certifications_of(mine.id)
    kept = records.records_of(mine.id)
    today, locale = now().date(), _locale()
    return _render(
        "credentials/training.html",
        profile=mine,
        records=kept,
        certifications=held,
        compliance={c.id: _compliance(c, today, locale) for c in held},
        verifiers=_names({row.verified_by_id for row in [*kept, *held] if row.verified_by_id}),
        can_export=EXPORT_ENDPOINT in current_app.view_functions,
        export_endpoint=EXPORT_ENDPOINT,
    )


# --- training records -------------------------------------------------------------------


@bp.route("/me/training/records/new", methods=["GET", "POST"])
@access("own")
@accepts_upload
def new_record() -> Page:
    mine = _own_profile()
    if mine is None:
        return _need_profile()
    form = RecordForm()
    if form.is_submitted():
        valid = form.validate()
        evidence, readable = _upload(form.evidence, read_evidence)
        if valid and readable:
            try:
                record = records.add_record(mine, form.record_input(), evidence)
            except records.RecordInvalid as invalid:
                _show_errors(form, invalid.errors)
            else:
                commit_with_files([record.evidence_key])
                return _see_other("credentials.training", _("The training record is added."))
    return _render("credentials/record_form.html", form=form, record=None)


@bp.route("/me/training/records/<uuid:record_id>/edit", methods=["GET", "POST"])
@access("own")
@accepts_upload
def edit_record(record_id: uuid.UUID) -> Page:
    record = records.record_of(_profile_or_404().id, record_id)
    if request.method != "POST":
        return _render("credentials/record_form.html", form=RecordForm(obj=record), record=record)
    form = RecordForm()
    valid = form.validate()
    evidence, readable = _upload(form.evidence, read_evidence)
    if valid and readable:
        try:
            replaced = records.update_record(record, form.record_input(), evidence)
        except records.RecordInvalid as invalid:
            _show_errors(form, invalid.errors)
        else:
            commit_with_files([record.evidence_key if evidence else None], [replaced])
            return _see_other("credentials.training", _("The training record is saved."))
    return _render("credentials/record_form.html", form=form, record=record)


@bp.route("/me/training/records/<uuid:record_id>/delete", methods=["GET", "POST"])
@access("own")
def delete_record(record_id: uuid.UUID) -> Page:
    record = records.record_of(_profile_or_404().id, record_id)
    form = ButtonForm()
    if form.validate_on_submit():
        commit_with_files([], [records.delete_record(record)])
        return _see_other("credentials.training", _("The training record is deleted."))
    return _render("credentials/record_delete.html", form=form, record=record)


@bp.get("/me/training/records/<uuid:record_id>/evidence")
@access("own")
def record_evidence(record_id: uuid.UUID) -> Response:
    record = records.record_of(_profile_or_404().id, record_id)
    if not record.has_evidence:
        abort(404)
    return evidence_response(record)


# --- certifications ---------------------------------------------------------------------


@bp.route("/me/training/certifications/new", methods=["GET", "POST"])
@access("own")
@accepts_upload
def new_certification() -> Page:
    mine = _own_profile()
    if mine is None:
        return _need_profile()
    form = CertificationForm()
    if form.is_submitted():
        valid = form.validate()
        evidence, readable = _upload(form.evidence, read_evidence)
        if valid and readable:
            try:
                held = certifications.add_certification(mine, form.certification_input(), evidence)
            except certifications.CertificationInvalid as invalid:
                _show_errors(form, invalid.errors)
            else:
                commit_with_files([held.evidence_key])
                return _see_other("credentials.training", _("The certification is added."))
    return _render("credentials/certification_form.html", form=form, certification=None)


@bp.route("/me/training/certifications/<uuid:certification_id>/edit", methods=["GET", "POST"])
@access("own")
@accepts_upload
def edit_certification(certification_id: uuid.UUID) -> Page:
    held = certifications.certification_of(_profile_or_404().id, certification_id)
    if held.is_revoked:
        return _see_other(
            "credentials.training", _("A revoked certification is kept as is."), "warning"
        )
    # A scheme retired from the catalogue stays the choice of the certifications using it.
    schemes = certifications.active_schemes()
    if held.scheme not in schemes:
        schemes.append(held.scheme)
    if request.method != "POST":
        form = CertificationForm(obj=held, data={"scheme_code": held.scheme.code}, schemes=schemes)
        return _render("credentials/certification_form.html", form=form, certification=held)
    form = CertificationForm(schemes=schemes)
    valid = form.validate()
    evidence, readable = _upload(form.evidence, read_evidence)
    if valid and readable:
        try:
            replaced = certifications.update_certification(
                held, form.certification_input(), evidence
            )
        except certifications.CertificationInvalid as invalid:
            _show_errors(form, invalid.errors)
        else:
            commit_with_files([held.evidence_key if evidence else None], [replaced])
            return _see_other("credentials.training", _("The certification is saved."))
    return _render("credentials/certification_form.html", form=form, certification=held)


@bp.get("/me/training/certifications/<uuid:certification_id>/evidence")
@access("own")
def certification_evidence(certification_id: uuid.UUID) -> Response:
    held = certifications.certification_of(_profile_or_404().id, certification_id)
    if not held.has_evidence:
        abort(404)
    return evidence_response(held)
