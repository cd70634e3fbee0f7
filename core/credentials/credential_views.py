"""Signed credentials on the web: the mediator's export, the public verification page
and the status URL each credential names.

The verification page is a lookup: it writes nothing, and it is a POST only because a
credential (up to 16 KB) does not fit in a URL and may come as a file. A tampered
credential shows none of its claims, and neither does a revoked one: the platform no
longer vouches for what it says (a certification may be revoked because it should never
have been recorded, so its number or dates may be false).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from core.access import access
from core.credentials import signed
from core.credentials.issued import CannotExport, credential_status, export_credential
from core.credentials.signed import CredentialStatus, describe, verify_credential
from core.db import db
from core.errors import problem
from core.forms import StrictForm, strip

bp = Blueprint("credentials_public", __name__, template_folder="templates")

MEDIA_TYPE = f"application/{signed.MEDIA_TYPE}"  # application/vc+jwt
MAX_PASTED = 20_000  # characters: more than any credential we sign (16 KB at most)
MAX_FILE = 64 * 1024  # bytes
SHOWN = frozenset({CredentialStatus.VALID, CredentialStatus.EXPIRED})  # claims shown

STAGE_LABELS = {"provisional": _l("Provisional"), "definitive": _l("Definitive")}
VERIFICATION_LABELS = {
    "pending": _l("Not yet verified by a mediation center"),
    "verified": _l("Verified by a mediation center"),
    "rejected": _l("Rejected on verification"),
}
STATUS_TITLES = {
    CredentialStatus.VALID: _l("Valid"),
    CredentialStatus.EXPIRED: _l("Expired"),
    CredentialStatus.REVOKED: _l("Revoked"),
    CredentialStatus.TAMPERED: _l("Not recognised"),
}
STATUS_COLOURS = {
    CredentialStatus.VALID: "success",
    CredentialStatus.EXPIRED: "warning",
    CredentialStatus.REVOKED: "danger",
    CredentialStatus.TAMPERED: "danger",
}


# --- the mediator's export ---------------------------------------------------------------


@bp.get("/me/certifications/<uuid:certification_id>/credential")
@access("own")
def export(certification_id: uuid.UUID):
    """Download a freshly signed credential of one of the user's certifications."""
    try:
        exported = export_credential(current_user.id, certification_id)
    except CannotExport as exc:
        db.session.rollback()
        page = render_template(
            "credentials_public/cannot_export.html", message=exc.message, back=_back_url()
        )
        return page, 409
    db.session.commit()  # recorded before it is handed out: its status URL must answer
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", exported.scheme_code)
    response = Response(exported.token, mimetype=MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="credential-{filename}.jwt"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_url() -> str:
    # The mediator's "My training and certifications" page, once it exists.
    if "credentials.training" in current_app.view_functions:
        return url_for("credentials.training")
    return url_for("accounts.workspaces")


# --- the public verification page ------------------------------------------------------


class VerifyForm(StrictForm):
    credential = TextAreaField(
        _l("Credential"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_PASTED)],
        render_kw={"rows": 6, "spellcheck": "false", "autocomplete": "off"},
    )
    file = FileField(
        _l("Or its file"),
        validators=[Optional()],
        render_kw={"accept": ".jwt,application/vc+jwt,text/plain"},
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if not valid or not self.is_submitted():
            return valid
        upload = self.file.data
        if upload and self.credential.data:
            self.credential.errors.append(_("Paste the credential or choose its file, not both."))
            return False
        if upload:
            content = upload.stream.read(MAX_FILE + 1)
            if len(content) > MAX_FILE:
                self.file.errors.append(_("A credential file takes at most 64 KB."))
                return False
            try:
                self.token = content.decode("utf-8").strip()
            except UnicodeDecodeError:
                self.file.errors.append(_("This file is not a credential (a .jwt text file)."))
                return False
            if not self.token:
                self.file.errors.append(_("This file is empty."))
                return False
            return True
        if not self.credential.data:
            self.credential.errors.append(_("Paste a credential or choose its file."))
            return False
        self.token = self.credential.data
        return True


@dataclass(frozen=True)
class Claims:
    """What a valid or expired credential says, for the page."""

    holder: str
    scheme: str
    issuing_body: str
    country: str
    number: str | None
    issued_on: date | None
    expires_on: date | None
    stage: str | None
    verification: str | None
    issuer: str
    valid_from: datetime | None
    valid_until: datetime | None

    @classmethod
    def of(cls, credential: dict[str, Any]) -> Claims:
        subject = credential["credentialSubject"]
        achievement = subject["achievement"]
        stage, checked = subject.get("stage"), subject.get("verification_status")
        return cls(
            holder=subject["name"],
            scheme=achievement["name"],
            issuing_body=str(achievement.get("issuingBody", "")),
            country=str(achievement.get("country", "")),
            number=subject.get("number"),
            issued_on=_day(subject.get("issued_on")),
            expires_on=_day(subject.get("expires_on")),
            stage=str(STAGE_LABELS.get(stage, stage)) if stage else None,
            verification=str(VERIFICATION_LABELS.get(checked, checked)) if checked else None,
            issuer=str(credential["issuer"].get("name", credential["issuer"]["id"])),
            valid_from=_moment(credential.get("validFrom")),
            valid_until=_moment(credential.get("validUntil")),
        )


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _moment(text: Any) -> datetime | None:
    try:
        return signed.parse_instant(text)
    except ValueError:
        return None


@bp.route("/credentials/verify", methods=["GET", "POST"])
@access("public")
def verify():
    """Anyone checks a credential: paste it or choose its file."""
    form = VerifyForm()
    if not form.is_submitted():
        return render_template("credentials_public/verify.html", form=form, result=None)
    if not form.validate():
        return render_template("credentials_public/verify.html", form=form, result=None), 422
    verification = verify_credential(form.token)
    result = {
        "status": verification.status,
        "title": STATUS_TITLES[verification.status],
        "colour": STATUS_COLOURS[verification.status],
        "sentence": describe(verification.status, str(get_locale() or "fr")),
        "claims": Claims.of(verification.credential)
        if verification.status in SHOWN and verification.credential
        else None,
    }
    return render_template("credentials_public/verify.html", form=form, result=result)


# --- the status URL a credential names ---------------------------------------------------


@bp.get("/credentials/<uuid:credential_id>/status")
@access("public")
def status(credential_id: uuid.UUID):
    """The status of an issued credential (its `credentialStatus.id`), as JSON."""
    found = credential_status(credential_id)
    if found is None:
        return problem(
            404,
            "Not Found",
            detail="No credential with this id was issued by this platform.",
            code="not-found",
        )
    response = jsonify(found)
    # Revocation must show at once; any verifier's page may ask.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
