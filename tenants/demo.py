"""Demo centers: three mediation centers (Lyon, Bordeaux, Lille), their owners and case
managers, and 30 mediators, six of whom work with two centers.

Idempotent: everything is looked up by slug or email before it is created, so running
`make run` twice changes nothing. Each center's rows are written inside its own tenant
scope, as PostgreSQL's row-level security requires.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
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
