"""A referred case's state machine, server-side: who may move a case, and from where.

    submitted ─┬─> acknowledged ─┬─> accepted ──> assigned ──> scheduled ──> concluded ──> closed
               │                 ├─> declined      │  ^ reassign   │ reschedule  ^
               │                 └─> cancelled     └─────────────────────────────┘ (outcome)
               ├─> accepted / declined / cancelled

The partner may only cancel, and only before the center accepts; every other step is the
center's. A move the table does not allow is a 409 problem+json naming the case's status.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core.errors import Conflict
from referrals.models import ReferralStatus as S


@dataclass(frozen=True)
class Step:
    name: str
    actor: str  # "partner" or "center"
    sources: frozenset[S]
    target: S


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("cancel", "partner", frozenset({S.SUBMITTED, S.ACKNOWLEDGED}), S.CANCELLED),
        Step("acknowledge", "center", frozenset({S.SUBMITTED}), S.ACKNOWLEDGED),
        Step("accept", "center", frozenset({S.SUBMITTED, S.ACKNOWLEDGED}), S.ACCEPTED),
        Step("decline", "center", frozenset({S.SUBMITTED, S.ACKNOWLEDGED}), S.DECLINED),
        Step("assign", "center", frozenset({S.ACCEPTED, S.ASSIGNED}), S.ASSIGNED),
        Step("schedule", "center", frozenset({S.ASSIGNED, S.SCHEDULED}), S.SCHEDULED),
        Step("record_outcome", "center", frozenset({S.ASSIGNED, S.SCHEDULED}), S.CONCLUDED),
        Step("close", "center", frozenset({S.CONCLUDED}), S.CLOSED),
    )
}

STATUS_LABELS = {
    S.SUBMITTED: _l("Submitted"),
    S.ACKNOWLEDGED: _l("Acknowledged"),
    S.ACCEPTED: _l("Accepted"),
    S.DECLINED: _l("Declined"),
    S.CANCELLED: _l("Cancelled"),
    S.ASSIGNED: _l("Mediator assigned"),
    S.SCHEDULED: _l("Scheduled"),
    S.CONCLUDED: _l("Outcome recorded"),
    S.CLOSED: _l("Closed"),
}

OPEN = frozenset(S) - {S.DECLINED, S.CANCELLED, S.CLOSED}


class InvalidTransition(Conflict):
    code = "invalid-transition"


def check(step_name: str, status: S) -> Step:
    """The step, if a case in `status` may take it; else InvalidTransition (409)."""
    step = STEPS[step_name]
    if status not in step.sources:
        allowed = ", ".join(sorted(s.value for s in step.sources))
        raise InvalidTransition(
            str(
                _l(
                    "A referral that is %(status)s cannot take the step '%(step)s' "
                    "(it needs a referral that is %(allowed)s).",
                    status=status.value,
                    step=step.name,
                    allowed=allowed,
                )
            )
        )
    return step


def next_steps(status: S, actor: str) -> list[str]:
    """The steps `actor` may take from `status`, in the table's order."""
    return [s.name for s in STEPS.values() if s.actor == actor and status in s.sources]
