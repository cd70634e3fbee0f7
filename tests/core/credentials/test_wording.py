"""Compliance issues in French and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.credentials.catalogue import by_code
from core.credentials.compliance import (
    CertificationFacts,
    Issue,
    IssueCode,
    Record,
    Status,
    assess,
    eligibility,
)
from core.credentials.compliance.wording import SENTENCES, describe
from core.credentials.models import CertificationStage
from core.credentials.models import TrainingKind as K
from core.credentials.rules import Text


def rec(kind: K, hours, day: date, verified: bool = True, mediations: int = 0) -> Record:
    return Record(kind, Decimal(str(hours)), day, verified, mediations)


def words(code: str, records, certification, day: date) -> list[tuple[str, str]]:
    assessment = assess(records, certification, by_code(code).rules, day)
    return [
        (describe(i, "fr"), describe(i, "en"))
        for i in assessment.issues
        if i.code != IssueCode.CHECK_BY_HAND
    ]


def test_hours_missing_for_a_closed_period_and_due_for_the_open_one():
    records = [
        rec(K.CONTINUING_EDUCATION, 10, date(2025, 3, 1)),
        rec(K.SUPERVISION, 6.5, date(2025, 5, 1)),
    ]
    said = words("fr-ffcm", records, CertificationFacts(date(2024, 6, 1)), date(2026, 1, 1))
    assert said[0] == (
        "Il manque 3,5 h de supervision / analyse de pratique pour la période du "
        "1er janvier 2025 au 31 décembre 2025 (exigence : 10 h).",
        "3.5 h of supervision / practice analysis missing for the period from "
        "1 January 2025 to 31 December 2025 (10 h required).",
    )
    assert (
        "10 h de formation continue, colloques ou enseignement à effectuer d'ici le "
        "31 décembre 2026, pour la période du 1er janvier 2026 au 31 décembre 2026 "
        "(exigence : 10 h).",
        "10 h of continuing education, conferences or teaching needed by 31 December 2026, "
        "for the period from 1 January 2026 to 31 December 2026 (10 h required).",
    ) in said


def test_rolling_hours_and_pending_records():
    records = [
        rec(K.CONTINUING_EDUCATION, 6, date(2025, 3, 1)),
        rec(K.CONFERENCE, 2, date(2025, 9, 1), verified=False),
    ]
    said = words("uk-cedr-panel", records, CertificationFacts(date(2025, 6, 1)), date(2025, 12, 1))
    assert said == [
        (
            "4 h de formation continue ou colloques à effectuer d'ici le 1er mars 2026 pour "
            "conserver 6 h sur toute période de 12 mois jusqu'au 1er mars 2026. "
            "En attente de vérification : 2 h de formation continue ou colloques.",
            "4 h of continuing education or conferences needed by 1 March 2026 to keep 6 h in "
            "every 12-month period until 1 March 2026. "
            "Awaiting verification: 2 h of continuing education or conferences.",
        )
    ]


def test_an_earlier_window_about_to_lapse():
    records = [rec(K.SUPERVISION, 20, date(2024, 1, 10)), rec(K.SUPERVISION, 20, date(2025, 9, 1))]
    facts = CertificationFacts(date(2020, 1, 1), expires_on=date(2030, 12, 31))
    assert words("fr-anm", records, facts, date(2026, 1, 9)) == [
        (
            "À partir du 10 janvier 2026, la période de 12 mois du 11 janvier 2024 au "
            "10 janvier 2025 comptera moins de 20 h de formation continue, supervision / "
            "analyse de pratique ou colloques.",
            "From 10 January 2026, the 12 months from 11 January 2024 to 10 January 2025 will "
            "hold less than 20 h of continuing education, supervision / practice analysis or "
            "conferences.",
        )
    ]


def test_validity_and_stages():
    facts = CertificationFacts(date(2024, 3, 1))
    assert words("fr-cour-appel", [], facts, date(2026, 12, 1)) == [
        (
            "La certification est valable jusqu'au 31 décembre 2026 : pensez à la renouveler.",
            "The certification is valid until 31 December 2026: remember to renew it.",
        )
    ]
    assert words("fr-cour-appel", [], facts, date(2027, 1, 1)) == [
        (
            "La certification était valable jusqu'au 31 décembre 2026.",
            "The certification was valid until 31 December 2026.",
        )
    ]
    provisional = CertificationFacts(date(2024, 3, 15), stage=CertificationStage.PROVISIONAL)
    assert words("qc-coamf", [], provisional, date(2026, 3, 15)) == [
        (
            "L'accréditation provisoire a pris fin le 14 mars 2026 sans devenir définitive.",
            "The provisional accreditation ended on 14 March 2026 without becoming definitive.",
        )
    ]
    ending = words("qc-coamf", [], provisional, date(2026, 3, 1))
    assert ending[0] == (
        "L'accréditation provisoire prend fin le 14 mars 2026 : les conditions de "
        "l'accréditation définitive doivent être remplies d'ici là.",
        "The provisional accreditation ends on 14 March 2026: the conditions for definitive "
        "accreditation must be met by then.",
    )
    assert ending[1][1].startswith("45 h of initial training or continuing education needed")


def test_unknowns_unverified_and_revoked():
    assert words(
        "fr-demf", [], CertificationFacts(date(2015, 1, 1), verified=False), date(2025, 1, 1)
    ) == [
        (
            "La durée de validité de cette certification n'est pas encore connue et le document "
            "n'indique pas de date d'expiration.",
            "How long this certification is valid is not known yet, and the document shows no "
            "expiry date.",
        ),
        (
            "La règle de formation continue de cette certification n'est pas encore connue.",
            "The continuing-education rule of this certification is not known yet.",
        ),
        (
            "La certification n'a pas encore été vérifiée.",
            "The certification has not been verified yet.",
        ),
    ]
    assert words(
        "fr-demf", [], CertificationFacts(date(2015, 1, 1), revoked=True), date(2025, 1, 1)
    ) == [("La certification a été retirée.", "The certification has been revoked.")]
    assert words("qc-coamf", [], CertificationFacts(date(2024, 1, 1)), date(2025, 1, 1)) == [
        (
            "L'étape de la certification (provisoire ou définitive) n'est pas renseignée.",
            "The certification's stage (provisional or definitive) is not recorded.",
        )
    ]


def test_eligibility_and_hand_checks():
    assessment = eligibility(
        [rec(K.TEACHING, 12, date(2020, 1, 1))], by_code("fr-ffcm").rules, date(2025, 1, 1)
    )
    first, check, *_ = assessment.issues
    assert (
        describe(first, "fr") == "Il manque encore 188 h de formation initiale (exigence : 200 h)."
    )
    assert describe(first, "en") == "188 h of initial training still needed (200 h required)."
    assert describe(check, "fr").startswith("À vérifier manuellement : 40 h de formation initiale")
    assert describe(check, "en").startswith("To check by hand: 40 h of foundation")
    unknown = eligibility([], by_code("fr-cnm").rules, date(2025, 1, 1)).issues[0]
    assert (
        describe(unknown, "en")
        == "The initial training this certification requires is not known yet."
    )


def test_french_elides_before_a_vowel():
    issue = Issue(
        IssueCode.SHORTFALL,
        Status.HOURS_SHORT,
        kinds=(K.TEACHING,),
        hours_due=Decimal("1.25"),
        pending_hours=Decimal(0),
        required_hours=Decimal(20),
    )
    assert describe(issue, "fr") == "Il manque encore 1,25 h d'enseignement (exigence : 20 h)."
    assert describe(issue, "en") == "1.25 h of teaching still needed (20 h required)."


@pytest.mark.parametrize("locale", ["fr", "fr_FR", "fr-BE", "FR"])
def test_regional_french_locales_read_as_french(locale):
    issue = Issue(IssueCode.REVOKED, Status.REVOKED)
    assert describe(issue, locale) == "La certification a été retirée."


def test_a_language_without_wording_is_refused():
    with pytest.raises(ValueError, match="no wording for locale 'de'"):
        describe(Issue(IssueCode.REVOKED, Status.REVOKED), "de")


def test_every_issue_has_words_in_both_languages():
    assert SENTENCES["fr"].keys() == SENTENCES["en"].keys()
    for code in IssueCode:
        if code in (IssueCode.SHORTFALL, IssueCode.DUE, IssueCode.PENDING_VERIFICATION):
            continue
        rules = (
            ("initial", "continuing", "validity", "stage")
            if code == IssueCode.UNKNOWN_RULE
            else (None,)
        )
        for rule in rules:
            issue = Issue(
                code,
                Status.COMPLIANT,
                kinds=(K.SUPERVISION,),
                required_hours=Decimal(4),
                start=date(2025, 1, 1),
                end=date(2025, 12, 31),
                due_on=date(2026, 1, 1),
                window_months=12,
                rule=rule,
                condition=Text("Assurance.", "Insurance."),
            )
            for language in ("fr", "en"):
                sentence = describe(issue, language)
                assert sentence and "{" not in sentence and "None" not in sentence
