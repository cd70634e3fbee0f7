"""The marketplace benchmark's made-up data: names, cities, bios and offers.

Everything is drawn from a `random.Random` with a fixed seed, so a database seeded twice
with the same size holds the same rows. The bios are sentences a mediator would write,
in French and in English: a sentence or two per specialty they practise, then a few from
a common stock (listening, confidentiality, agreement...), so that a word like
"médiation" or "agreement" is common, and "divorce" common among family mediators.
"""

from __future__ import annotations

import random


def words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = words("""
Hélène Zoé Élodie Chloé Inès Amélie Noémie Loïc Jérôme François Gaëlle Cécile Maël Anaïs
Benoît Thérèse Raphaël Océane Sébastien Léa Étienne Joël Mathéo Agnès Camille Claire Julie
Sophie Marie Anne Isabelle Nathalie Sandrine Valérie Catherine Christine Laurence Florence
Caroline Émilie Aurélie Céline Stéphanie Virginie Delphine Karine Sylvie Pascale Martine
Jean Pierre Michel Philippe Alain Nicolas Christophe Laurent Frédéric Olivier Thierry
Stéphane Éric David Julien Vincent Pascal Bruno Patrick Antoine Guillaume Thomas Mathieu
Arnaud Hugo Lucas Louis Gabriel Arthur Jules Adam Yasmine Karim Nadia Samir Leïla Mehdi
Sarah Emma Olivia James Oliver Charlotte William Grace Daniel Hannah Lucia Javier Carmen
Marco Giulia Hans Greta João Ana
""")
LAST_NAMES = words("""
Lefèvre Dubois Müller Garçon Bénard Éluard Moreau Rivière Château Besançon Lemaître Pérez
Goëtz Laurent Fontaine Girard Bonnet Dupré Leclerc Mercier Noël Faure Brunet Martin Bernard
Thomas Petit Robert Richard Durand Leroy Simon Michel Lefebvre Garcia David Bertrand Roux
Vincent Fournier Morel André Lambert Rousseau Blanc Guérin Muller Henry Roussel Nicolas
Perrin Morin Mathieu Clément Gauthier Dumont Lopez Masson Marchand Duval Denis Lemoine
Chevalier Barbier Arnaud Martinez Gérard Roche Renard Schmitt Colin Vidal Caron Picard
Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît
Rey Leclercq Payet Rolland Lucas Brun Giraud Meunier Hoarau Jacquet Collet Prévost Lebrun
Carpentier Huet Charpentier Millet Perret Dufour Vasseur Poulain Maillard Smith Jones
Brown Taylor Wilson Haddad Benali Nguyen Kowalski Rossi Ferreira Schneider
""")

