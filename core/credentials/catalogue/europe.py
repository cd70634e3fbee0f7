"""Schemes of Belgium, Germany and the United Kingdom."""

from __future__ import annotations

from datetime import date

from core.credentials.catalogue.seed import CPD, SchemeSeed, check, h
from core.credentials.models import TrainingKind as K
from core.credentials.rules import (
    Anchored,
    CalendarYear,
    Condition,
    ExpiresAfter,
    FixedCycle,
    Permanent,
    Requirement,
    Rolling,
    SchemeRules,
    Text,
    Threshold,
)

CFM = (
    "https://www.fbc-cfm.be/fr/content/procedure-dagrement",
    "https://www.fbc-cfm.be/fr/faq-list/quand-un-dossier-doit-il-etre-introduit-pour-la-formation-permanente",
    "https://www.cfm-fbc.be/fr/content/agrement-de-formations",
)
DE = (
    "https://www.wiki-to-yes.org/ZMediatAusbV-§3",
    "https://blog.otto-schmidt.de/mediation/?p=814",
    "https://www.mediation-transformativ.de/neue-zmediatausbv",
)
CEDR = (
    "https://learn.cedr.com/knowledge-base/how-am-i-assessed-for-accreditation",
    "https://www.cedr.com/commercial/cedrmediators/qualitycommitment",
)
CMC = (
    "https://civilmediation.org/membership/membership-rules",
    "https://civilmediation.org/coronavirus",
    "https://www.promediate.co.uk/what-does-it-mean-to-new-mediators-...",
    "https://www.lux-mediation.com/...",
)
COLLEGE = ("https://www.collegeofmediators.co.uk/membership/eligibility",)
FMC = ("https://www.actuariesforlawyers.com/cpd-fmc",)


def insurance_1m(*sources: str) -> Condition:
    return check(
        "Assurance responsabilité civile professionnelle d'au moins 1 M£.",
        "Professional indemnity insurance of at least £1M.",
        *sources,
    )


BELGIUM_GERMANY = (
    SchemeSeed(
        code="be-cfm",
        name="Médiateur agréé (Belgique)",
        issuing_body="Commission fédérale de médiation (Code judiciaire, art. 1726-1727)",
        country="BE",
        sources=CFM,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("130"),
                    conditions=(
                        check(
                            "Au moins 100 h de formation commune et 30 h de spécialisation ; "
                            "en matière familiale, 160 h dont 60 h de spécialisation.",
                            "At least 100 h of common training and 30 h of specialisation; "
                            "for family mediation, 160 h including 60 h of specialisation.",
                            CFM[0],
                            CFM[2],
                        ),
                    ),
                    sources=(CFM[0], CFM[2]),
                ),
            ),
            continuing=(
                # Cycles of two calendar years from an odd year; proof by 31 January.
                Requirement(
                    h("18"),
                    CPD,
                    FixedCycle(24, start=date(2025, 1, 1), grace_days=31),
                    sources=CFM[1:2],
                ),
            ),
            # The approval is kept while the continuing education is done.
            validity=Permanent(sources=CFM[:1]),
            conditions=(
                check(
                    "Bachelier et 2 ans d'expérience professionnelle, ou 5 ans d'expérience.",
                    "A bachelor's degree and 2 years' work, or 5 years' work.",
                    CFM[0],
                ),
                check(
                    "Extrait de casier judiciaire.",
                    "Criminal record extract.",
                    CFM[0],
                ),
                check(
                    "Attestation d'assurance à chaque cycle.",
                    "Insurance certificate each cycle.",
                    CFM[1],
                ),
            ),
            note=Text(
                "Une ancienne page de la CFM indique 90 h (60 + 30) : remplacée par 130 h.",
                "An older CFM page says 90 h (60 + 30): superseded by 130 h.",
            ),
        ),
    ),
    SchemeSeed(
        code="de-zertifiziert",
        name="Zertifizierter Mediator",
        issuing_body="Selbstzertifizierung (MediationsG §5 Abs. 2, §6; ZMediatAusbV)",
        country="DE",
        sources=DE,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("130"),
                    conditions=(
                        check(
                            "Depuis le 1er mars 2024 : au moins 78 h en présence (40 % au "
                            "plus en ligne) et 5 cas supervisés pendant la formation.",
                            "Since 1 March 2024: at least 78 h in person (at most 40% "
                            "online) and 5 supervised cases during the training.",
                            *DE,
                        ),
                    ),
                    sources=DE,
                ),
                Threshold(
                    h("120"),
                    conditions=(
                        check(
                            "Formation commencée au plus tard le 29 février 2024 et achevée "
                            "au plus tard le 29 février 2028 : 1 supervision pendant la "
                            "formation, puis 4 dans les 2 ans.",
                            "Training begun by 29 February 2024 and finished by "
                            "29 February 2028: 1 supervision during the training, then 4 "
                            "within 2 years.",
                            *DE[1:],
                        ),
                    ),
                    sources=DE[1:],
                ),
            ),
            # The 4 years run from the training certificate, recorded as the issue date.
            continuing=(Requirement(h("40"), CPD, Anchored(48), sources=DE[:2]),),
            # The right to the title lapses when the continuing education is missed.
            validity=Permanent(sources=DE[:2]),
        ),
    ),
)

