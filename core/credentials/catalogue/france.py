"""French schemes: State diploma, court lists, professional bodies."""

from __future__ import annotations

from datetime import date

from core.credentials.catalogue.seed import SchemeSeed, check, h
from core.credentials.models import TrainingKind as K
from core.credentials.rules import (
    CalendarYear,
    Credit,
    EndOfCycle,
    ExpiresAfter,
    Permanent,
    Requirement,
    Rolling,
    SchemeRules,
    Text,
    Threshold,
)

DEMF = (
    "https://legal.tricoteuses.fr/articles/JORFARTI000049694850",
    "https://www.ash.tm.fr/hebdo/2791/...",
    "https://www.lemediasocial.fr/mediateur-familial-l-acquisition-du-diplome-d-etat-par-blocs-bientot-possible_vzSZId",
    "https://www.apmf.fr/la-mediation-familiale/diplome",
)
COUR_APPEL = (
    "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000035764674",
    "https://legal.tricoteuses.fr/articles/JORFARTI000043081227",
    "https://www.syme.eu/articles/116579-...",
)
CNMA = (
    "https://www.steco.fr/avocats-mediateurs-mise-en-place-dun-annuaire-en-ligne",
    "https://chantaljamet.fr/2018/10/27/...",
    "https://www.cnb.avocat.fr/centre-national-de-mediation-des-avocats",
)
CNM = (
    "https://www.legifrance.gouv.fr/loda/article_lc/LEGIARTI000044557475",
    "https://blog.landot-avocats.net/2022/10/26/...",
)
CECMC = (
    "Légifrance: Code de la consommation, livre VI, titre I, chapitre III (version 2016)",
    "https://www.medicys-consommation.fr/qui-peut-etre-mediateur-de-la-consommation",
)
FFCM = (
    "https://www.ffcmediation.org/?p=11022",
    "https://www.ffcmediation.org/la-ffcm/le-label-ffcm.html",
)
ANM = ("https://www.anm-mediation.com/page-categorie.php?categorie=11&page=4",)
CMAP = (
    "https://www.cmap.fr/our-offer-mediation/?lang=en",
    "https://www.cmap.fr/our-offer/mediation/who-are-our-mediators/?lang=en",
)

