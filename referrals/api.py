"""`/api/v1/referrals`: a partner sends cases to centers and follows them (partner
clients: `referrals:write`, `referrals:read`; the token's owning partner is the scope).

A partner reaches only the cases it sent: another partner's case is missing (404),
exactly like one that does not exist (the ORM guard and row-level security keep the
rows to their partner outside any center's scope).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from werkzeug.exceptions import BadRequest

from core.api import Blueprint, decode_cursor, encode_cursor, page_limit
from core.db import db
from core.oauth.resource import api_access, current_token
from core.tenancy import current_scope
from referrals import cases, views_of
from referrals.idempotency import idempotent
from referrals.schemas import (
    EmptySchema,
    EventListSchema,
    NewReferralSchema,
    ReferralListArgs,
    ReferralPageSchema,
    ReferralSchema,
)

blp = Blueprint(
    "referrals_api",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Referrals a partner sends to centers, their status and timeline",
)

READ, WRITE = "referrals:read", "referrals:write"
PARTNER = ("partner",)


def actor(kind: str) -> cases.Actor:
    token = current_token()
    return cases.Actor(kind, token.user_id if token is not None else None)


def after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    created_at, last_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except ValueError:
        raise BadRequest("The cursor is not valid: use a `next_cursor` as given.") from None


def listing(args: dict[str, Any]) -> dict[str, Any]:
    found = cases.page(
        statuses=args["status"],
        created_after=args["created_after"],
        created_before=args["created_before"],
        limit=page_limit(args["limit"]),
        after=after(args["cursor"]),
    )
    last = found.last
    return {
        "items": [views_of.summary(r) for r in found.items],
        "next_cursor": None if last is None else encode_cursor(last[0].isoformat(), str(last[1])),
    }


@blp.route("", methods=["POST"])
@api_access(WRITE, owners=PARTNER)
@idempotent
@blp.arguments(NewReferralSchema)
@blp.response(201, ReferralSchema)
@blp.alt_response(409, description="A request with this Idempotency-Key is still running")
@blp.alt_response(
    422,
    description="Invalid fields, a center that takes no referral, or an "
    "Idempotency-Key used with another request",
)
def create_referral(data: dict[str, Any]) -> dict[str, Any]:
    """Send a case to a center. Send an `Idempotency-Key` header to retry safely: the
    same key and body within 24 hours answer the first response again."""
    parties = [cases.PartyInput(**p) for p in data.pop("parties")]
    token = current_token()
    referral = cases.send(
        cases.ReferralInput(parties=parties, **data),
        partner_id=current_scope().partner_id,
        client_id=token.client_id,
        actor=actor("partner"),
        test=token.sandbox,  # a test client's: to the sandbox center
    )
    return views_of.case(referral, "partner")


@blp.route("", methods=["GET"])
@api_access(READ, owners=PARTNER)
@blp.arguments(ReferralListArgs, location="query")
@blp.response(200, ReferralPageSchema)
def list_referrals(args: dict[str, Any]) -> dict[str, Any]:
    """The partner's referrals, newest first."""
    return listing(args)


@blp.route("/<uuid:referral_id>", methods=["GET"])
@api_access(READ, owners=PARTNER)
@blp.response(200, ReferralSchema)
@blp.alt_response(404, description="No referral of this partner by that id")
def get_referral(referral_id: uuid.UUID) -> dict[str, Any]:
    """One referral as sent, with its status (the read is logged for the center)."""
    referral = cases.read_case(referral_id, actor("partner"))
    db.session.commit()
    return views_of.case(referral, "partner")


@blp.route("/<uuid:referral_id>/events", methods=["GET"])
@api_access(READ, owners=PARTNER)
@blp.response(200, EventListSchema)
@blp.alt_response(404, description="No referral of this partner by that id")
def list_events(referral_id: uuid.UUID) -> dict[str, Any]:
    """The referral's timeline, oldest step first."""
    return {"items": [views_of.event(e) for e in cases.timeline(referral_id)]}


@blp.route("/<uuid:referral_id>/cancel", methods=["POST"])
@api_access(WRITE, owners=PARTNER)
@blp.arguments(EmptySchema)
@blp.response(200, ReferralSchema)
@blp.alt_response(404, description="No referral of this partner by that id")
@blp.alt_response(409, description="The center has already accepted or declined it")
def cancel_referral(_data: dict[str, Any], referral_id: uuid.UUID) -> dict[str, Any]:
    """Withdraw a referral the center has not accepted yet."""
    referral = cases.cancel(referral_id, actor("partner"))
    db.session.commit()
    return views_of.case(referral, "partner")