UNITED_KINGDOM = (
    SchemeSeed(
        code="uk-cedr",
        name="CEDR Accredited Mediator",
        issuing_body="CEDR",
        country="GB",
        sources=CEDR,
        rules=SchemeRules(
            initial=(
                Threshold(
                    None,
                    conditions=(
                        check(
                            "Formation Mediator Skills Training : les 2 derniers jours sont "
                            "des jeux de rôle évalués sur 6 compétences, suivis de travaux "
                            "obligatoires.",
                            "Mediator Skills Training: the last 2 days are role-plays "
                            "assessed against 6 competencies, plus compulsory post-course "
                            "assignments.",
                            CEDR[0],
                        ),
                    ),
                    sources=CEDR[:1],
                ),
            ),
            continuing=None,
            validity=None,
        ),
    ),
    SchemeSeed(
        code="uk-cedr-panel",
        name="CEDR panel mediator",
        issuing_body="CEDR",
        country="GB",
        sources=CEDR,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("0"),
                    conditions=(
                        check("Être médiateur accrédité CEDR.", "CEDR accreditation.", *CEDR),
                    ),
                    sources=CEDR,
                ),
            ),
            continuing=(Requirement(h("6"), CPD, Rolling(12), sources=CEDR[1:]),),
            # The panel is reviewed every year.
            validity=ExpiresAfter(12, sources=CEDR[1:]),
            conditions=(
                check(
                    "Au moins 2 médiations conduites ou observées par an.",
                    "At least 2 mediations conducted or observed a year.",
                    CEDR[1],
                ),
                insurance_1m(*CEDR[1:]),
            ),
        ),
    ),
    SchemeSeed(
        code="uk-cmc",
        name="CMC Registered Mediator",
        issuing_body="Civil Mediation Council",
        country="GB",
        sources=CMC,
        rules=SchemeRules(
            initial=(
                Threshold(
                    None,
                    conditions=(
                        check(
                            "Formation agréée par le CMC (au moins une journée en présence "
                            "selon un organisme) ; Associate puis Registered après 10 points "
                            "d'observation ou d'expérience (source secondaire).",
                            "A CMC-approved training course (at least one day in person, per "
                            "a provider); Associate, then Registered after 10 observation or "
                            "experience points (secondary source).",
                            *CMC[2:],
                        ),
                    ),
                    sources=CMC[2:],
                ),
            ),
            # The year runs from the yearly renewal, which checks the previous year.
            continuing=(Requirement(h("6"), CPD, Anchored(12), sources=CMC[:1]),),
            validity=ExpiresAfter(12, sources=CMC[:1]),
            conditions=(
                check(
                    "Au moins 2 médiations conduites ou observées l'année précédente.",
                    "At least 2 mediations conducted or observed in the previous year.",
                    CMC[0],
                ),
                insurance_1m(*CMC[2:]),
                check(
                    "Code de conduite et procédure de réclamation (source secondaire).",
                    "Code of conduct and complaints procedure (secondary source).",
                    *CMC[2:],
                ),
                check(
                    "Depuis janvier 2022, tout membre exerçant en matière civile ou du "
                    "travail doit être régulé.",
                    "Since January 2022 every practising civil or workplace member must "
                    "be regulated.",
                    CMC[1],
                ),
            ),
        ),
    ),
    SchemeSeed(
        code="uk-college-of-mediators",
        name="College of Mediators member",
        issuing_body="College of Mediators",
        country="GB",
        sources=COLLEGE,
        rules=SchemeRules(
            initial=None,
            continuing=(
                Requirement(h("10"), (K.MEDIATIONS_CONDUCTED,), CalendarYear(), sources=COLLEGE),
                Requirement(h("4"), (K.SUPERVISION,), CalendarYear(), sources=COLLEGE),
                Requirement(h("10"), CPD, CalendarYear(), sources=COLLEGE),
            ),
            validity=None,
            conditions=(
                check(
                    "Au moins 2 des 4 h de supervision en individuel.",
                    "At least 2 of the 4 hours of supervision one-to-one.",
                    *COLLEGE,
                ),
            ),
        ),
    ),
    SchemeSeed(
        code="uk-fmc",
        name="FMC accredited family mediator",
        issuing_body="Family Mediation Council",
        country="GB",
        sources=FMC,
        rules=SchemeRules(
            initial=None,
            # Renewal asks for a record of continuing education; its hours are unknown.
            continuing=(Requirement(None, None, None, sources=FMC),),
            validity=ExpiresAfter(36, sources=FMC),
        ),
    ),
)
