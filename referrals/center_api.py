"""`/api/v1/center/referrals`: a center's inbox of referred cases, for its API clients
(`referrals:read`, `referrals:write`; the token's owning center is the scope). The same
steps as the center's web inbox: acknowledge, accept or decline, assign a mediator
after the conflict-of-interest check, schedule, record the outcome, close.
"""

from __future__ import annotations

import uuid
from typing import Any

from core.api import Blueprint
from core.db import db
from core.oauth.resource import api_access
from referrals import cases, views_of
from referrals.api import READ, WRITE, actor, listing
from referrals.schemas import (
    AssignSchema,
    CenterReferralSchema,
    DeclineSchema,
    EmptySchema,
    EventListSchema,
    OutcomeSchema,
    ReferralListArgs,
    ReferralPageSchema,
    ScheduleSchema,
)

blp = Blueprint(
    "center_referrals_api",
    __name__,
    url_prefix="/api/v1/center/referrals",
    description="The center's referred cases and their lifecycle",
)

CENTER = ("tenant",)
INVALID = "This step is not allowed from the referral's status"


def _answer(referral: Any) -> dict[str, Any]:
    db.session.commit()
    return views_of.case(referral, "center")


@blp.route("", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.arguments(ReferralListArgs, location="query")
@blp.response(200, ReferralPageSchema)
def list_referrals(args: dict[str, Any]) -> dict[str, Any]:
    """The referrals sent to the center, newest first."""
    return listing(args)


@blp.route("/<uuid:referral_id>", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.response(200, CenterReferralSchema)
@blp.alt_response(404, description="No referral to this center by that id")
def get_referral(referral_id: uuid.UUID) -> dict[str, Any]:
    """A referral, whole (the read is logged in the center's audit log)."""
    return _answer(cases.read_case(referral_id, actor("center")))


@blp.route("/<uuid:referral_id>/events", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.response(200, EventListSchema)
@blp.alt_response(404, description="No referral to this center by that id")
def list_events(referral_id: uuid.UUID) -> dict[str, Any]:
    """The referral's timeline, oldest step first."""
    return {"items": [views_of.event(e) for e in cases.timeline(referral_id)]}


def _step(name: str, schema: type, summary: str, run: Any) -> None:
    """Register POST /<id>/<name>: one step of the lifecycle (409 when not allowed)."""

    @blp.route(f"/<uuid:referral_id>/{name}", methods=["POST"], endpoint=name)
    @api_access(WRITE, owners=CENTER)
    @blp.arguments(schema)
    @blp.response(200, CenterReferralSchema)
    @blp.alt_response(404, description="No referral to this center by that id")
    @blp.alt_response(409, description=INVALID)
    def view(data: dict[str, Any], referral_id: uuid.UUID) -> dict[str, Any]:
        return _answer(run(referral_id, data, actor("center")))

    view.__doc__ = summary


_step("acknowledge", EmptySchema, "Acknowledge receipt.", lambda i, d, a: cases.acknowledge(i, a))
_step("accept", EmptySchema, "Accept the case.", lambda i, d, a: cases.accept(i, a))
_step(
    "decline",
    DeclineSchema,
    "Decline the case, with a reason the partner reads.",
    lambda i, d, a: cases.decline(i, d["reason"], a),
)
_step(
    "assign",
    AssignSchema,
    "Assign a mediator of the center, after the conflict-of-interest check (409 naming "
    "the matching cases; `override_reason` assigns anyway, audited).",
    lambda i, d, a: cases.assign(i, d["mediator_id"], a, override_reason=d["override_reason"]),
)
_step(
    "schedule",
    ScheduleSchema,
    "Set the date of the first session.",
    lambda i, d, a: cases.schedule(i, d["scheduled_at"], a),
)
_step(
    "outcome",
    OutcomeSchema,
    "Record the outcome.",
    lambda i, d, a: cases.record_outcome(i, d["outcome"], a),
)
_step("close", EmptySchema, "Close the case.", lambda i, d, a: cases.close(i, a))