# (city, postal code, department): the centers' seats.
CITIES = [
    (line.rsplit(" ", 2)[0], line.rsplit(" ", 2)[1], line.rsplit(" ", 2)[2])
    for line in """
Paris 75008 75|Lyon 69002 69|Marseille 13001 13|Toulouse 31000 31|Nice 06000 06
Nantes 44000 44|Strasbourg 67000 67|Montpellier 34000 34|Bordeaux 33000 33|Lille 59000 59
Rennes 35000 35|Reims 51100 51|Toulon 83000 83|Saint-Étienne 42000 42|Le Havre 76600 76
Grenoble 38000 38|Dijon 21000 21|Angers 49000 49|Nîmes 30000 30|Villeurbanne 69100 69
Clermont-Ferrand 63000 63|Le Mans 72000 72|Aix-en-Provence 13100 13|Brest 29200 29
Tours 37000 37|Amiens 80000 80|Limoges 87000 87|Annecy 74000 74|Perpignan 66000 66
Metz 57000 57|Besançon 25000 25|Orléans 45000 45|Rouen 76000 76|Mulhouse 68100 68
Caen 14000 14|Nancy 54000 54|Avignon 84000 84|Poitiers 86000 86|Pau 64000 64
La Rochelle 17000 17|Ajaccio 20000 2A|Bastia 20200 2B|Fort-de-France 97200 972
Pointe-à-Pitre 97110 971|Saint-Denis 97400 974|Versailles 78000 78|Nanterre 92000 92
Créteil 94000 94|Bobigny 93000 93|Cergy 95000 95|Évry 91000 91|Melun 77000 77
Chambéry 73000 73|Valence 26000 26|Colmar 68000 68|Troyes 10000 10|Bourges 18000 18
Quimper 29000 29|Vannes 56000 56|Niort 79000 79|Angoulême 16000 16|Périgueux 24000 24
Agen 47000 47|Bayonne 64100 64|Tarbes 65000 65|Albi 81000 81|Rodez 12000 12
Cahors 46000 46|Auxerre 89000 89|Nevers 58000 58|Laval 53000 53|Saint-Brieuc 22000 22
Évreux 27000 27|Beauvais 60000 60|Arras 62000 62|Charleville-Mézières 08000 08
Épinal 88000 88|Belfort 90000 90|Gap 05000 05|Carcassonne 11000 11|Mende 48000 48
Privas 07000 07|Aurillac 15000 15|Châteauroux 36000 36|Blois 41000 41|Chartres 28000 28
Alençon 61000 61|Saint-Lô 50000 50|Chaumont 52000 52|Vesoul 70000 70|Mâcon 71000 71
Bourg-en-Bresse 01000 01|Moulins 03000 03|Montauban 82000 82|Auch 32000 32
Mont-de-Marsan 40000 40|La Roche-sur-Yon 85000 85|Cayenne 97300 973|Mamoudzou 97600 976
""".replace("\n", "|")
    .strip("|")
    .split("|")
]
COURTS_OF_APPEAL = words("Paris Versailles Lyon Aix-en-Provence Rennes Toulouse Bordeaux Douai")
STREETS = "rue de la République|avenue Jean-Jaurès|boulevard Victor-Hugo|place de la Mairie"
STREETS += "|rue du Palais|quai des Célestins|rue Nationale|cours Gambetta|rue Pasteur"
STREET_NAMES = STREETS.split("|")

# Languages spoken, with the share of mediators speaking each (French: nearly all).
LANGUAGES = [("en", 0.40), ("es", 0.10), ("de", 0.06), ("it", 0.06), ("ar", 0.05)]
LANGUAGES += [("pt", 0.04), ("nl", 0.015), ("ru", 0.01), ("zh", 0.01), ("pl", 0.01)]
SPECIALTY_WEIGHTS = {
    "family": 35,
    "civil": 20,
    "commercial": 20,
    "labour": 18,
    "consumer": 10,
    "neighbourhood": 12,
    "construction": 8,
    "health": 6,
    "intellectual_property": 3,
    "public_sector": 5,
    "international": 6,
    "other": 3,
}
MODES = ("online", "in_person", "hybrid")
DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20]
DEPARTMENTS += ["2A", "2B", "971", "972", "973", "974", "976"]

TITLES_FR = [
    "Médiatrice familiale",
    "Médiateur familial",
    "Médiateur",
    "Médiatrice",
    "Médiateur d'entreprise",
    "Médiatrice certifiée",
    "Avocat médiateur",
    "Avocate médiatrice",
    "Médiateur judiciaire",
    "Médiatrice en santé",
]

