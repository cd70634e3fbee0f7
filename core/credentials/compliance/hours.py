"""Counting hours against rules: continuing education per period, and thresholds
(initial-training routes, provisional stages)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal

from core.credentials.compliance.model import (
    EXPIRING_WITHIN_DAYS,
    ZERO,
    Issue,
    IssueCode,
    Record,
    Status,
    within_warning,
)
from core.credentials.models import TrainingKind
from core.credentials.periods import months_after, rolling_window, spans_around
from core.credentials.rules import Condition, Credit, Requirement, Rolling, Threshold

# --- counting ---------------------------------------------------------------------------


def _credited(credit: Credit, records: list[Record]) -> Decimal:
    matching = [r for r in records if r.kind == credit.kind]
    if credit.per_mediation is not None:
        amount = credit.per_mediation * sum(r.mediations for r in matching)
    else:
        amount = sum((r.hours for r in matching), ZERO)
    return amount if credit.cap is None else min(amount, credit.cap)


def tally(
    records: list[Record],
    kinds: Iterable[TrainingKind],
    credits: Iterable[Credit],
    start: date | None,
    end: date,
) -> tuple[Decimal, Decimal]:
    """(verified hours, pending hours) dated from start to end, credits included."""
    kinds, credits = set(kinds), tuple(credits)
    inside = [r for r in records if (start is None or start <= r.day) and r.day <= end]

    def hours(rs: list[Record]) -> Decimal:
        own = sum((r.hours for r in rs if r.kind in kinds), ZERO)
        return own + sum((_credited(c, rs) for c in credits), ZERO)

    verified = hours([r for r in inside if r.verified])
    # A cap applies to the total, so pending hours are what verification would add.
    return verified, hours(inside) - verified


def hours_issue(
    *,
    required: Decimal,
    verified: Decimal,
    pending: Decimal,
    kinds: tuple[TrainingKind, ...],
    on: date,
    closed: bool,
    short_now: bool | None = None,
    start: date | None = None,
    end: date | None = None,
    due_on: date | None = None,
    window_months: int | None = None,
    sources: tuple[str, ...] = (),
) -> Issue | None:
    """The issue, if any, of `required` hours against those counted. `closed`: the
    hours had to be there by now; otherwise they are due by `due_on`. `short_now`
    overrides whether pending records fail to cover today's shortfall (rolling rules
    count hours at the horizon but judge today by today's window)."""
    shortfall = required - verified
    if shortfall <= 0:
        return None
    hours_due = max(shortfall - pending, ZERO)
    short_now = hours_due > 0 if short_now is None else short_now
    if closed:
        code = IssueCode.SHORTFALL if short_now else IssueCode.PENDING_VERIFICATION
        status = Status.HOURS_SHORT if short_now else Status.UNVERIFIED
    else:
        # Pending records make an open period neither more nor less urgent.
        code = IssueCode.DUE if hours_due else IssueCode.PENDING_VERIFICATION
        soon = due_on is not None and within_warning(due_on, on)
        status = Status.EXPIRING if soon else Status.COMPLIANT
    return Issue(
        code=code,
        status=status,
        kinds=kinds,
        hours_due=hours_due,
        pending_hours=min(pending, shortfall),
        required_hours=required,
        start=start,
        end=end,
        due_on=due_on,
        window_months=window_months,
        sources=sources,
    )


def _first_day(first: date, last: date, failing: Callable[[date], bool]) -> date | None:
    """The first day from `first` to `last` that fails, for a test that, once failing,
    keeps failing; None if even `last` passes."""
    if not failing(last):
        return None
    low, high = 0, (last - first).days
    while low < high:
        middle = (low + high) // 2
        if failing(first + timedelta(days=middle)):
            high = middle
        else:
            low = middle + 1
    return first + timedelta(days=low)


# --- continuing education ------------------------------------------------------------------


def _rolling(req: Requirement, period: Rolling, records: list[Record], on: date) -> list[Issue]:
    """The window ending today is followed up to a horizon, so that hours about to
    leave it show as expiring; older windows ("each of the last 2 years") are checked
    by `_older_window`. `records` hold none dated after `on`."""
    assert req.hours is not None and req.kinds is not None
    required, kinds, months = req.hours, req.kinds, period.months

    def counted(end: date, back: int = 0) -> tuple[Decimal, Decimal]:
        return tally(records, kinds, req.credits, *rolling_window(end, months, back))

    # The hours asked for are to be done by the horizon; stopping within one window of
    # today keeps a record dated today inside every window up to the horizon.
    horizon = min(on + timedelta(days=EXPIRING_WITHIN_DAYS), months_after(on, months))
    issues: list[Issue | None] = []
    verified, pending = counted(horizon)
    if verified < required:
        # Records only leave the window as days pass (none is dated after today), so
        # counts fall day after day and the first day short is found by bisection.
        verified_now, pending_now = counted(on)
        short_on = _first_day(on, horizon, lambda d: counted(d)[0] < required)
        lapse_on = _first_day(on, horizon, lambda d: sum(counted(d)) < required)
        issues.append(
            hours_issue(
                required=required,
                verified=verified,
                pending=pending,
                kinds=kinds,
                on=on,
                closed=verified_now < required,
                short_now=verified_now + pending_now < required,
                start=rolling_window(horizon, months)[0],
                end=horizon,
                due_on=lapse_on or short_on,
                window_months=months,
                sources=req.sources,
            )
        )
    for back in range(1, period.count):
        issues.append(_older_window(req, period, records, on, horizon, back))
    return [issue for issue in issues if issue is not None]


