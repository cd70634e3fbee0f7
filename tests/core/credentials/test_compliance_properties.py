"""Invariants of the compliance engine, on every seeded scheme and random records."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.credentials.catalogue import CATALOGUE
from core.credentials.compliance import (
    EXPIRING_WITHIN_DAYS,
    PRECEDENCE,
    Assessment,
    CertificationFacts,
    Record,
    Status,
    assess,
    eligibility,
)
from core.credentials.compliance.model import worst
from core.credentials.models import CertificationStage, TrainingKind

FAST = settings(max_examples=200, deadline=None)
START, END = date(2014, 1, 1), date(2036, 12, 31)

quarters = st.integers(0, 240).map(lambda n: Decimal(n) / 4)


@st.composite
def records(draw, verified=st.booleans(), min_day=START, max_day=END) -> Record:
    kind = draw(st.sampled_from(TrainingKind))
    mediations = draw(st.integers(0, 8)) if kind == TrainingKind.MEDIATIONS_CONDUCTED else 0
    day = draw(st.dates(min_day, max_day))
    return Record(kind, draw(quarters), day, draw(verified), mediations)


@st.composite
def certifications(draw) -> CertificationFacts:
    issued_on = draw(st.dates(date(2016, 1, 1), date(2030, 12, 31)))
    lasts = st.integers(0, 3000).map(lambda days: issued_on + timedelta(days=days))
    return CertificationFacts(
        issued_on=issued_on,
        expires_on=draw(st.none() | lasts),
        revoked=draw(st.booleans().filter(lambda revoked: not revoked) | st.just(True)),
        verified=draw(st.booleans()),
        stage=draw(st.sampled_from([None, *CertificationStage])),
    )


schemes = st.sampled_from(CATALOGUE).map(lambda seed: seed.rules)


@st.composite
def cases(draw):
    """(records, certification, rules, day): the day falls around the certification."""
    certification = draw(certifications())
    day = certification.issued_on + timedelta(days=draw(st.integers(-400, 4000)))
    # Mostly within the last six years, where the rules look, and a few after the day.
    near = records(min_day=day - timedelta(days=2200), max_day=day + timedelta(days=200))
    found = draw(st.lists(near | records(), max_size=12))
    return found, certification, draw(schemes), day


def rank(status: Status) -> int:
    """Higher is better: compliant is the last of the precedence."""
    return PRECEDENCE.index(status)


def assessments(case) -> tuple[Assessment, Assessment]:
    found, certification, rules, day = case
    return assess(found, certification, rules, day), eligibility(found, rules, day)


@FAST
@given(cases())
def test_assessment_is_deterministic_and_ignores_record_order(case):
    found, certification, rules, day = case
    first = assessments(case)
    assert assessments(case) == first
    assert assessments((list(reversed(found)), certification, rules, day)) == first


@FAST
@given(cases())
def test_hours_are_never_negative_nor_above_the_requirement(case):
    for assessment in assessments(case):
        for issue in assessment.issues:
            for hours in (issue.hours_due, issue.pending_hours):
                assert hours is None or hours >= 0
            if issue.hours_due is not None:
                assert issue.hours_due + issue.pending_hours <= issue.required_hours
        assert assessment.hours_due >= 0


@FAST
@given(cases())
def test_the_status_is_the_worst_issue_and_expiring_means_within_90_days(case):
    for assessment in assessments(case):
        assert assessment.status == worst(i.status for i in assessment.issues)
        for issue in assessment.issues:
            if issue.status == Status.EXPIRING:
                assert 0 <= (issue.due_on - assessment.on).days <= EXPIRING_WITHIN_DAYS


@FAST
@given(cases(), records(verified=st.just(True)))
def test_a_verified_record_never_adds_hours_due_nor_worsens_the_status(case, extra):
    found, certification, rules, day = case
    before = assessments(case)
    after = assessments(([*found, extra], certification, rules, day))
    for old, new in zip(before, after, strict=True):
        assert rank(new.status) >= rank(old.status)
        assert new.hours_due <= old.hours_due


@FAST
@given(cases(), st.data())
def test_a_record_dated_after_the_day_never_counts(case, data):
    found, certification, rules, day = case
    future = records(min_day=day + timedelta(days=1), max_day=day + timedelta(days=3000))
    later = data.draw(st.lists(future, min_size=1, max_size=4))
    assert assessments(([*found, *later], certification, rules, day)) == assessments(case)


@FAST
@given(cases())
def test_unverified_records_never_count_as_hours(case):
    found, certification, rules, day = case
    checked = [r for r in found if r.verified]
    for without, with_pending in zip(
        assessments((checked, certification, rules, day)), assessments(case), strict=True
    ):
        # They can only turn a shortfall into "to verify", never into compliance.
        if with_pending.status != without.status:
            assert rank(with_pending.status) > rank(without.status)
            assert with_pending.status in (Status.UNKNOWN_RULE, Status.UNVERIFIED)
        assert with_pending.hours_due <= without.hours_due


@FAST
@given(cases())
def test_records_awaiting_verification_alone_never_make_anyone_compliant(case):
    found, certification, rules, day = case
    unverified = [dataclasses.replace(r, verified=False) for r in found]
    for nothing, pending in zip(
        assessments(([], certification, rules, day)),
        assessments((unverified, certification, rules, day)),
        strict=True,
    ):
        if pending.status in (Status.COMPLIANT, Status.EXPIRING):
            assert pending.status == nothing.status


@FAST
@given(cases(), st.integers(1, 2000))
def test_past_the_last_valid_day_the_certification_is_expired(case, days_after):
    found, certification, rules, day = case
    assessment = assess(found, certification, rules, day)
    if certification.revoked:
        assert assessment.status == Status.REVOKED
        return
    if assessment.valid_until is None:
        return
    if day <= assessment.valid_until:
        assert assessment.status != Status.EXPIRED
    later = assessment.valid_until + timedelta(days=days_after)
    assert assess(found, certification, rules, later).status == Status.EXPIRED


@FAST
@given(cases())
def test_an_unverified_certification_is_never_compliant(case):
    found, certification, rules, day = case
    unchecked = dataclasses.replace(certification, verified=False)
    status = assess(found, unchecked, rules, day).status
    assert status not in (Status.COMPLIANT, Status.EXPIRING)
