"""Compliance issues in words, in French and English.

The sentences are kept here as plain dictionaries rather than in the gettext catalogue:
the engine runs without a Flask app (jobs, tests, exports), and the hand-checked
conditions it quotes are already bilingual data of the scheme. Dates and hours are
formatted by Babel for the language asked for.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from core.credentials.compliance.model import Issue, IssueCode
from core.credentials.models import TrainingKind

LANGUAGES = ("fr", "en")

KINDS: dict[str, dict[TrainingKind, str]] = {
    "fr": {
        TrainingKind.INITIAL_TRAINING: "formation initiale",
        TrainingKind.CONTINUING_EDUCATION: "formation continue",
        TrainingKind.SUPERVISION: "supervision / analyse de pratique",
        TrainingKind.CONFERENCE: "colloques",
        TrainingKind.TEACHING: "enseignement",
        TrainingKind.MEDIATIONS_CONDUCTED: "pratique de la médiation",
    },
    "en": {
        TrainingKind.INITIAL_TRAINING: "initial training",
        TrainingKind.CONTINUING_EDUCATION: "continuing education",
        TrainingKind.SUPERVISION: "supervision / practice analysis",
        TrainingKind.CONFERENCE: "conferences",
        TrainingKind.TEACHING: "teaching",
        TrainingKind.MEDIATIONS_CONDUCTED: "mediation practice",
    },
}

SENTENCES: dict[str, dict[str, str]] = {
    "fr": {
        "revoked": "La certification a été retirée.",
        "expired": "La certification était valable jusqu'au {end}.",
        "expires_soon": "La certification est valable jusqu'au {due} : pensez à la renouveler.",
        "stage_lapsed": ("L'accréditation provisoire a pris fin le {end} sans devenir définitive."),
        "stage_ends_soon": (
            "L'accréditation provisoire prend fin le {due} : les conditions de "
            "l'accréditation définitive doivent être remplies d'ici là."
        ),
        "certification_unverified": "La certification n'a pas encore été vérifiée.",
        "stage_unknown": (
            "L'étape de la certification (provisoire ou définitive) n'est pas renseignée."
        ),
        "unknown.initial": "La formation initiale exigée pour cette certification n'est pas "
        "encore connue.",
        "unknown.continuing": "La règle de formation continue de cette certification n'est "
        "pas encore connue.",
        "unknown.validity": "La durée de validité de cette certification n'est pas encore "
        "connue et le document n'indique pas de date d'expiration.",
        "unknown.stage": "La durée de l'accréditation provisoire n'est pas encore connue.",
        "check_by_hand": "À vérifier manuellement : {condition}",
        "missing": "Il manque {hours} h {of_kinds} pour la période du {start} au {end} "
        "(exigence : {required} h).",
        "missing_ever": "Il manque encore {hours} h {of_kinds} (exigence : {required} h).",
        "due": "{hours} h {of_kinds} à effectuer d'ici le {due}, pour la période du {start} "
        "au {end} (exigence : {required} h).",
        "due_rolling": "{hours} h {of_kinds} à effectuer d'ici le {due} pour conserver "
        "{required} h sur toute période de {months} mois jusqu'au {end}.",
        "pending": "En attente de vérification : {hours} h {of_kinds}.",
        "window_lapses": "À partir du {due}, la période de {months} mois du {start} au {end} "
        "comptera moins de {required} h {of_kinds}.",
    },
    "en": {
        "revoked": "The certification has been revoked.",
        "expired": "The certification was valid until {end}.",
        "expires_soon": "The certification is valid until {due}: remember to renew it.",
        "stage_lapsed": (
            "The provisional accreditation ended on {end} without becoming definitive."
        ),
        "stage_ends_soon": (
            "The provisional accreditation ends on {due}: the conditions for definitive "
            "accreditation must be met by then."
        ),
        "certification_unverified": "The certification has not been verified yet.",
        "stage_unknown": ("The certification's stage (provisional or definitive) is not recorded."),
        "unknown.initial": "The initial training this certification requires is not known yet.",
        "unknown.continuing": "The continuing-education rule of this certification is not "
        "known yet.",
        "unknown.validity": "How long this certification is valid is not known yet, and the "
        "document shows no expiry date.",
        "unknown.stage": "How long the provisional accreditation lasts is not known yet.",
        "check_by_hand": "To check by hand: {condition}",
        "missing": "{hours} h {of_kinds} missing for the period from {start} to {end} "
        "({required} h required).",
        "missing_ever": "{hours} h {of_kinds} still needed ({required} h required).",
        "due": "{hours} h {of_kinds} needed by {due}, for the period from {start} to {end} "
        "({required} h required).",
        "due_rolling": "{hours} h {of_kinds} needed by {due} to keep {required} h in every "
        "{months}-month period until {end}.",
        "pending": "Awaiting verification: {hours} h {of_kinds}.",
        "window_lapses": "From {due}, the {months} months from {start} to {end} will hold "
        "less than {required} h {of_kinds}.",
    },
}


def _language(locale: str) -> str:
    language = str(locale).replace("-", "_").split("_")[0].lower()
    if language not in LANGUAGES:
        raise ValueError(f"no wording for locale {locale!r} (have: {', '.join(LANGUAGES)})")
    return language


def _day(day: date | None, language: str) -> str:
    if day is None:
        return ""
    text = format_date(day, "d MMMM y", locale=language)
    # French writes the first of the month as an ordinal: "1er janvier".
    return f"1er{text[1:]}" if language == "fr" and day.day == 1 else text


def _hours(hours: Decimal | None, language: str) -> str:
    return format_decimal(hours or 0, locale=language)


def _of_kinds(kinds: tuple[TrainingKind, ...], language: str) -> str:
    names = [KINDS[language][kind] for kind in kinds]
    alternative = " ou " if language == "fr" else " or "
    phrase = names[0] if len(names) == 1 else ", ".join(names[:-1]) + alternative + names[-1]
    if language == "en":
        return f"of {phrase}"
    return f"d'{phrase}" if phrase[0] in "aeiouéè" else f"de {phrase}"


def _hours_sentences(issue: Issue, language: str, fields: dict[str, str]) -> str:
    sentences = SENTENCES[language]
    parts = []
    if issue.hours_due:
        if issue.window_months is not None and issue.due_on is not None:
            key = "due_rolling"
        elif issue.code == IssueCode.DUE and issue.due_on is not None:
            key = "due"
        elif issue.code == IssueCode.SHORTFALL and issue.end is not None:
            key = "missing"
        else:
            key = "missing_ever"
        parts.append(sentences[key].format(**fields))
    if issue.pending_hours:
        parts.append(
            sentences["pending"].format(**{**fields, "hours": fields["pending"]}),
        )
    return " ".join(parts)


def describe(issue: Issue, locale: str) -> str:
    """The issue as a sentence (or two) in `locale`'s language: "fr" or "en"."""
    language = _language(locale)
    fields = {
        "hours": _hours(issue.hours_due, language),
        "pending": _hours(issue.pending_hours, language),
        "required": _hours(issue.required_hours, language),
        "of_kinds": _of_kinds(issue.kinds, language) if issue.kinds else "",
        "start": _day(issue.start, language),
        "end": _day(issue.end, language),
        "due": _day(issue.due_on, language),
        "months": str(issue.window_months or ""),
        "condition": issue.condition.get(language) if issue.condition else "",
    }
    if issue.code in (IssueCode.SHORTFALL, IssueCode.DUE, IssueCode.PENDING_VERIFICATION):
        return _hours_sentences(issue, language, fields)
    key = f"unknown.{issue.rule}" if issue.code == IssueCode.UNKNOWN_RULE else issue.code.value
    return SENTENCES[language][key].format(**fields)