def _older_window(
    req: Requirement, period: Rolling, records: list[Record], on: date, horizon: date, back: int
) -> Issue | None:
    """An earlier window ("the year before last") holds only past days: new hours cannot
    fill it, so what is missing is shown, and a window about to lose hours warns
    without asking for any."""
    assert req.hours is not None and req.kinds is not None
    months = period.months

    def verified_on(day: date) -> Decimal:
        return tally(records, req.kinds or (), req.credits, *rolling_window(day, months, back))[0]

    start, end = rolling_window(on, months, back)
    verified, pending = tally(records, req.kinds, req.credits, start, end)
    if verified < req.hours:
        return hours_issue(
            required=req.hours,
            verified=verified,
            pending=pending,
            kinds=req.kinds,
            on=on,
            closed=True,
            start=start,
            end=end,
            sources=req.sources,
        )
    # Records both enter and leave such a window as days pass: look at each day.
    days = (on + timedelta(days=n) for n in range(1, (horizon - on).days + 1))
    lapse_on = next((day for day in days if verified_on(day) < req.hours), None)
    if lapse_on is None:
        return None
    start, end = rolling_window(lapse_on, months, back)
    return Issue(
        IssueCode.WINDOW_LAPSES,
        Status.EXPIRING,
        kinds=req.kinds,
        required_hours=req.hours,
        start=start,
        end=end,
        due_on=lapse_on,
        window_months=months,
        sources=req.sources,
    )


def _periodic(req: Requirement, records: list[Record], issued_on: date, on: date) -> list[Issue]:
    assert req.hours is not None and req.kinds is not None
    assert req.period is not None and not isinstance(req.period, Rolling)
    open_spans, closed_spans = spans_around(req.period, on, issued_on)
    issues = []
    for span in closed_spans + open_spans:
        # A period that began before the certification is not owed in full: skip it.
        if span.start < issued_on:
            continue
        verified, pending = tally(records, req.kinds, req.credits, span.start, span.end)
        issue = hours_issue(
            required=req.hours,
            verified=verified,
            pending=pending,
            kinds=req.kinds,
            on=on,
            closed=span in closed_spans,
            start=span.start,
            end=span.end,
            due_on=span.due,
            sources=req.sources,
        )
        if issue is not None:
            issues.append(issue)
    return issues


def continuing(
    requirements: tuple[Requirement, ...] | None, records: list[Record], issued_on: date, on: date
) -> list[Issue]:
    if requirements is None:
        return [Issue(IssueCode.UNKNOWN_RULE, Status.UNKNOWN_RULE, rule="continuing")]
    issues = []
    for req in requirements:
        if not req.known:
            issues.append(
                Issue(
                    IssueCode.UNKNOWN_RULE,
                    Status.UNKNOWN_RULE,
                    kinds=req.kinds or (),
                    rule="continuing",
                    sources=req.sources,
                )
            )
        elif isinstance(req.period, Rolling):
            issues += _rolling(req, req.period, records, on)
        else:
            issues += _periodic(req, records, issued_on, on)
    return issues


# --- thresholds: initial training and provisional stages ---------------------------------------


def threshold_issues(
    threshold: Threshold,
    records: list[Record],
    *,
    rule: str,
    on: date,
    closed: bool,
    start: date | None = None,
    end: date | None = None,
    due_on: date | None = None,
) -> list[Issue]:
    """Issues of a threshold counted from `start` (or ever) to `on`; `end` is only
    shown. Its hand-checked conditions come along."""
    hand_checks = checks(threshold.conditions)
    if threshold.hours is None:
        unknown = Issue(
            IssueCode.UNKNOWN_RULE, Status.UNKNOWN_RULE, rule=rule, sources=threshold.sources
        )
        return [unknown, *hand_checks]
    parts = [(threshold.hours, threshold.kinds, threshold.credits)]
    parts += [(m.hours, (m.kind,), ()) for m in threshold.minimums]
    issues = []
    for required, kinds, credits in parts:
        verified, pending = tally(records, kinds, credits, start, on)
        issue = hours_issue(
            required=required,
            verified=verified,
            pending=pending,
            kinds=kinds,
            on=on,
            closed=closed,
            start=start,
            end=end,
            due_on=due_on,
            sources=threshold.sources,
        )
        if issue is not None:
            issues.append(issue)
    return issues + hand_checks


def checks(conditions: Iterable[Condition]) -> list[Issue]:
    return [
        Issue(IssueCode.CHECK_BY_HAND, Status.COMPLIANT, condition=c.text, sources=c.sources)
        for c in conditions
    ]
