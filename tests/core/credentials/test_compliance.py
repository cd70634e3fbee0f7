"""The compliance engine on seeded schemes, on the days just before, on and after each
boundary: one scheme per kind of period, the credits and the staged accreditation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.credentials.catalogue import by_code
from core.credentials.compliance import (
    PRECEDENCE,
    Assessment,
    CertificationFacts,
    IssueCode,
    Record,
    Status,
    assess,
    eligibility,
)
from core.credentials.compliance.model import worst
from core.credentials.models import CertificationStage
from core.credentials.models import TrainingKind as K
from core.credentials.rules import Requirement, SchemeRules, Threshold

CE, SUP, TEACH, MED = K.CONTINUING_EDUCATION, K.SUPERVISION, K.TEACHING, K.MEDIATIONS_CONDUCTED


def rec(kind: K, hours, day: date, verified: bool = True, mediations: int = 0) -> Record:
    return Record(kind, Decimal(str(hours)), day, verified, mediations)


def cert(issued_on: date, **facts) -> CertificationFacts:
    return CertificationFacts(issued_on, **facts)


def on(code: str, records, certification, day: date) -> Assessment:
    return assess(records, certification, by_code(code).rules, day)


def hours_issues(assessment: Assessment) -> list:
    hand = {IssueCode.CHECK_BY_HAND}
    return [i for i in assessment.issues if i.code not in hand]


def only(assessment: Assessment):
    (issue,) = hours_issues(assessment)
    return issue


# --- rolling window: CEDR panel, 6 h in the last 12 months --------------------------------

PANEL = cert(date(2025, 6, 1))  # reviewed yearly: valid until 31 May 2026
PANEL_HOURS = [rec(CE, 6, date(2025, 3, 1))]  # counts in windows ending up to 28 Feb 2026


def test_rolling_compliant_while_the_hours_stay_in_the_window_for_90_days():
    assessment = on("uk-cedr-panel", PANEL_HOURS, PANEL, date(2025, 11, 30))
    assert assessment.status == Status.COMPLIANT
    assert hours_issues(assessment) == []
    assert assessment.valid_until == date(2026, 5, 31)
    # The panel's hand-checked conditions are always listed.
    assert {i.code for i in assessment.issues} == {IssueCode.CHECK_BY_HAND}


@pytest.mark.parametrize("day", [date(2025, 12, 1), date(2026, 2, 28)])
def test_rolling_expiring_when_hours_leave_the_window_within_90_days(day):
    assessment = on("uk-cedr-panel", PANEL_HOURS, PANEL, day)
    assert assessment.status == Status.EXPIRING
    issue = only(assessment)
    assert issue.code == IssueCode.DUE
    assert (issue.hours_due, issue.due_on, issue.window_months) == (6, date(2026, 3, 1), 12)


def test_rolling_short_the_day_the_hours_leave_the_window():
    assessment = on("uk-cedr-panel", PANEL_HOURS, PANEL, date(2026, 3, 1))
    assert assessment.status == Status.HOURS_SHORT
    issue = only(assessment)
    assert (issue.code, issue.hours_due, issue.kinds) == (
        IssueCode.SHORTFALL,
        6,
        (CE, K.CONFERENCE),
    )
    assert issue.due_on == date(2026, 3, 1)


def test_rolling_a_record_dated_after_the_day_does_not_count():
    late = [*PANEL_HOURS, rec(CE, 6, date(2026, 3, 2))]
    assert on("uk-cedr-panel", late, PANEL, date(2026, 3, 1)).status == Status.HOURS_SHORT
    assert on("uk-cedr-panel", late, PANEL, date(2026, 3, 2)).status == Status.EXPIRING


def test_rolling_validity_day_90_is_expiring_and_day_91_is_not():
    fresh = [rec(CE, 6, date(2026, 3, 1))]
    assert on("uk-cedr-panel", fresh, PANEL, date(2026, 3, 1)).status == Status.COMPLIANT  # 91
    expiring = on("uk-cedr-panel", fresh, PANEL, date(2026, 3, 2))  # 90 days left
    assert expiring.status == Status.EXPIRING
    assert only(expiring).code == IssueCode.EXPIRES_SOON
    assert on("uk-cedr-panel", fresh, PANEL, date(2026, 5, 31)).status == Status.EXPIRING
    expired = on("uk-cedr-panel", fresh, PANEL, date(2026, 6, 1))
    assert expired.status == Status.EXPIRED
    assert [i.code for i in expired.issues] == [IssueCode.EXPIRED]


def test_rolling_unverified_hours_that_would_cover_the_shortfall():
    pending = [*PANEL_HOURS, rec(CE, 6, date(2026, 2, 1), verified=False)]
    assessment = on("uk-cedr-panel", pending, PANEL, date(2026, 3, 1))
    assert assessment.status == Status.UNVERIFIED
    issue = only(assessment)
    assert (issue.code, issue.hours_due, issue.pending_hours) == (
        IssueCode.PENDING_VERIFICATION,
        0,
        6,
    )
    partly = [*PANEL_HOURS, rec(CE, 4, date(2026, 2, 1), verified=False)]
    short = on("uk-cedr-panel", partly, PANEL, date(2026, 3, 1))
    assert short.status == Status.HOURS_SHORT
    assert (only(short).hours_due, only(short).pending_hours) == (2, 4)


# --- each of the last 2 windows: ANM, 20 h in each of the last 2 years ------------------------

# ANM publishes no validity: the certification's own expiry date stands in.
ANM = cert(date(2020, 1, 1), expires_on=date(2030, 12, 31))
ANM_HOURS = [rec(SUP, 20, date(2024, 1, 10)), rec(CE, 20, date(2025, 9, 1))]


def test_each_of_the_last_two_years_compliant_while_both_windows_hold():
    assert on("fr-anm", ANM_HOURS, ANM, date(2025, 10, 11)).status == Status.COMPLIANT


@pytest.mark.parametrize("day", [date(2025, 10, 12), date(2026, 1, 9)])
def test_each_of_the_last_two_years_warns_before_the_older_window_loses_its_hours(day):
    assessment = on("fr-anm", ANM_HOURS, ANM, day)
    assert assessment.status == Status.EXPIRING
    issue = only(assessment)
    assert issue.code == IssueCode.WINDOW_LAPSES
    assert (issue.due_on, issue.start, issue.end) == (
        date(2026, 1, 10),
        date(2024, 1, 11),
        date(2025, 1, 10),
    )
    assert issue.hours_due is None


def test_each_of_the_last_two_years_short_when_the_older_window_lacks_hours():
    assessment = on("fr-anm", ANM_HOURS, ANM, date(2026, 1, 10))
    assert assessment.status == Status.HOURS_SHORT
    issue = only(assessment)
    assert (issue.code, issue.hours_due) == (IssueCode.SHORTFALL, 20)
    assert (issue.start, issue.end, issue.due_on) == (date(2024, 1, 11), date(2025, 1, 10), None)


def test_each_of_the_last_two_years_without_an_expiry_date_is_an_unknown_rule():
    no_date = cert(date(2020, 1, 1))
    assessment = on("fr-anm", ANM_HOURS, no_date, date(2025, 10, 11))
    assert assessment.status == Status.UNKNOWN_RULE
    assert [i.rule for i in hours_issues(assessment)] == ["validity"]
    # A known shortfall is certain, so it outranks the unknown rule.
    assert on("fr-anm", ANM_HOURS, no_date, date(2026, 1, 10)).status == Status.HOURS_SHORT


# --- calendar years: FFCM, 10 h of training and 10 h of supervision a year ---------------------

FFCM = cert(date(2024, 6, 1))
FFCM_HOURS = [
    rec(CE, 6, date(2025, 3, 1)),
    rec(TEACH, 4, date(2025, 4, 1)),
    rec(SUP, 6, date(2025, 5, 1)),
]


def test_calendar_year_the_year_of_issue_is_not_owed():
    assessment = on("fr-ffcm", [], FFCM, date(2025, 1, 1))
    assert assessment.status == Status.COMPLIANT
    dues = hours_issues(assessment)
    assert {(i.code, i.hours_due, i.start, i.end) for i in dues} == {
        (IssueCode.DUE, 10, date(2025, 1, 1), date(2025, 12, 31))
    }
    assert {i.kinds for i in dues} == {(SUP,), (CE, K.CONFERENCE, TEACH)}
    assert all(i.status == Status.COMPLIANT for i in dues)


def test_calendar_year_due_by_31_december_warns_from_day_90():
    quiet = on("fr-ffcm", FFCM_HOURS, FFCM, date(2025, 10, 1))  # 91 days to go
    assert quiet.status == Status.COMPLIANT
    issue = only(quiet)
    # Teaching counts toward the training hours, so only supervision is due.
    assert (issue.kinds, issue.hours_due, issue.due_on) == ((SUP,), 4, date(2025, 12, 31))
    assert on("fr-ffcm", FFCM_HOURS, FFCM, date(2025, 10, 2)).status == Status.EXPIRING
    assert on("fr-ffcm", FFCM_HOURS, FFCM, date(2025, 12, 31)).status == Status.EXPIRING


def test_calendar_year_short_from_1_january():
    late = [*FFCM_HOURS, rec(SUP, 4, date(2026, 1, 1))]  # too late for 2025
    assessment = on("fr-ffcm", late, FFCM, date(2026, 1, 1))
    assert assessment.status == Status.HOURS_SHORT
    short = [i for i in assessment.issues if i.code == IssueCode.SHORTFALL]
    assert [(i.kinds, i.hours_due, i.start, i.end) for i in short] == [
        ((SUP,), 4, date(2025, 1, 1), date(2025, 12, 31))
    ]


def test_calendar_year_complete_then_compliant():
    done = [*FFCM_HOURS, rec(SUP, 4, date(2025, 12, 31))]
    assert on("fr-ffcm", done, FFCM, date(2025, 12, 31)).status == Status.COMPLIANT
    # The new year's hours are listed as due, without alarm.
    assessment = on("fr-ffcm", done, FFCM, date(2026, 1, 1))
    assert assessment.status == Status.COMPLIANT
    assert {i.due_on for i in hours_issues(assessment)} == {date(2026, 12, 31)}


# --- anchored periods: Zertifizierter Mediator, 40 h every 4 years from the certificate --------

DE = cert(date(2020, 3, 1))  # first period: 1 March 2020 to 29 February 2024
DE_HOURS = [rec(CE, 36, date(2022, 5, 1))]


def test_anchored_period_warns_from_day_90_before_its_end():
    assert on("de-zertifiziert", DE_HOURS, DE, date(2023, 11, 30)).status == Status.COMPLIANT
    expiring = on("de-zertifiziert", DE_HOURS, DE, date(2023, 12, 1))
    assert expiring.status == Status.EXPIRING
    issue = only(expiring)
    assert (issue.hours_due, issue.start, issue.end) == (4, date(2020, 3, 1), date(2024, 2, 29))
    assert on("de-zertifiziert", DE_HOURS, DE, date(2024, 2, 29)).status == Status.EXPIRING


def test_anchored_period_short_the_day_after_it_ends():
    late = [*DE_HOURS, rec(CE, 4, date(2024, 3, 1))]  # counts for the next period only
    assessment = on("de-zertifiziert", late, DE, date(2024, 3, 1))
    assert assessment.status == Status.HOURS_SHORT
    short, due = sorted(hours_issues(assessment), key=lambda i: i.start)
    assert (short.code, short.hours_due, short.end) == (IssueCode.SHORTFALL, 4, date(2024, 2, 29))
    assert (due.code, due.hours_due, due.start, due.end) == (
        IssueCode.DUE,
        36,
        date(2024, 3, 1),
        date(2028, 2, 29),
    )


def test_anchored_period_met_on_its_last_day():
    done = [*DE_HOURS, rec(CE, 4, date(2024, 2, 29))]
    assert on("de-zertifiziert", done, DE, date(2024, 3, 1)).status == Status.COMPLIANT


# --- fixed cycles: Belgium, 18 h per two calendar years, proof by 31 January ------------------

BE = cert(date(2022, 5, 1))  # approved during 2021-2022: that cycle is not owed
BE_HOURS = [rec(CE, 12, date(2023, 6, 1))]  # cycle 2023-2024, proof due 31 January 2025


def test_fixed_cycle_warns_from_day_90_before_the_proof_is_due():
    assert on("be-cfm", BE_HOURS, BE, date(2024, 11, 1)).status == Status.COMPLIANT
    expiring = on("be-cfm", BE_HOURS, BE, date(2024, 11, 2))
    assert expiring.status == Status.EXPIRING
    issue = only(expiring)
    assert (issue.hours_due, issue.start, issue.end, issue.due_on) == (
        6,
        date(2023, 1, 1),
        date(2024, 12, 31),
        date(2025, 1, 31),
    )


def test_fixed_cycle_proof_accepted_until_31_january_then_short():
    january = [*BE_HOURS, rec(CE, 6, date(2025, 1, 15))]  # belongs to the 2025-2026 cycle
    during_grace = on("be-cfm", january, BE, date(2025, 1, 31))
    assert during_grace.status == Status.EXPIRING
    after = on("be-cfm", january, BE, date(2025, 2, 1))
    assert after.status == Status.HOURS_SHORT
    short = [i for i in after.issues if i.code == IssueCode.SHORTFALL]
    assert [(i.hours_due, i.start, i.end) for i in short] == [
        (6, date(2023, 1, 1), date(2024, 12, 31))
    ]


def test_fixed_cycle_begun_before_the_approval_is_not_owed():
    approved_mid_cycle = cert(date(2024, 3, 1))
    assessment = on("be-cfm", [], approved_mid_cycle, date(2025, 2, 1))
    assert assessment.status == Status.COMPLIANT
    assert [(i.start, i.due_on) for i in hours_issues(assessment)] == [
        (date(2025, 1, 1), date(2027, 1, 31))
    ]


# --- fixed cycles of validity: cour d'appel lists, 3 years from publication --------------------


def test_court_list_registration_ends_with_its_list():
    registered = cert(date(2024, 3, 1))
    assert on("fr-cour-appel", [], registered, date(2026, 10, 1)).status == Status.COMPLIANT
    expiring = on("fr-cour-appel", [], registered, date(2026, 10, 2))
    assert expiring.status == Status.EXPIRING
    assert expiring.valid_until == date(2026, 12, 31)
    assert on("fr-cour-appel", [], registered, date(2026, 12, 31)).status == Status.EXPIRING
    assert on("fr-cour-appel", [], registered, date(2027, 1, 1)).status == Status.EXPIRED


def test_court_list_registration_of_the_previous_list_ended_in_2023():
    previous = cert(date(2022, 9, 1))
    assert on("fr-cour-appel", [], previous, date(2023, 12, 31)).status == Status.EXPIRING
    assert on("fr-cour-appel", [], previous, date(2024, 1, 1)).status == Status.EXPIRED


def test_the_documents_expiry_date_wins_over_the_schemes_rule():
    dated = cert(date(2024, 3, 1), expires_on=date(2027, 6, 30))
    assessment = on("fr-cour-appel", [], dated, date(2027, 1, 1))
    assert (assessment.status, assessment.valid_until) == (Status.COMPLIANT, date(2027, 6, 30))


# --- credits: FFCM initial 200 h, 5 h per mediation (at most 20 h), teaching (at most 20 h) ---

DAY = date(2025, 1, 1)
TRAINING = K.INITIAL_TRAINING


def eligible(records) -> Assessment:
    return eligibility(records, by_code("fr-ffcm").rules, DAY)


@pytest.mark.parametrize(
    ("training", "mediations", "teaching", "status", "due"),
    [
        (180, 3, 0, Status.HOURS_SHORT, 5),  # 15 h of credit
        (180, 4, 0, Status.COMPLIANT, 0),  # 20 h: the cap, reached
        (175, 5, 0, Status.HOURS_SHORT, 5),  # 25 h capped at 20
        (170, 10, 0, Status.HOURS_SHORT, 10),
        (180, 0, 19.5, Status.HOURS_SHORT, Decimal("0.5")),
        (180, 0, 20, Status.COMPLIANT, 0),
        (170, 0, 30, Status.HOURS_SHORT, 10),  # 30 h capped at 20
        (160, 4, 20, Status.COMPLIANT, 0),  # both credits, each capped
        (150, 10, 30, Status.HOURS_SHORT, 10),
    ],
)
def test_credits_count_up_to_their_cap(training, mediations, teaching, status, due):
    records = [rec(TRAINING, training, date(2020, 6, 1))]
    if mediations:
        records.append(rec(MED, mediations * 3, date(2022, 1, 1), mediations=mediations))
    if teaching:
        records.append(rec(TEACH, teaching, date(2023, 1, 1)))
    assessment = eligible(records)
    assert (assessment.status, assessment.hours_due) == (status, due)


def test_credits_pending_verification_and_future_records():
    records = [rec(TRAINING, 180, date(2020, 6, 1))]
    pending = [*records, rec(MED, 12, date(2022, 1, 1), verified=False, mediations=4)]
    assessment = eligible(pending)
    assert assessment.status == Status.UNVERIFIED
    assert (only(assessment).pending_hours, only(assessment).hours_due) == (20, 0)
    future = [*records, rec(MED, 12, date(2025, 1, 2), mediations=4)]
    assert eligible(future).status == Status.HOURS_SHORT


def test_eligibility_reports_the_route_closest_to_being_met():
    # CNMA: 200 h, or 140 h plus experience checked by hand.
    rules = by_code("fr-cnma").rules
    assessment = eligibility([rec(TRAINING, 150, date(2020, 1, 1))], rules, DAY)
    assert assessment.status == Status.COMPLIANT
    (check,) = assessment.issues
    assert check.code == IssueCode.CHECK_BY_HAND and "60 h" in check.condition.en
    short = eligibility([rec(TRAINING, 100, date(2020, 1, 1))], rules, DAY)
    assert (short.status, short.hours_due) == (Status.HOURS_SHORT, 40)


def test_eligibility_within_a_time_limit_and_unknown_routes():
    quebec = by_code("qc-coamf").rules  # 60 h taken within 5 years before applying
    old = [rec(TRAINING, 60, date(2020, 1, 1))]
    assert eligibility(old, quebec, date(2024, 12, 31)).status == Status.COMPLIANT
    later = eligibility(old, quebec, date(2025, 1, 1))
    assert later.status == Status.HOURS_SHORT
    issue = only(later)
    assert (issue.start, issue.end) == (date(2020, 1, 2), date(2025, 1, 1))
    assert eligibility([], by_code("fr-cnm").rules, DAY).status == Status.UNKNOWN_RULE
    assert eligibility([], by_code("fr-cmap").rules, DAY).status == Status.UNKNOWN_RULE
    # Minimums per kind: Mediate.com wants 100 h of training and 200 h of practice.
    mediate = by_code("us-mediate-com").rules
    mixed = [rec(TRAINING, 250, date(2020, 1, 1)), rec(MED, 150, date(2021, 1, 1), mediations=30)]
    assessment = eligibility(mixed, mediate, DAY)
    assert assessment.status == Status.HOURS_SHORT
    assert [(i.kinds, i.hours_due) for i in hours_issues(assessment)] == [((MED,), 50)]


# --- staged accreditation: Québec, 45 h and 10 supervised mandates within 2 years --------------

QC = cert(date(2024, 3, 15), stage=CertificationStage.PROVISIONAL)  # deadline 14 March 2026
QC_HOURS = [rec(TRAINING, 20, date(2024, 3, 14)), rec(CE, 40, date(2025, 1, 10))]


def test_staged_hours_count_from_the_provisional_accreditation():
    assessment = on("qc-coamf", QC_HOURS, QC, date(2025, 12, 13))  # 91 days left
    assert (assessment.status, assessment.valid_until) == (Status.COMPLIANT, date(2026, 3, 14))
    issue = only(assessment)
    assert (issue.code, issue.hours_due, issue.due_on) == (IssueCode.DUE, 5, date(2026, 3, 14))
    checks = [i.condition.en for i in assessment.issues if i.code == IssueCode.CHECK_BY_HAND]
    assert "10 supervised mediation mandates." in checks


def test_staged_deadline_warns_from_day_90_then_lapses():
    done = [*QC_HOURS, rec(CE, 5, date(2025, 6, 1))]
    assert on("qc-coamf", done, QC, date(2025, 12, 13)).status == Status.COMPLIANT
    expiring = on("qc-coamf", done, QC, date(2025, 12, 14))
    assert expiring.status == Status.EXPIRING
    assert [i.code for i in hours_issues(expiring)] == [IssueCode.STAGE_ENDS_SOON]
    assert on("qc-coamf", done, QC, date(2026, 3, 14)).status == Status.EXPIRING
    lapsed = on("qc-coamf", done, QC, date(2026, 3, 15))
    assert lapsed.status == Status.EXPIRED
    assert [i.code for i in lapsed.issues] == [IssueCode.STAGE_LAPSED]


def test_staged_extension_moves_the_deadline_up_to_the_longest_allowed():
    extended = cert(QC.issued_on, stage=QC.stage, expires_on=date(2027, 3, 14))
    assessment = on("qc-coamf", QC_HOURS, extended, date(2026, 3, 15))
    assert (assessment.status, assessment.valid_until) == (Status.COMPLIANT, date(2027, 3, 14))
    too_long = cert(QC.issued_on, stage=QC.stage, expires_on=date(2030, 1, 1))
    assert on("qc-coamf", QC_HOURS, too_long, date(2028, 3, 14)).valid_until == date(2028, 3, 14)
    assert on("qc-coamf", QC_HOURS, too_long, date(2028, 3, 15)).status == Status.EXPIRED


def test_staged_definitive_and_unrecorded_stages():
    definitive = cert(QC.issued_on, stage=CertificationStage.DEFINITIVE)
    assessment = on("qc-coamf", QC_HOURS, definitive, date(2026, 6, 1))
    assert assessment.status == Status.UNKNOWN_RULE  # Québec's CPD is unpublished
    assert {i.rule for i in hours_issues(assessment)} == {"validity", "continuing"}
    unrecorded = on("qc-coamf", QC_HOURS, cert(QC.issued_on), date(2026, 6, 1))
    assert unrecorded.status == Status.UNKNOWN_RULE
    assert [i.code for i in hours_issues(unrecorded)] == [IssueCode.STAGE_UNKNOWN]


# --- unknown rules, unverified certifications, precedence --------------------------------------


def test_unconfirmed_rules_give_unknown_rule():
    demf = on("fr-demf", [], cert(date(2015, 6, 1)), date(2025, 1, 1))
    assert demf.status == Status.UNKNOWN_RULE
    assert {i.rule for i in hours_issues(demf)} == {"continuing", "validity"}
    cmap = on("fr-cmap", [], cert(date(2024, 9, 1)), date(2025, 1, 1))
    assert (cmap.status, cmap.valid_until) == (Status.UNKNOWN_RULE, date(2025, 8, 31))
    assert on("fr-cmap", [], cert(date(2024, 9, 1)), date(2025, 9, 1)).status == Status.EXPIRED


def test_no_continuing_education_required_is_not_unknown():
    assert on("int-imi", [], cert(date(2020, 1, 1)), date(2025, 1, 1)).status == Status.COMPLIANT


def test_an_unverified_certification_is_unverified_unless_worse():
    unchecked = cert(date(2020, 3, 1), verified=False)
    assessment = on("de-zertifiziert", [rec(CE, 40, date(2021, 1, 1))], unchecked, date(2022, 1, 1))
    assert assessment.status == Status.UNVERIFIED
    assert IssueCode.CERTIFICATION_UNVERIFIED in {i.code for i in assessment.issues}
    short = on("de-zertifiziert", [], unchecked, date(2024, 3, 1))
    assert short.status == Status.HOURS_SHORT


def test_revoked_comes_first():
    revoked = cert(date(2024, 3, 1), revoked=True, verified=False)
    assessment = on("fr-cour-appel", [], revoked, date(2030, 1, 1))
    assert assessment.status == Status.REVOKED
    assert [i.code for i in assessment.issues] == [IssueCode.REVOKED]


def test_expired_hides_hours_and_unknown_rules():
    expired = cert(date(2015, 1, 1), expires_on=date(2020, 1, 1), verified=False)
    assessment = on("fr-demf", [], expired, date(2020, 1, 2))
    assert [i.code for i in assessment.issues] == [IssueCode.EXPIRED]


def test_the_status_precedence():
    assert PRECEDENCE == (
        Status.REVOKED,
        Status.EXPIRED,
        Status.HOURS_SHORT,
        Status.UNKNOWN_RULE,
        Status.UNVERIFIED,
        Status.EXPIRING,
        Status.COMPLIANT,
    )
    assert worst([]) == Status.COMPLIANT
    assert worst([Status.EXPIRING, Status.UNKNOWN_RULE, Status.UNVERIFIED]) == Status.UNKNOWN_RULE
    # Issues come most severe first.
    rules = SchemeRules(
        initial=(Threshold(Decimal(1)),),
        continuing=(
            Requirement(None, None, None),
            Requirement(Decimal(5), (SUP,), by_code("fr-ffcm").rules.continuing[0].period),
        ),
        validity=None,
    )
    assessment = assess([], cert(date(2020, 1, 1), verified=False), rules, date(2025, 2, 1))
    assert assessment.status == Status.HOURS_SHORT
    ranks = [PRECEDENCE.index(i.status) for i in assessment.issues]
    assert ranks == sorted(ranks)
    assert {i.status for i in assessment.issues} == {
        Status.HOURS_SHORT,
        Status.UNKNOWN_RULE,
        Status.UNVERIFIED,
        Status.COMPLIANT,
    }
