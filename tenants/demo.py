"""Demo centers: three mediation centers (Lyon, Bordeaux, Lille), their owners and case
managers, and 30 mediators, six of whom work with two centers; each center has a
published marketplace page and three or four published offers.

Idempotent: everything is looked up by slug or email before it is created, so running
`make run` twice changes nothing. Each center's rows are written inside its own tenant
scope, as PostgreSQL's row-level security requires.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core import audit
from core.accounts import services as accounts
from core.accounts.models import User
from core.clock import now
from core.db import db
from core.demo import Logins
from core.tenancy import tenant_scope
from tenants.demo_mediators import seed_mediator_files
from tenants.models import Membership, Role, Tenant, TenantStatus
from tenants.services import suggest_slug
from tenants.services.storefront import price_incl_vat
from tenants.storefront_models import CenterProfile, Offer, OfferKind, OfferMode, OfferPricing

# (slug, legal name, city, SIRET: Luhn-valid SIREN and SIRET, owner, case manager)
CENTERS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "mediation-lyon-rhone",
        "Centre de Médiation Lyon Rhône",
        "Lyon",
        "81234567600017",
        "Claire Dubois",
        "Julien Moreau",
    ),
    (
        "mediation-bordeaux-gironde",
        "Bordeaux Gironde Médiation",
        "Bordeaux",
        "53298471300018",
        "Isabelle Laurent",
        "Thomas Girard",
    ),
    (
        "mediation-lille-flandres",
        "Maison de la Médiation de Lille",
        "Lille",
        "79045126400010",
        "Nathalie Lefebvre",
        "Antoine Lambert",
    ),
)

MEDIATORS: tuple[str, ...] = (
    "Sophie Bernard", "Nicolas Petit", "Camille Durand", "Pierre Leroy", "Émilie Roux",
    "François Fournier", "Céline Morel", "Laurent Mercier", "Anne Blanc", "Olivier Guérin",
    "Marie Faure", "Stéphane André", "Hélène Chevalier", "Philippe Gauthier", "Aurélie Perrin",
    "Sébastien Robin", "Valérie Clément", "Christophe Morin", "Sandrine Nicolas", "Mathieu Henry",
    "Caroline Roussel", "Vincent Mathieu", "Delphine Garnier", "Guillaume Masson", "Julie Renaud",
    "Frédéric Marchand", "Élodie Duval", "Jérôme Denis", "Karine Lemaire", "Benoît Fontaine",
)  # fmt: skip
TWO_CENTERS = 6  # the first six mediators work with two centers


def email_for(name: str, domain: str) -> str:
    """`Émilie Roux` -> `emilie.roux@<domain>` (reserved .example domains only)."""
    return suggest_slug(name).replace("-", ".") + "@" + domain


def ensure_demo_user(email: str, name: str, password: str, locale: str = "fr") -> User:
    """The demo user with this email, created once with `password` and verified.

    An existing user keeps their password: passwords are set on the first run only and
    kept in instance/demo.json (see core.demo), and hashing is the slow part of a run.
    """
    user = accounts.find_user_by_email(email)
    if user is None:
        user = accounts.create_user(email, name, password, locale)
    if user.email_verified_at is None:
        user.email_verified_at = now()
    return user


def _ensure_center(slug: str, legal_name: str, city: str, registration_number: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is not None:
        return tenant
    tenant_id = uuid.uuid4()
    with tenant_scope(tenant_id):  # RLS: a center is inserted in its own scope only
        tenant = Tenant(
            id=tenant_id,
            slug=slug,
            legal_name=legal_name,
            city=city,
            registration_number=registration_number,
            status=TenantStatus.ACTIVE,
            activated_at=now(),
        )
        db.session.add(tenant)
        db.session.flush()
        audit.record("center.created", object_type="center", object_id=tenant_id)
        db.session.flush()
    return tenant


def _ensure_membership(tenant: Tenant, user: User, role: Role) -> None:
    with tenant_scope(tenant.id):
        found = db.session.scalar(select(Membership.id).where(Membership.user_id == user.id))
        if found is None:
            db.session.add(Membership(user_id=user.id, role=role))
            db.session.flush()


def seed(logins: Logins, password_for: Callable[[str], str]) -> None:
    """Seed the demo centers and their people; list their logins in `logins`."""
    # One password per person, even for a mediator seeded into two centers.
    password_for = functools.cache(password_for)
    centers = []
    for slug, legal_name, city, siret, owner, case_manager in CENTERS:
        tenant = _ensure_center(slug, legal_name, city, siret)
        centers.append(tenant)
        domain = slug.removeprefix("mediation-") + ".example"
        for name, role in ((owner, Role.OWNER), (case_manager, Role.CASE_MANAGER)):
            _add(logins, password_for, tenant, email_for(name, domain), name, role)
    for index, name in enumerate(MEDIATORS):
        homes = [centers[index % len(centers)]]
        if index < TWO_CENTERS:
            homes.append(centers[(index + 1) % len(centers)])
        email = email_for(name, "mediateurs.example")
        for tenant in homes:
            _add(
                logins, password_for, tenant, email, name, Role.MEDIATOR, listed=tenant is homes[0]
            )
    db.session.flush()
    seed_mediator_files(centers, MEDIATORS)
    for tenant in centers:
        _ensure_storefront(tenant)


def _add(
    logins: Logins,
    password_for: Callable[[str], str],
    tenant: Tenant,
    email: str,
    name: str,
    role: Role,
    *,
    listed: bool = True,
) -> None:
    password = password_for(email)
    user = ensure_demo_user(email, name, password)
    _ensure_membership(tenant, user, role)
    if listed:
        entry: dict[str, Any] = {"email": email, "password": password, "role": role.value}
        logins["users"].append({**entry, "center": tenant.slug})


# --- the centers' marketplace pages and offers ----------------------------------------------

# City -> (address, postal code, service area, languages, phone in ARCEP's fiction ranges).
STOREFRONTS: dict[str, tuple[str, str, list[str], list[str], str]] = {
    "Lyon": ("24 rue de la République", "69002", ["FR-69", "FR-01", "FR-38", "FR-42"],
             ["fr", "en", "it"], "+33 4 65 71 00 10"),
    "Bordeaux": ("18 cours de l'Intendance", "33000", ["FR-33", "FR-24", "FR-40", "FR-47"],
                 ["fr", "en", "es"], "+33 5 36 49 00 20"),
    "Lille": ("7 place du Théâtre", "59800", ["FR-59", "FR-62", "BE"],
              ["fr", "en", "nl"], "+33 3 53 73 00 30"),
}  # fmt: skip
PRESENTATION_FR = (
    "{name} accompagne les particuliers, les entreprises et les avocats de la région de "
    "{city} dans la résolution amiable de leurs différends : famille, voisinage, travail, "
    "baux commerciaux, litiges de consommation.\n\n"
    "Nos médiateurs sont formés et certifiés, soumis à la confidentialité (directive "
    "2008/52/CE) et suivent une formation continue chaque année. Les séances ont lieu dans "
    "nos locaux ou en visioconférence."
)
PRESENTATION_EN = (
    "{name} helps individuals, businesses and lawyers around {city} settle their disputes "
    "amicably: family, neighbours, employment, commercial leases, consumer claims.\n\n"
    "Our mediators are trained and certified, bound by confidentiality (Directive "
    "2008/52/EC) and keep up their training every year. Sessions take place at our "
    "premises or by video call."
)
# (name, kind, sessions, minutes per session, price excl. VAT, pricing, mode, included, steps)
OFFERS: dict[str, tuple[str, OfferKind, int, int, str, OfferPricing, OfferMode, str, str]] = {
    "express": (
        "Médiation express",
        OfferKind.EXPRESS,
        1,
        120,
        "180",
        OfferPricing.PER_PARTY,
        OfferMode.IN_PERSON,
        "Un entretien préalable par partie, une séance commune de 2 heures, un relevé "
        "d'accord signé en fin de séance.",
        "Entretien préalable avec chaque partie\nSéance commune de 2 heures\nRelevé d'accord signé",
    ),
    "standard": (
        "Médiation standard",
        OfferKind.STANDARD,
        3,
        120,
        "450",
        OfferPricing.PER_PARTY,
        OfferMode.IN_PERSON,
        "Entretiens individuels, trois séances communes de 2 heures, rédaction du "
        "protocole d'accord.",
        "Entretiens individuels d'information\nPremière séance : exposé des positions\n"
        "Deuxième séance : recherche d'options\nTroisième séance : accord\n"
        "Rédaction du protocole d'accord",
    ),
    "long": (
        "Sessions longues",
        OfferKind.LONG,
        2,
        240,
        "900",
        OfferPricing.SHARED,
        OfferMode.IN_PERSON,
        "Deux demi-journées pour les différends complexes (entreprises, successions), "
        "avec la présence possible des avocats.",
        "Réunion de cadrage avec les conseils\nPremière demi-journée\n"
        "Seconde demi-journée\nProtocole d'accord relu par les avocats",
    ),
    "hybrid": (
        "Médiation hybride",
        OfferKind.HYBRID,
        4,
        90,
        "520",
        OfferPricing.PER_PARTY,
        OfferMode.HYBRID,
        "Une première séance en présentiel puis trois séances en visioconférence, "
        "pour les parties éloignées.",
        "Entretien d'information en visioconférence\nSéance commune en présentiel\n"
        "Deux séances en visioconférence\nAccord signé électroniquement",
    ),
}
# Prices vary a little from one center to the next (+10 EUR each).
CENTERS_BY_CITY = tuple(city for _slug, _name, city, *_rest in CENTERS)
OFFERS_BY_CITY = {
    "Lyon": ("express", "standard", "long", "hybrid"),
    "Bordeaux": ("express", "standard", "hybrid"),
    "Lille": ("express", "standard", "long"),
}


def _ensure_storefront(tenant: Tenant) -> None:
    """The center's published page and offers, created once (prices vary by center)."""
    place = STOREFRONTS.get(tenant.city)
    if place is None:
        return
    address, postal_code, area, languages, phone = place
    domain = tenant.slug.removeprefix("mediation-") + ".example"
    with tenant_scope(tenant.id):
        if db.session.scalar(select(CenterProfile.id)) is None:
            db.session.add(
                CenterProfile(
                    presentation_fr=PRESENTATION_FR.format(
                        name=tenant.legal_name, city=tenant.city
                    ),
                    presentation_en=PRESENTATION_EN.format(
                        name=tenant.legal_name, city=tenant.city
                    ),
                    address=address,
                    postal_code=postal_code,
                    service_area=area,
                    languages=languages,
                    website=f"https://www.{domain}",
                    contact_email=f"contact@{domain}",
                    contact_phone=phone,
                    published=True,
                )
            )
        existing = set(db.session.scalars(select(Offer.name)))
        surcharge = Decimal(10 * CENTERS_BY_CITY.index(tenant.city))
        for position, code in enumerate(OFFERS_BY_CITY[tenant.city]):
            name, kind, sessions, minutes, price, pricing, mode, included, steps = OFFERS[code]
            if name in existing:
                continue
            excl = Decimal(price) + surcharge
            db.session.add(
                Offer(
                    name=name,
                    kind=kind,
                    included=included,
                    duration_minutes=minutes,
                    sessions=sessions,
                    price_excl_vat=excl,
                    vat_rate=Decimal("20.00"),
                    price_incl_vat=price_incl_vat(excl, Decimal(20)),
                    pricing=pricing,
                    mode=mode,
                    steps=steps.split("\n"),
                    published=True,
                    position=position,
                )
            )
        db.session.flush()
