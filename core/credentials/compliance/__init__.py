"""Is a mediator's certification in good standing on a given day, and what is missing?

`assess` is a pure function of the mediator's training records, the certification's
facts, the scheme's rules and a date: no database, no clock, so the same inputs always
give the same answer, and a job, a page or a test can ask about any day.
`eligibility` asks the other question, before any certification: do the records meet
one of the scheme's initial-training routes?

Only verified records count. Unverified records are still looked at: when they would
make up a shortfall, the status is "unverified" (a center has something to check)
rather than "hours short" (the mediator has something to do). Records dated after the
assessment date never count. A period that began before the certification was issued
is not owed (a calendar year, a Belgian cycle); rolling windows always are, as they
are stated from the day of assessment. The certification's own expiry date wins over
the scheme's validity rule, which only fills it in. Conditions checked by hand are
listed as issues that leave the status as it is: the engine cannot see them.

The overall status is the first of these that any issue calls for:

1. revoked: nothing else matters;
2. expired (or a provisional stage that ended): hours cannot bring it back, only a
   renewal can, so hours are not even listed;
3. hours short: a shortfall that verified and pending records cannot cover. It comes
   before "unknown rule" because it is certain: whatever the unknown rule says, the
   mediator is already short of a known one;
4. unknown rule: the scheme's catalogue entry lacks a rule that matters, so compliance
   can be neither confirmed nor refused;
5. unverified: the certification, or records that would cover a shortfall, await a
   center's check. After "unknown rule", since verifying cannot settle a rule nobody
   knows;
6. expiring: compliant today, but the certification, a provisional stage or a period's
   hours fall due within 90 days;
7. compliant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from core.credentials.compliance.hours import checks, continuing, threshold_issues
from core.credentials.compliance.model import (
    EXPIRING_WITHIN_DAYS,
    PRECEDENCE,
    ZERO,
    Assessment,
    CertificationFacts,
    Issue,
    IssueCode,
    Record,
    Status,
    make_assessment,
    within_warning,
    worst,
)
from core.credentials.models import CertificationStage
from core.credentials.periods import cycle_containing, months_after, rolling_window
from core.credentials.rules import EndOfCycle, ExpiresAfter, Permanent, SchemeRules, Staged

__all__ = [
    "EXPIRING_WITHIN_DAYS",
    "PRECEDENCE",
    "Assessment",
    "CertificationFacts",
    "Issue",
    "IssueCode",
    "Record",
    "Status",
    "assess",
    "eligibility",
]


def eligibility(records: Iterable[Record], rules: SchemeRules, on: date) -> Assessment:
    """Do the records, as of `on`, meet one of the scheme's initial-training routes?

    The route reported is the one closest to being met: the best status, then the
    fewest hours due. "Compliant" here means eligible, subject to the hand checks.
    """
    records = [r for r in records if r.day <= on]
    issues = checks(rules.conditions)
    if rules.initial is None:
        unknown = Issue(IssueCode.UNKNOWN_RULE, Status.UNKNOWN_RULE, rule="initial")
        return make_assessment([unknown, *issues], on)
    routes = []
    for threshold in rules.initial:
        start = None
        if threshold.within_months is not None:
            start = rolling_window(on, threshold.within_months)[0]
        found = threshold_issues(
            threshold, records, rule="initial", on=on, closed=True, start=start, end=start and on
        )
        routes.append(found)
    if routes:
        best = min(
            routes,
            key=lambda found: (
                -PRECEDENCE.index(worst(i.status for i in found)),
                sum((i.hours_due or ZERO for i in found), ZERO),
            ),
        )
        issues = best + issues
    return make_assessment(issues, on)


# --- the certification ---------------------------------------------------------------------


def _valid_until(certification: CertificationFacts, rules: SchemeRules) -> tuple[date | None, bool]:
    """(the last valid day, or None if none; whether that is known). The document's own
    date wins; the scheme's rule only fills it in when the document has none."""
    validity = rules.validity
    if certification.expires_on is not None:
        return certification.expires_on, True
    if validity is None:
        return None, False
    if isinstance(validity, Permanent):
        return None, True
    if isinstance(validity, ExpiresAfter):
        return months_after(certification.issued_on, validity.months), True
    assert isinstance(validity, EndOfCycle)
    return cycle_containing(validity.start, validity.months, certification.issued_on).end, True


def _deadline(certification: CertificationFacts, staged: Staged) -> date | None:
    """The last day of the provisional stage: the document's date when staff recorded
    an extension, but never beyond the longest extension the scheme allows."""
    if staged.months is None:
        return certification.expires_on
    issued_on = certification.issued_on
    longest = months_after(issued_on, staged.months + staged.extension_months)
    return min(certification.expires_on or months_after(issued_on, staged.months), longest)


def _provisional(
    records: list[Record],
    certification: CertificationFacts,
    staged: Staged,
    common: list[Issue],
    on: date,
) -> Assessment:
    deadline = _deadline(certification, staged)
    issues = list(common)
    if deadline is None:
        issues.append(
            Issue(IssueCode.UNKNOWN_RULE, Status.UNKNOWN_RULE, rule="stage", sources=staged.sources)
        )
    elif on > deadline:
        lapsed = Issue(IssueCode.STAGE_LAPSED, Status.EXPIRED, end=deadline, sources=staged.sources)
        return make_assessment([lapsed], on, deadline)
    elif within_warning(deadline, on):
        issues.append(
            Issue(
                IssueCode.STAGE_ENDS_SOON,
                Status.EXPIRING,
                due_on=deadline,
                sources=staged.sources,
            )
        )
    issues += threshold_issues(
        staged.threshold,
        records,
        rule="stage",
        on=on,
        closed=False,
        start=certification.issued_on,
        end=deadline,
        due_on=deadline,
    )
    return make_assessment(issues, on, deadline)


def assess(
    records: Iterable[Record],
    certification: CertificationFacts,
    rules: SchemeRules,
    on: date,
) -> Assessment:
    """The certification's standing on `on`: a status and the issues behind it."""
    records = [r for r in records if r.day <= on]
    if certification.revoked:
        return make_assessment([Issue(IssueCode.REVOKED, Status.REVOKED)], on)
    common = checks(rules.conditions)
    if not certification.verified:
        common.append(Issue(IssueCode.CERTIFICATION_UNVERIFIED, Status.UNVERIFIED))
    staged = rules.staged
    if staged is not None and certification.stage is None:
        unknown = Issue(IssueCode.STAGE_UNKNOWN, Status.UNKNOWN_RULE, sources=staged.sources)
        return make_assessment([unknown, *common], on)
    if staged is not None and certification.stage == CertificationStage.PROVISIONAL:
        return _provisional(records, certification, staged, common, on)

    valid_until, known = _valid_until(certification, rules)
    sources = rules.validity.sources if rules.validity is not None else ()
    if valid_until is not None and on > valid_until:
        expired = Issue(IssueCode.EXPIRED, Status.EXPIRED, end=valid_until, sources=sources)
        return make_assessment([expired], on, valid_until)
    issues = list(common)
    if not known:
        issues.append(Issue(IssueCode.UNKNOWN_RULE, Status.UNKNOWN_RULE, rule="validity"))
    elif valid_until is not None and within_warning(valid_until, on):
        issues.append(
            Issue(IssueCode.EXPIRES_SOON, Status.EXPIRING, due_on=valid_until, sources=sources)
        )
    issues += continuing(rules.continuing, records, certification.issued_on, on)
    return make_assessment(issues, on, valid_until)
