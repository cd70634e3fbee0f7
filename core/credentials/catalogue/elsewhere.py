"""International, North American and Québec schemes."""

from __future__ import annotations

from core.credentials.catalogue.seed import CPD, SchemeSeed, check, h
from core.credentials.models import TrainingKind as K
from core.credentials.rules import (
    Anchored,
    ExpiresAfter,
    Minimum,
    Permanent,
    Requirement,
    SchemeRules,
    Staged,
    Threshold,
)

IMI = (
    "https://imimediation.org/en/practitioners/competency-criteria",
    "https://imimediation.org/practitioners/becoming-imi-certified/appointing-a-reviewer",
    "https://imimediation.org/practitioners/collecting-feedback",
)
MEDIATE = (
    "https://www.mediate.com/mediator-certifications",
    "https://www.mediate.com/mediator-certifications/certification-faq",
)
QUEBEC = (
    "https://www.legisquebec.gouv.qc.ca/en/document/cr/C-25.01,%20r.%200.7",
    "https://www.coamf.org/fr/formation",
)

QAP = check(
    "Connaissances et compétences évaluées par un programme d'évaluation agréé (QAP).",
    "Knowledge and skills assessed by a Qualifying Assessment Program (QAP).",
    IMI[0],
)

ELSEWHERE = (
    SchemeSeed(
        code="int-imi",
        name="IMI Certified Mediator",
        issuing_body="International Mediation Institute (through its QAPs)",
        country="INT",
        sources=IMI,
        rules=SchemeRules(
            initial=(
                Threshold(h("200"), (K.MEDIATIONS_CONDUCTED,), conditions=(QAP,), sources=IMI[:1]),
                Threshold(
                    h("0"),
                    conditions=(
                        check("Au moins 20 médiations.", "At least 20 mediations.", IMI[0]),
                        QAP,
                    ),
                    sources=IMI[:1],
                ),
            ),
            # No minimum hours: continuing education is planned with the mediator's Reviewer.
            continuing=(),
            # No expiry is published: the listing is kept up by the conditions below.
            validity=Permanent(sources=IMI[1:]),
            conditions=(
                check(
                    "Plan de formation continue établi avec le Reviewer du médiateur.",
                    "Continuing education planned with the mediator's Reviewer.",
                    IMI[1],
                ),
                check(
                    "Synthèse des retours (Feedback Digest) mise à jour au moins tous les "
                    "2 ans ; contribution annuelle au référencement (ou dispense).",
                    "Feedback Digest updated at least every 2 years; yearly listing "
                    "contribution (or waiver).",
                    IMI[2],
                ),
                check(
                    "Déclarer un code de conduite et une procédure de réclamation.",
                    "Declare a code of conduct and a complaints process.",
                    IMI[0],
                ),
            ),
        ),
    ),
    SchemeSeed(
        code="us-mediate-com",
        name="Mediate.com Certified Mediator",
        issuing_body="Mediate.com",
        country="US",
        sources=MEDIATE,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("300"),
                    (K.INITIAL_TRAINING, K.MEDIATIONS_CONDUCTED),
                    minimums=(
                        Minimum(K.INITIAL_TRAINING, h("100")),
                        Minimum(K.MEDIATIONS_CONDUCTED, h("200")),
                    ),
                    sources=MEDIATE[:1],
                ),
            ),
            # The badge is renewed every year: the year runs from the renewal.
            continuing=(Requirement(h("12"), CPD, Anchored(12), sources=MEDIATE),),
            validity=ExpiresAfter(12, sources=MEDIATE),
            conditions=(
                check(
                    "Être membre Premium ou Featured.",
                    "Premium or Featured membership.",
                    *MEDIATE,
                ),
                check(
                    "Publier ses honoraires, son expérience et son assurance ; références "
                    "disponibles.",
                    "Disclose fees, experience and insurance status; references available.",
                    MEDIATE[0],
                ),
            ),
        ),
    ),
    SchemeSeed(
        code="qc-coamf",
        name="Médiateur familial accrédité (Québec)",
        issuing_body="Ordres professionnels désignés / COAMF (C-25.01, r. 0.7)",
        country="CA-QC",
        sources=QUEBEC,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("60"),
                    within_months=60,
                    conditions=(
                        check(
                            "Au moins 15 h en matière économique et juridique, 15 h en "
                            "matière psychosociale, 24 h sur le processus et 6 h sur la "
                            "violence conjugale.",
                            "At least 15 h on economic and legal matters, 15 h on "
                            "psychosocial matters, 24 h on the process and 6 h on "
                            "domestic violence.",
                            *QUEBEC,
                        ),
                    ),
                    sources=QUEBEC,
                ),
            ),
            continuing=None,
            validity=None,
            # Accreditation "with undertaking", definitive once the undertaking is met.
            staged=Staged(
                months=24,
                extension_months=24,
                threshold=Threshold(
                    h("45"),
                    (K.INITIAL_TRAINING, K.CONTINUING_EDUCATION),
                    conditions=(
                        check(
                            "10 mandats de médiation supervisés.",
                            "10 supervised mediation mandates.",
                            *QUEBEC,
                        ),
                    ),
                    sources=QUEBEC,
                ),
                sources=QUEBEC,
            ),
            conditions=(
                check(
                    "Membre d'un ordre professionnel désigné et 3 ans d'expérience.",
                    "Member of a listed professional order and 3 years' experience.",
                    *QUEBEC,
                ),
            ),
        ),
    ),
)
