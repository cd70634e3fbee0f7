"""Demo partners: a law firm in Lyon and a family-mediation association in Lille, each
with an administrator and an API client (confidential, client credentials, every
partner organisation scope). Idempotent (looked up by slug, email and client name
first); a client's secret is known only when it is made, so it is kept in
instance/demo.json and reused, or rotated when that file no longer has it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core import demo
from core.db import db
from core.demo import Logins
from core.oauth import clients
from core.oauth.clients import ClientSpec, Owner
from core.oauth.models import OAuthClient
from core.oauth.scopes import organisation_scopes
from referrals.models import Partner, PartnerKind, PartnerMembership, PartnerRole
from tenants.demo import ensure_demo_user

DEMO_CLIENT_NAME = "Demo integration"

# (slug, name, kind, registration number, admin name, admin email)
PARTNERS: tuple[tuple[str, str, PartnerKind, str, str, str], ...] = (
    (
        "cabinet-durand-associes",
        "Cabinet Durand & Associés",
        PartnerKind.LAW_FIRM,
        "84417390600018",
        "Hélène Durand",
        "helene.durand@cabinet-durand.example",
    ),
    (
        "association-mediation-familiale-nord",
        "Association Médiation Familiale du Nord",
        PartnerKind.ASSOCIATION,
        "43812065100015",
        "Marc Vasseur",
        "marc.vasseur@mediation-familiale-nord.example",
    ),
)


def seed(logins: Logins, password_for: Callable[[str], str]) -> None:
    """Seed the demo partners and their administrators; list their logins."""
    for slug, name, kind, number, admin_name, email in PARTNERS:
        partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
        if partner is None:
            partner = Partner(slug=slug, name=name, kind=kind, registration_number=number)
            db.session.add(partner)
            db.session.flush()
        password = password_for(email)
        user = ensure_demo_user(email, admin_name, password)
        membership = db.session.scalar(
            select(PartnerMembership.id).where(
                PartnerMembership.partner_id == partner.id, PartnerMembership.user_id == user.id
            )
        )
        if membership is None:
            db.session.add(
                PartnerMembership(partner_id=partner.id, user_id=user.id, role=PartnerRole.ADMIN)
            )
        logins["users"].append(
            {"email": email, "password": password, "role": PartnerRole.ADMIN.value, "partner": slug}
        )
        _ensure_client(logins, partner)


def _ensure_client(logins: Logins, partner: Partner) -> None:
    """The partner's demo API client, and a secret that works, listed in `logins`."""
    owner = Owner("partner", partner.id)
    client = db.session.scalar(
        select(OAuthClient)
        .where(
            OAuthClient.owner_kind == owner.kind,
            OAuthClient.owner_id == owner.id,
            OAuthClient.name == DEMO_CLIENT_NAME,
        )
        .order_by(OAuthClient.created_at)
        .limit(1)
    )
    scopes = organisation_scopes("partner")
    if client is None:
        spec = ClientSpec(DEMO_CLIENT_NAME, True, ["client_credentials"], scopes)
        client, secret = clients.register_client(owner, spec, None)
        db.session.flush()
    else:
        secret = demo.previous_client_secret(client.client_id)
        if secret is None or not clients.secret_matches(client, secret):
            secret = clients.rotate_secret(client)  # the previous one is lost
        clients.enable_client(client)
    logins["oauth_clients"].append(
        {
            "partner": partner.slug,
            "client_id": client.client_id,
            "client_secret": secret,
            "scopes": list(client.scopes),
        }
    )
