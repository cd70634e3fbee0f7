"""Which reminders a certification's standing calls for, around each threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.credentials.compliance import Assessment, Status
from core.credentials.reminders.due import Due, due_for, expiry_due
from core.credentials.reminders.models import ReminderKind

ON = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("days_left", "kind"),
    [
        (91, None),
        (90, ReminderKind.EXPIRY_90),
        (89, ReminderKind.EXPIRY_90),
        (31, ReminderKind.EXPIRY_90),
        (30, ReminderKind.EXPIRY_30),
        (29, ReminderKind.EXPIRY_30),
        (8, ReminderKind.EXPIRY_30),
        (7, ReminderKind.EXPIRY_7),
        (6, ReminderKind.EXPIRY_7),
        (0, ReminderKind.EXPIRY_7),  # the last valid day
        (-1, None),  # expired: too late for a reminder
        (-30, None),
    ],
)
def test_only_the_band_the_day_falls_in_is_due(days_left, kind):
    valid_until = ON + timedelta(days=days_left)
    found = expiry_due(valid_until, ON)
    if kind is None:
        assert found is None
    else:
        assert found == Due(kind, valid_until.isoformat())


def test_a_certification_without_an_expiry_date_gets_no_expiry_reminder():
    assert expiry_due(None, ON) is None


def _assessment(status: Status, valid_until: date | None) -> Assessment:
    return Assessment(status=status, issues=(), on=ON, valid_until=valid_until)


def test_hours_short_is_due_once_a_month_and_alongside_an_expiry():
    soon = ON + timedelta(days=20)
    assert due_for(_assessment(Status.HOURS_SHORT, soon), ON) == [
        Due(ReminderKind.EXPIRY_30, soon.isoformat()),
        Due(ReminderKind.HOURS_SHORT, "2025-03"),
    ]
    later = ON + timedelta(days=25)
    assert due_for(_assessment(Status.HOURS_SHORT, None), later) == [
        Due(ReminderKind.HOURS_SHORT, "2025-04")
    ]


@pytest.mark.parametrize(
    "status", [Status.EXPIRING, Status.UNVERIFIED, Status.UNKNOWN_RULE, Status.COMPLIANT]
)
def test_other_statuses_call_only_for_the_expiry_reminder(status):
    soon = ON + timedelta(days=5)
    assert due_for(_assessment(status, soon), ON) == [Due(ReminderKind.EXPIRY_7, soon.isoformat())]


@pytest.mark.parametrize("status", [Status.REVOKED, Status.EXPIRED])
def test_revoked_and_expired_certifications_call_for_nothing(status):
    assert due_for(_assessment(status, ON + timedelta(days=5)), ON) == []
