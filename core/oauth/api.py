"""`/api/v1/organisation`: the center or partner that owns the calling client."""

from __future__ import annotations

from flask import abort
from marshmallow import fields

from core.api import Blueprint, Schema
from core.oauth import scopes as scope_catalogue
from core.oauth.clients import describe_owner, find_client
from core.oauth.resource import api_access, current_token

blp = Blueprint(
    "organisation_api", __name__, url_prefix="/api/v1", description="The calling client's owner"
)


class OwnerSchema(Schema):
    kind = fields.String(metadata={"enum": ["tenant", "partner"]})
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()


class ClientSchema(Schema):
    client_id = fields.String()
    name = fields.String()
    granted_scopes = fields.List(fields.String(), metadata={"description": "the token's scopes"})
    registered_scopes = fields.List(fields.String())


class OrganisationSchema(Schema):
    organisation = fields.Nested(OwnerSchema)
    client = fields.Nested(ClientSchema)


@blp.route("/organisation")
@api_access()
@blp.response(200, OrganisationSchema)
def organisation() -> dict:
    """The center or partner organisation owning the client, and the client's scopes."""
    token = current_token()
    client = find_client(token.client_id) if token else None
    owner = describe_owner(token.owner_kind, token.owner_id) if token else None
    if client is None or owner is None:
        abort(404)
    return {
        "organisation": {"kind": token.owner_kind, "id": token.owner_id, **owner},
        "client": {
            "client_id": client.client_id,
            "name": client.name,
            "granted_scopes": scope_catalogue.join(token.scopes).split(),
            "registered_scopes": client.scopes,
        },
    }