# What a mediator writes about each specialty: (French, English) sentence pairs.
SPECIALTY_SENTENCES: dict[str, list[tuple[str, str]]] = {
    "family": [
        (
            "Médiation familiale : séparation, divorce, résidence des enfants et pension.",
            "Family mediation: separation, divorce, children's residence and maintenance.",
        ),
        (
            "J'accompagne les parents dans l'organisation de la coparentalité.",
            "I help parents organise co-parenting after a separation.",
        ),
        (
            "Conflits familiaux autour d'une succession ou d'un parent âgé.",
            "Family conflicts over an inheritance or the care of an elderly parent.",
        ),
    ],
    "civil": [
        (
            "Litiges civils entre particuliers : contrats, dettes, responsabilité.",
            "Civil disputes between individuals: contracts, debts, liability.",
        ),
        (
            "Médiation judiciaire sur orientation du juge dans les litiges civils.",
            "Court-referred mediation in civil disputes.",
        ),
    ],
    "commercial": [
        (
            "Différends commerciaux entre associés, fournisseurs et clients.",
            "Commercial disputes between partners, suppliers and customers.",
        ),
        (
            "Médiation inter-entreprises : impayés, rupture de contrat, litige commercial.",
            "Business-to-business mediation: unpaid invoices, terminated contracts.",
        ),
    ],
    "labour": [
        (
            "Conflits au travail : relations entre salariés, management, harcèlement.",
            "Workplace conflicts: relations between employees, management, harassment.",
        ),
        (
            "Médiation sociale en entreprise et dans la fonction publique.",
            "Workplace mediation in companies and in the civil service.",
        ),
    ],
    "consumer": [
        (
            "Médiation de la consommation entre consommateurs et professionnels.",
            "Consumer mediation between consumers and traders.",
        ),
    ],
    "neighbourhood": [
        (
            "Troubles de voisinage, copropriété, bruit, limites de propriété.",
            "Neighbour disputes, co-ownership, noise, property boundaries.",
        ),
    ],
    "construction": [
        (
            "Litiges de construction : malfaçons, retards de chantier, réception des travaux.",
            "Construction disputes: defects, delays on site, acceptance of works.",
        ),
    ],
    "health": [
        (
            "Médiation en santé entre patients, familles et établissements de soins.",
            "Healthcare mediation between patients, families and hospitals.",
        ),
    ],
    "intellectual_property": [
        (
            "Propriété intellectuelle : marques, brevets, droits d'auteur, licences.",
            "Intellectual property: trademarks, patents, copyright, licences.",
        ),
    ],
    "public_sector": [
        (
            "Médiation administrative entre usagers et services publics.",
            "Administrative mediation between citizens and public services.",
        ),
    ],
    "international": [
        (
            "Médiation internationale et familiale transfrontalière, en plusieurs langues.",
            "International and cross-border family mediation, in several languages.",
        ),
    ],
    "other": [
        (
            "Médiation scolaire, associative et environnementale.",
            "School, community and environmental mediation.",
        ),
    ],
}
COMMON_SENTENCES: list[tuple[str, str]] = [
    (
        "Formé à l'écoute active et à la communication non violente.",
        "Trained in active listening and non-violent communication.",
    ),
    (
        "J'accompagne les parties vers un accord durable, dans la confidentialité.",
        "I guide the parties towards a lasting agreement, in confidence.",
    ),
    (
        "La médiation est un espace de dialogue neutre et impartial.",
        "Mediation is a neutral and impartial space for dialogue.",
    ),
    (
        "Ancien avocat, je privilégie les solutions amiables aux procédures judiciaires.",
        "A former lawyer, I favour amicable solutions over court proceedings.",
    ),
    (
        "Chaque médiation commence par un entretien individuel d'information.",
        "Each mediation starts with an individual information meeting.",
    ),
    (
        "Je reçois en cabinet ou en visioconférence, selon vos contraintes.",
        "I meet you at my office or by video call, as suits you.",
    ),
    (
        "Diplômée en psychologie, j'aide à renouer le dialogue quand la relation est rompue.",
        "With a degree in psychology, I help restore dialogue when a relationship breaks down.",
    ),
    (
        "Mon approche : écoute, reformulation et recherche de solutions concrètes.",
        "My approach: listening, rephrasing and looking for practical solutions.",
    ),
    (
        "Honoraires transparents et convention de médiation claire dès le départ.",
        "Transparent fees and a clear mediation agreement from the start.",
    ),
    (
        "Formatrice en gestion des conflits auprès des entreprises et des collectivités.",
        "Conflict management trainer for companies and local authorities.",
    ),
    (
        "Médiation judiciaire et conventionnelle, à l'initiative du juge ou des parties.",
        "Court-ordered and voluntary mediation, at the judge's or the parties' initiative.",
    ),
    (
        "Inscrit sur la liste des médiateurs de la cour d'appel.",
        "Listed among the mediators of the court of appeal.",
    ),
    (
        "Membre d'une association de médiateurs, je suis une supervision régulière.",
        "A member of a mediators' association, I attend regular supervision.",
    ),
    (
        "L'objectif : rétablir la communication et préserver la relation.",
        "The aim: restore communication and preserve the relationship.",
    ),
    (
        "Négociation raisonnée, apaisement des tensions et accord écrit homologable.",
        "Principled negotiation, easing tensions and a written agreement a court can approve.",
    ),
    (
        "Plus de quinze ans d'expérience de la médiation et de la résolution des conflits.",
        "Over fifteen years of experience in mediation and conflict resolution.",
    ),
]

