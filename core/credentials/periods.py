"""Calendar arithmetic for the periods of continuing-education rules.

Every span is a closed range of days, `start` and `end` included, as the rules are
published ("18 h between 1 January 2025 and 31 December 2026"). Month steps are always
counted from the period's anchor, never chained from one span to the next, so that a
31 January anchor gives 28 February then 31 March rather than drifting to the 28th.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from core.credentials.rules import Anchored, CalendarYear, FixedCycle

ONE_DAY = timedelta(days=1)
# Calendar years are cycles of 12 months from any 1 January.
_CALENDAR_ANCHOR = date(2000, 1, 1)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_after(start: date, months: int) -> date:
    """The last day of a span of `months` months that begins on `start`."""
    return add_months(start, months) - ONE_DAY


def rolling_window(end: date, months: int, back: int = 0) -> tuple[date, date]:
    """The window of `months` months ending on `end` (12 months to 7 May 2026: from
    8 May 2025), or with `back` > 0 the one that many windows earlier."""
    return add_months(end, -months * (back + 1)) + ONE_DAY, add_months(end, -months * back)


@dataclass(frozen=True)
class Span:
    """One period of a periodic rule; its hours may be proven until `due`."""

    start: date
    end: date
    due: date


def _cycle(
    period: CalendarYear | Anchored | FixedCycle, issued_on: date
) -> tuple[date, int, int, bool]:
    """(anchor, months, grace in days, whether spans exist before the anchor)."""
    if isinstance(period, CalendarYear):
        return _CALENDAR_ANCHOR, 12, 0, True
    if isinstance(period, Anchored):
        # Anchored periods start with the certification: there is none before it.
        return issued_on, period.months, 0, False
    return period.start, period.months, period.grace_days, True


def _span(anchor: date, months: int, grace: int, index: int) -> Span:
    start = add_months(anchor, index * months)
    end = add_months(anchor, (index + 1) * months) - ONE_DAY
    return Span(start, end, end + timedelta(days=grace))


def _index_containing(anchor: date, months: int, day: date) -> int:
    elapsed = (day.year - anchor.year) * 12 + day.month - anchor.month
    index = elapsed // months
    # Month-end clamping can put the estimate one span off either way.
    while add_months(anchor, index * months) > day:
        index -= 1
    while add_months(anchor, (index + 1) * months) <= day:
        index += 1
    return index


def spans_around(
    period: CalendarYear | Anchored | FixedCycle, on: date, issued_on: date
) -> tuple[list[Span], list[Span]]:
    """The spans still open on `on` (not past their due date), and the last
    `period.count` closed ones, most recent first."""
    anchor, months, grace, before_anchor = _cycle(period, issued_on)
    if on < anchor and not before_anchor:
        return [], []
    index = _index_containing(anchor, months, on)
    open_spans: list[Span] = []
    closed: list[Span] = []
    while len(closed) < period.count and (before_anchor or index >= 0):
        span = _span(anchor, months, grace, index)
        (open_spans if span.due >= on else closed).append(span)
        index -= 1
    return open_spans, closed


def cycle_containing(anchor: date, months: int, day: date) -> Span:
    """The cycle of `months` months, counted from `anchor`, that `day` falls in."""
    return _span(anchor, months, 0, _index_containing(anchor, months, day))
