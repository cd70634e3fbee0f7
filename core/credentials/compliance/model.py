"""What the compliance engine reads (records, certification facts) and answers
(a status, issues)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.credentials.models import CertificationStage, TrainingKind
from core.credentials.rules import Text

EXPIRING_WITHIN_DAYS = 90
ZERO = Decimal(0)


class Status(enum.StrEnum):
    REVOKED = "revoked"
    EXPIRED = "expired"
    HOURS_SHORT = "hours_short"
    UNKNOWN_RULE = "unknown_rule"
    UNVERIFIED = "unverified"
    EXPIRING = "expiring"
    COMPLIANT = "compliant"


# Most severe first; core.credentials.compliance explains why this order.
PRECEDENCE: tuple[Status, ...] = tuple(Status)


def worst(statuses: Iterable[Status]) -> Status:
    return min(statuses, key=PRECEDENCE.index, default=Status.COMPLIANT)


class IssueCode(enum.StrEnum):
    REVOKED = "revoked"
    EXPIRED = "expired"  # end = the last valid day
    EXPIRES_SOON = "expires_soon"  # due_on = the last valid day
    STAGE_LAPSED = "stage_lapsed"  # provisional, never made definitive; end = deadline
    STAGE_ENDS_SOON = "stage_ends_soon"  # due_on = the provisional deadline
    SHORTFALL = "shortfall"  # hours missing, for a period already closed (or now)
    PENDING_VERIFICATION = "pending_verification"  # unverified records would cover it
    DUE = "due"  # hours still to do for a period still open
    WINDOW_LAPSES = "window_lapses"  # from due_on, an earlier window falls short
    UNKNOWN_RULE = "unknown_rule"  # rule = which part of the scheme is unknown
    STAGE_UNKNOWN = "stage_unknown"  # a staged scheme, but no stage recorded
    CERTIFICATION_UNVERIFIED = "certification_unverified"
    CHECK_BY_HAND = "check_by_hand"  # condition = what to check


@dataclass(frozen=True)
class Record:
    """A training record as the engine sees it. `day` is the day it ended."""

    kind: TrainingKind
    hours: Decimal
    day: date
    verified: bool
    mediations: int = 0  # for mediations_conducted: how many


@dataclass(frozen=True)
class CertificationFacts:
    """What the certification document says. For a provisional stage, `expires_on`
    is the deadline for becoming definitive, as extended by staff."""

    issued_on: date
    expires_on: date | None = None
    revoked: bool = False
    verified: bool = True
    stage: CertificationStage | None = None


@dataclass(frozen=True)
class Issue:
    """One thing that stands between the mediator and "compliant", or to keep in mind.

    `status` is what this issue alone makes of the certification. Hours: `hours_due`
    are still to do even if every pending record is verified; `pending_hours` are
    recorded but await verification; both relate to `required_hours` of `kinds`
    between `start` and `end`, to prove by `due_on`. For a rolling rule,
    `window_months` is set and `end` is the last day the forecast looks at.
    """

    code: IssueCode
    status: Status
    kinds: tuple[TrainingKind, ...] = ()
    hours_due: Decimal | None = None
    pending_hours: Decimal | None = None
    required_hours: Decimal | None = None
    start: date | None = None
    end: date | None = None
    due_on: date | None = None
    window_months: int | None = None
    rule: str | None = None  # for UNKNOWN_RULE: initial, continuing, validity or stage
    condition: Text | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assessment:
    status: Status
    issues: tuple[Issue, ...]
    on: date
    # The last valid day: the expiry, or a provisional stage's deadline; None if none.
    valid_until: date | None = None

    @property
    def hours_due(self) -> Decimal:
        return sum((issue.hours_due or ZERO for issue in self.issues), ZERO)


def make_assessment(issues: list[Issue], on: date, valid_until: date | None = None) -> Assessment:
    ordered = sorted(issues, key=lambda issue: PRECEDENCE.index(issue.status))
    return Assessment(worst(i.status for i in issues), tuple(ordered), on, valid_until)


def within_warning(due_on: date, on: date) -> bool:
    """Whether `due_on` is close enough to `on` to call for "expiring"."""
    return (due_on - on).days <= EXPIRING_WITHIN_DAYS