FRANCE = (
    SchemeSeed(
        code="fr-demf",
        name="Diplôme d'État de médiateur familial (DEMF)",
        issuing_body="Ministère des affaires sociales (jury régional, CASF R.451-71)",
        country="FR",
        sources=DEMF,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("595"),
                    conditions=(
                        check(
                            "Dont 105 h de stage pratique ; formation suivie en 3 ans au plus "
                            "(théorie 490 h : 315 h de médiation, 63 h de droit, 63 h de "
                            "psychologie, 35 h de sociologie, 14 h de mémoire).",
                            "Including a 105 h practical placement, within 3 years at most "
                            "(theory 490 h: 315 h mediation, 63 h law, 63 h psychology, "
                            "35 h sociology, 14 h thesis).",
                            *DEMF[:1],
                        ),
                    ),
                    sources=DEMF,
                ),
                # The by-bloc route (arrêté of 4 June 2024) has variable hours.
                Threshold(
                    None,
                    conditions=(
                        check(
                            "Parcours par blocs de compétences (arrêté du 4 juin 2024, en "
                            "vigueur le 1er septembre 2024).",
                            "Route by skill blocks (arrêté of 4 June 2024, in force on "
                            "1 September 2024).",
                            *DEMF[1:3],
                        ),
                    ),
                    sources=DEMF[1:3],
                ),
                Threshold(
                    h("0"),
                    conditions=(
                        check(
                            "Validation des acquis de l'expérience (VAE) par le jury.",
                            "Validation of prior experience (VAE) by the jury.",
                            *DEMF[1:3],
                        ),
                    ),
                    sources=DEMF[1:3],
                ),
            ),
            continuing=None,
            validity=None,
            conditions=(
                check(
                    "Accès : diplôme de niveau 5 (social, santé) ou 6 (droit, psychologie, "
                    "sociologie), ou niveau 5 et 3 ans d'expérience.",
                    "Entry: a level 5 diploma (social work, health) or level 6 (law, "
                    "psychology, sociology), or level 5 and 3 years' experience.",
                    *DEMF,
                ),
            ),
            note=Text(
                "Le DEMF n'est pas exigé par la loi pour exercer la médiation familiale.",
                "The DEMF is not legally required to practise family mediation.",
            ),
        ),
    ),
    SchemeSeed(
        code="fr-cour-appel",
        name="Liste des médiateurs près la cour d'appel",
        issuing_body="Cour d'appel (assemblée générale des magistrats du siège)",
        country="FR",
        sources=COUR_APPEL,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("0"),
                    conditions=(
                        check(
                            "Justifier d'une formation ou d'une expérience attestant "
                            "l'aptitude à la pratique de la médiation (décret 2017-1457, "
                            "art. 2) ; aucun volume horaire n'est fixé.",
                            "Proof of training or experience showing fitness to practise "
                            "mediation (décret 2017-1457, art. 2); no number of hours is set.",
                            COUR_APPEL[0],
                        ),
                    ),
                    sources=COUR_APPEL[:1],
                ),
            ),
            # No hours are set: the proof of training is checked with each application.
            continuing=(),
            validity=EndOfCycle(date(2024, 1, 1), 36, sources=COUR_APPEL[1:]),
            conditions=(
                check(
                    "À chaque demande : justificatifs de formation continue et d'analyse de "
                    "pratique ou de supervision des 3 années précédentes (arrêté du "
                    "29 janvier 2021 ; aucun volume horaire fixé).",
                    "With each application: proof of continuing education and of practice "
                    "analysis or supervision over the previous 3 years (arrêté of "
                    "29 January 2021; no number of hours set).",
                    *COUR_APPEL[1:],
                ),
                check(
                    "Aucune mention au bulletin n° 2 du casier judiciaire ; aucune sanction "
                    "disciplinaire.",
                    "No entry in bulletin no. 2 of the criminal record; no disciplinary sanction.",
                    COUR_APPEL[0],
                ),
                check(
                    "Prestation de serment (sauf professions juridiques réglementées).",
                    "Oath taken (regulated legal professions exempt).",
                    COUR_APPEL[0],
                ),
            ),
            note=Text(
                "Toutes les inscriptions expirent 3 ans après la publication de la liste "
                "(listes en cours depuis le 1er janvier 2024) ; sections distinctes pour "
                "les médiateurs familiaux et les services en ligne.",
                "Every registration expires 3 years after the list's publication (current "
                "lists since 1 January 2024); separate sections for family mediators and "
                "online services.",
            ),
        ),
    ),
    SchemeSeed(
        code="fr-cnma",
        name="Annuaire des avocats médiateurs (CNMA)",
        issuing_body="Conseil national des barreaux / Centre national de médiation des avocats",
        country="FR",
        sources=CNMA,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("200"),
                    conditions=(
                        check(
                            "140 h de pratique et 60 h de théorie (synthèse de 2017).",
                            "140 h of practice and 60 h of theory (2017 summary).",
                            CNMA[0],
                        ),
                    ),
                    sources=CNMA[:1],
                ),
                Threshold(
                    h("140"),
                    conditions=(
                        check(
                            "Une expérience pratique compensant les 60 h manquantes.",
                            "Practical experience making up the missing 60 h.",
                            CNMA[0],
                        ),
                    ),
                    sources=CNMA[:1],
                ),
            ),
            continuing=None,
            validity=None,
            note=Text(
                "La voie transitoire (4 ans de pratique et 10 médiations) a pris fin le "
                "30 juin 2018. Le Conseil d'État (25 oct. 2018, n° 411373) a annulé "
                "l'obligation d'être inscrit au CNMA pour se dire avocat médiateur. "
                "L'inscription simplifie la demande d'inscription sur la liste de la "
                "cour d'appel.",
                "The transitional route (4 years' practice and 10 mediations) ended on "
                "30 June 2018. The Conseil d'État (25 Oct 2018, no. 411373) struck out "
                "the duty to be listed before a lawyer may mention being a mediator. "
                "Listed lawyers get a simplified cour d'appel application.",
            ),
        ),
    ),
    SchemeSeed(
        code="fr-cnm",
        name="Conseil national de la médiation",
        issuing_body="Ministère de la Justice (loi 95-125, art. 21-6 ; décret 2022-1353)",
        country="FR",
        sources=CNM,
        rules=SchemeRules(
            initial=None,
            continuing=None,
            validity=None,
            note=Text(
                "Chargé par la loi de proposer des référentiels nationaux de formation, un "
                "code de déontologie et les conditions d'inscription sur les listes des "
                "cours d'appel ; aucun référentiel publié.",
                "Required by law to propose national training frameworks, a code of "
                "ethics and the cour d'appel listing conditions; no framework published.",
            ),
        ),
    ),
    SchemeSeed(
        code="fr-cecmc",
        name="Médiateur de la consommation (liste CECMC)",
        issuing_body="Commission d'évaluation et de contrôle de la médiation de la consommation",
        country="FR",
        sources=CECMC,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("0"),
                    conditions=(
                        check(
                            "Aptitudes dans le domaine de la médiation et bonnes "
                            "connaissances juridiques, notamment en droit de la "
                            "consommation (C. consom., L.613-1).",
                            "Aptitude for mediation and good legal knowledge, especially "
                            "of consumer law (Code de la consommation, L.613-1).",
                            *CECMC,
                        ),
                    ),
                    sources=CECMC,
                ),
            ),
            continuing=None,
            validity=None,
            conditions=(
                check(
                    "Indépendance ; rémunération sans lien avec l'issue de la médiation ; "
                    "rapport d'activité annuel ; CV et diplômes (R.614-1).",
                    "Independence; pay not linked to the outcome; annual activity report; "
                    "CV and diplomas (R.614-1).",
                    CECMC[0],
                ),
            ),
            note=Text(
                "Le médiateur est désigné pour 3 ans au moins (durée du mandat, non de "
                "l'inscription sur la liste).",
                "The mediator is appointed for at least 3 years (the mandate, not the "
                "length of the listing).",
            ),
        ),
    ),
    SchemeSeed(
        code="fr-ffcm",
        name="Médiateur agréé FFCM",
        issuing_body="Fédération française des centres de médiation (centres labellisés)",
        country="FR",
        sources=FFCM,
        rules=SchemeRules(
            initial=(
                Threshold(
                    h("200"),
                    credits=(
                        Credit(K.MEDIATIONS_CONDUCTED, per_mediation=h("5"), cap=h("20")),
                        Credit(K.TEACHING, cap=h("20")),
                    ),
                    conditions=(
                        check(
                            "40 h de formation initiale et 160 h d'approfondissement, dont "
                            "50 % au moins de pratique.",
                            "40 h of foundation and 160 h of advanced training, at least "
                            "half of it practical.",
                            FFCM[0],
                        ),
                        check(
                            "Interventions en colloques ou formations : équivalence selon "
                            "l'appréciation de la FFCM.",
                            "Talks at conferences or trainings: credit at the FFCM's discretion.",
                            FFCM[0],
                        ),
                    ),
                    sources=FFCM,
                ),
            ),
            continuing=(
                # "Séminaires, ateliers, colloques, formations, enseignements donnés ou suivis"
                Requirement(
                    h("10"),
                    (K.CONTINUING_EDUCATION, K.CONFERENCE, K.TEACHING),
                    CalendarYear(),
                    sources=FFCM[:1],
                ),
                Requirement(h("10"), (K.SUPERVISION,), CalendarYear(), sources=FFCM[:1]),
            ),
            # The title is kept as long as the yearly hours are done.
            validity=Permanent(sources=FFCM[:1]),
            note=Text(
                "Agrément délivré par les centres labellisés FFCM (label créé en 2015 ; "
                "règles en vigueur depuis le 10 juillet 2017).",
                "Granted by FFCM-labelled centres (label since 2015; rules in force since "
                "10 July 2017).",
            ),
        ),
    ),
    SchemeSeed(
        code="fr-anm",
        name="Médiateur ANM (liste de la cour d'appel de Paris)",
        issuing_body="Association nationale des médiateurs (ANM)",
        country="FR",
        sources=ANM,
        rules=SchemeRules(
            initial=(Threshold(h("120"), sources=ANM),),
            continuing=(
                Requirement(
                    h("20"),
                    (K.CONTINUING_EDUCATION, K.SUPERVISION, K.CONFERENCE),
                    Rolling(12, count=2),
                    sources=ANM,
                ),
            ),
            validity=None,
            conditions=(
                check(
                    "Les 20 h annuelles comprennent de l'analyse de pratique (groupes "
                    "d'analyse de pratique de 20 h par an).",
                    "The 20 yearly hours include practice analysis (practice-analysis "
                    "groups of 20 h a year).",
                    *ANM,
                ),
            ),
        ),
    ),
    SchemeSeed(
        code="fr-cmap",
        name="Médiateur agréé CMAP",
        issuing_body="CMAP (Comité de médiation)",
        country="FR",
        sources=CMAP,
        rules=SchemeRules(
            initial=(
                Threshold(
                    None,
                    conditions=(
                        check(
                            "Formation et examen de certification ESCP/CMAP (théorie et pratique).",
                            "Training and the ESCP/CMAP certification exam (theory and practice).",
                            *CMAP,
                        ),
                    ),
                    sources=CMAP,
                ),
            ),
            # Continuing education is required; its hours and period are not published.
            continuing=(Requirement(None, None, None, sources=CMAP),),
            validity=ExpiresAfter(12, sources=CMAP),
            conditions=(
                check(
                    "Médiations de consommation : désignation CECMC également requise.",
                    "Consumer cases: CECMC designation also required.",
                    *CMAP,
                ),
            ),
        ),
    ),
)
