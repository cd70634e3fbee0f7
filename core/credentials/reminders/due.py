"""Which reminders a certification's standing calls for on a given day: pure rules.

Expiry reminders go out in bands: within 90 days of the last valid day, then within 30,
then within 7. Only the band the day falls in is due, so a run that missed a band's
first day still sends it later while it lasts, and a 90-day reminder is never sent once
the 30-day one is due. Each is keyed on the expiry date: a renewal that moves the date
starts again. "Hours short" is keyed on the month: at most one a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.credentials.compliance import Assessment, Status
from core.credentials.reminders.models import ReminderKind

# Smallest first: the first band the remaining days fit in is the one due.
EXPIRY_BANDS: tuple[tuple[int, ReminderKind], ...] = (
    (7, ReminderKind.EXPIRY_7),
    (30, ReminderKind.EXPIRY_30),
    (90, ReminderKind.EXPIRY_90),
)


@dataclass(frozen=True)
class Due:
    kind: ReminderKind
    occasion: str  # the expiry date (ISO) or the month ("2025-06")


def expiry_due(valid_until: date | None, on: date) -> Due | None:
    """The expiry reminder due on `on` for a certification valid until `valid_until`."""
    if valid_until is None or valid_until < on:
        return None
    days = (valid_until - on).days
    for limit, kind in EXPIRY_BANDS:
        if days <= limit:
            return Due(kind, valid_until.isoformat())
    return None


def due_for(assessment: Assessment, on: date) -> list[Due]:
    """Every reminder the certification's standing on `on` calls for."""
    if assessment.status in (Status.REVOKED, Status.EXPIRED):
        return []
    found = []
    expiry = expiry_due(assessment.valid_until, on)
    if expiry is not None:
        found.append(expiry)
    if assessment.status == Status.HOURS_SHORT:
        found.append(Due(ReminderKind.HOURS_SHORT, f"{on:%Y-%m}"))
    return found
