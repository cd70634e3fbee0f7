"""`/api/v1/me`: the person behind an authorization-code token, and where they belong."""

from __future__ import annotations

from flask import abort
from marshmallow import fields

from core.access import workspaces_of
from core.accounts.models import User
from core.api import Blueprint, Schema
from core.db import db
from core.oauth.api import OwnerSchema
from core.oauth.resource import api_access, current_token

blp = Blueprint("me_api", __name__, url_prefix="/api/v1", description="The signed-in person")


class MembershipSchema(OwnerSchema):
    """A center (kind "tenant") or partner organisation the person belongs to."""

    role = fields.String()


class MeSchema(Schema):
    id = fields.UUID()
    email = fields.Email()
    name = fields.String()
    locale = fields.String()
    email_verified = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipSchema))


@blp.route("/me")
@api_access("profile", user=True)
@blp.response(200, MeSchema)
def me() -> dict:
    """The person who granted the token, and the centers and organisations they belong to."""
    token = current_token()
    user = db.session.get(User, token.user_id) if token else None
    if user is None or not user.is_active:
        abort(404)
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "email_verified": user.email_verified_at is not None,
        "memberships": [
            {"kind": w.kind, "id": w.id, "slug": w.slug, "name": w.name, "role": w.role}
            for w in workspaces_of(user)
        ],
    }
