"""Signed credentials over the API: a person exports one of their certifications as a
credential (`profile` scope), and anyone verifies a credential (public, counted per
address like every anonymous API request).

Verifying is a lookup: it writes nothing. The description is in the language the
request asks for (Accept-Language, French by default); the claims come back only for a
valid or expired credential (see core.credentials.credential_views for why not for a
revoked one).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from marshmallow import fields, validate

from core.api import Blueprint, Schema
from core.credentials.credential_views import MAX_PASTED, SHOWN
from core.credentials.issued import export_credential
from core.credentials.signed import CredentialStatus, describe, verify_credential
from core.db import db
from core.oauth.resource import api_access, current_token

blp = Blueprint(
    "signed_credentials_api",
    __name__,
    url_prefix="/api/v1",
    description="Signed credentials: a mediator's export, and public verification",
)


class CredentialSchema(Schema):
    credential = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_PASTED),
        metadata={"description": "The credential: a compact JWS (media type vc+jwt)"},
    )


class VerificationSchema(Schema):
    status = fields.String(metadata={"enum": [str(s) for s in CredentialStatus]})
    description = fields.String(metadata={"description": "The status in words (fr or en)"})
    credential = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The credential's claims (W3C VC 2.0 / Open Badges 3.0) when it "
            "is valid or expired; null when it is revoked or not recognised"
        },
    )


@blp.route("/me/certifications/<uuid:certification_id>/credential")
@api_access("profile", user=True)
@blp.response(200, CredentialSchema)
@blp.alt_response(404, description="No such certification of the person's")
@blp.alt_response(409, description="The certification is revoked, expired or rejected")
def export(certification_id: uuid.UUID) -> dict[str, Any]:
    """A newly signed credential of one of the person's certifications."""
    token = current_token()
    exported = export_credential(token.user_id, certification_id)
    db.session.commit()  # recorded before it is handed out: its status URL must answer
    return {"credential": exported.token}


@blp.route("/credentials/verify", methods=["POST"])
@api_access(public=True)
@blp.arguments(CredentialSchema)
@blp.response(200, VerificationSchema)
def verify(data: dict[str, Any]) -> Any:
    """Is this credential valid, expired, revoked, or not recognised (tampered)?"""
    verification = verify_credential(data["credential"])
    language = request.accept_languages.best_match(
        current_app.config["LANGUAGES"], default=current_app.config["BABEL_DEFAULT_LOCALE"]
    )
    shown = verification.credential if verification.status in SHOWN else None
    body = {
        "status": str(verification.status),
        "description": describe(verification.status, language),
        "credential": shown,
    }
    return body, 200, {"Content-Language": language, "Vary": "Accept-Language"}