CENTER_PATTERNS = [
    "Centre de médiation de {city}",
    "{last} Médiation",
    "Association de médiation {city}",
    "Cabinet {last} et associés",
    "Espace médiation {city}",
    "Médiation et dialogue {city}",
    "Institut {last} de médiation",
]
PRESENTATION_FR = (
    "Centre de médiation à {city} : médiation familiale, civile, commerciale et du travail. "
    "Une équipe de médiateurs certifiés vous reçoit sur rendez-vous ou en visioconférence."
)
PRESENTATION_EN = (
    "A mediation center in {city}: family, civil, commercial and workplace mediation. "
    "Certified mediators meet you by appointment or by video call."
)

# (kind, name, included, duration minutes, sessions, price excl. VAT range, pricing, mode)
OFFERS = [
    ("express", "Médiation express", "Un entretien de deux heures et un accord écrit.",
     120, 1, (90, 250), "per_party", "online"),
    ("standard", "Médiation conventionnelle", "Entretiens préalables, trois séances, accord.",
     None, 3, (350, 900), "shared", "in_person"),
    ("long", "Médiation longue", "Six séances de trois heures, rédaction du protocole.",
     180, 6, (900, 2400), "shared", "in_person"),
    ("hybrid", "Médiation hybride", "Séances en ligne et en présentiel, au choix.",
     None, 4, (500, 1400), "per_party", "hybrid"),
]  # fmt: skip
OFFER_STEPS = [
    "Premier contact et entretien d'information",
    "Entretiens individuels avec chaque partie",
    "Séances de médiation communes",
    "Rédaction et signature de l'accord",
]


def pick_languages(rng: random.Random) -> list[str]:
    spoken = ["fr"] if rng.random() < 0.96 else []
    spoken += [code for code, share in LANGUAGES if rng.random() < share]
    return spoken or ["en"]


def pick_specialties(rng: random.Random) -> list[str]:
    codes, weights = zip(*SPECIALTY_WEIGHTS.items(), strict=True)
    count = rng.choices((1, 2, 3), (45, 40, 15))[0]
    return sorted(set(rng.choices(codes, weights, k=count)))


def pick_modes(rng: random.Random) -> list[str]:
    return sorted(set(rng.choices(MODES, (30, 50, 20), k=rng.choice((1, 2, 2, 3)))))


def bios(rng: random.Random, specialties: list[str], english: bool) -> tuple[str, str]:
    """A French bio and, for those who write one, an English one: a sentence per
    specialty, then three to five common ones."""
    pairs = [rng.choice(SPECIALTY_SENTENCES[code]) for code in specialties]
    pairs += rng.sample(COMMON_SENTENCES, rng.randint(3, 5))
    rng.shuffle(pairs)
    bio_en = " ".join(en for _fr, en in pairs) if english else ""
    return " ".join(fr for fr, _en in pairs), bio_en
