"""The standing isolation test (DESIGN.md section 4): it enumerates the URL map, so a
route added later is covered as it appears.

Cases: every rule whose view is not `public` (the access class `core.access.access`
records on the view) and whose URL takes an argument, for every method it accepts
but HEAD and OPTIONS; one case per (rule, method), on a fresh world: centers A and B
with every tenant-owned table seeded (`tests.world.seed_center`), partners A and B
with one member each, and one platform staff user.

Each case asserts, on the URL built with B's values (table ARGUMENTS):

1. Outsiders, signed in through the real /login, get 404: not 403, not a redirect,
   not 2xx (missing and foreign look the same):
   - `tenant` routes: A's owner, on /c/<B>/...; and, when the route takes ids besides
     the slug, on A's own workspace holding B's ids, /c/<A>/.../<B's ids>;
   - `partner` routes: partner A's member, likewise on /p/<B>/... and /p/<A>/<B's ids>;
   - `own` routes: user A (A's owner) on user B's (B's owner's) object;
   - staff routes (`own`, staff=True) are platform routes over every center: their
     rightful user is platform staff, and members get 404, A's owner and B's owner
     alike (belonging to B grants no staff view of B).
   Around every outsider request, the digest of B's rows is unchanged: every
   tenant-owned row of B and B's tenant row (`tests.world.digest_rows`), partner B's
   row and memberships, the user rows of B's members, and the mediator files (profiles,
   training records, certifications) they own or B is affiliated with.
2. B's insider, afterwards, on the same URL (B's owner; partner B's member; staff for
   staff routes): a GET answers 2xx, never a redirect. Any other method posts the
   valid form of table FORMS with the session's CSRF token and answers 2xx, or, the
   post/redirect/get answer, a 303 whose Location is inside B's workspace (/c/<B>/,
   /p/<B>/; /staff/, or /account/ or /me/ for `own` routes) and which then answers 200 to a
   GET; a 303 anywhere else (sign-in, two-factor) fails. A's rows are unchanged by it.
3. A URL argument with no entry in ARGUMENTS, or a method other than GET with no entry
   in FORMS, fails its case (it does not skip): a new route must be added here.

API routes (/api/v1, `core.oauth.resource.api_access`) are covered the same way, their
callers holding bearer tokens instead of sessions: a route acting for a person
(`user=True`, access class `own`) is called with user A's and user B's tokens (the
authorization code grant, with the route's scope, through an application of a third
organisation); an organisation's route with its clients' tokens (client credentials):
center A's on B's ids, center B's as the insider (partners likewise). A method other
than GET sends the valid JSON body of table BODIES, and the insider's answer is 2xx.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, union
from sqlalchemy.engine import Engine

from core.credentials.catalogue import by_code
from core.credentials.profiles import profile_of_user
from core.db import Base, db
from referrals.models import PartnerRole, ReferralStatus
from tenants.models import Tenant
from tests.core.credentials.credential_helpers import certification_held_by
from tests.factories import (
    AffiliationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
    OAuthTokenFactory,
    PartnerFactory,
    PartnerInvitationFactory,
    PartnerMembershipFactory,
    ReferralFactory,
    TrainingRecordFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from tests.mediator_api import PDF, stored_evidence
from tests.oauth import authorization_code_tokens, client_credentials_token, register
from tests.tenants.helpers import sign_in
from tests.tenants.mediator_helpers import affiliated_profile_of
from tests.url_map import url_map_app
from tests.world import TENANT_ROW_FACTORIES, Center, digest_rows, seed_center, tenant_models

# Framework-served files: no view of ours, no object of anyone's.
EXEMPT_ENDPOINTS = frozenset({"static", "bootstrap.static"})
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    method: str
    kind: str | None  # the access class; None for an undeclared view (treated as private)
    staff: bool
    arguments: tuple[str, ...]
    api: Any = None  # an API route's Requirement (core.oauth.resource), else None

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


@functools.cache
def routes() -> tuple[Route, ...]:
    """The non-public routes taking URL arguments, read from a throwaway app's URL map
    (collection time: parametrize needs the list before any fixture runs)."""
    app = url_map_app()
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        kind = getattr(view, "access_class", None)
        if rule.endpoint in EXEMPT_ENDPOINTS or kind == "public" or not rule.arguments:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            found.append(
                Route(
                    rule=rule.rule,
                    endpoint=rule.endpoint,
                    method=method,
                    kind=kind,
                    staff=bool(getattr(view, "access_staff", False)),
                    arguments=tuple(sorted(rule.arguments)),
                    api=getattr(view, "api_access", None),
                )
            )
    return tuple(sorted(found, key=str))


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    a: Center
    b: Center
    partner_a: Any
    partner_b: Any
    partner_a_member: Any
    partner_b_member: Any
    staff: Any
    # Center B's API client, which B's owner has also authorized (a connected application).
    b_client: Any
    route: Any = None  # the route under test (some objects are made in the state it needs)


def seed_world() -> World:
    partner_a, partner_b = PartnerFactory(slug="partenaire-a"), PartnerFactory(slug="partenaire-b")
    a, b = seed_center("centre-a"), seed_center("centre-b")
    b_client = register("tenant", b.tenant.id).client
    OAuthTokenFactory(
        client_pk=b_client.id, user_id=b.owner.id, grant_type="authorization_code", scope="profile"
    )
    return World(
        a=a,
        b=b,
        partner_a=partner_a,
        partner_b=partner_b,
        partner_a_member=PartnerMembershipFactory(partner=partner_a).user,
        partner_b_member=PartnerMembershipFactory(partner=partner_b).user,
        staff=UserFactory(is_staff=True),
        b_client=b_client,
    )


# How to get B's value of each URL argument. seed_center's memberships are case
# managers (the owner is made apart) and its invitations are pending.
ARGUMENTS: dict[str, Callable[[World], Any]] = {
    "slug": lambda w: w.b.tenant.slug,
    "membership_id": lambda w: w.b.rows["Membership"][0].id,
    "invitation_id": lambda w: w.b.rows["Invitation"][0].id,
    "partner_slug": lambda w: w.partner_b.slug,
    "tenant_id": lambda w: w.b.tenant.id,
    # An OAuth client's row id: center B's client, for B's integration pages and for
    # B's owner's connected applications alike.
    "client_id": lambda w: w.b_client.id,
    # A certification of B's owner's mediator profile (the `own` user B's), with its
    # evidence stored, under the scheme the valid form of FORMS names.
    "certification_id": lambda w: _with_evidence(_under_form_scheme(w)).id,
    # A training record of B's owner's mediator profile, with its evidence stored.
    "record_id": lambda w: _with_evidence(TrainingRecordFactory(profile=_mediator_file(w))).id,
    # The catalogue is global: any scheme, for the staff routes.
    "scheme_id": lambda w: CertificationSchemeFactory().id,
    # B's owner's mediator profile, which center B works with (an active affiliation):
    # the records and certifications above are of it.
    "profile_id": lambda w: affiliated_profile_of(w.b.owner, w.b.tenant).id,
    # One of B's offers and one of its inquiries (seeded by world.seed_center).
    "offer_id": lambda w: w.b.rows["Offer"][0].id,
    "inquiry_id": lambda w: w.b.rows["Inquiry"][0].id,
    # A case partner B sent to center B, in the status the route's step starts from.
    "referral_id": lambda w: _referral_for(w),
    # Partner B's other member (a referrer: B's insider, an administrator, may change
    # or remove them), its pending invitation, and its own API client.
    "partner_membership_id": lambda w: (
        PartnerMembershipFactory(partner=w.partner_b, role=PartnerRole.REFERRER).id
    ),
    "partner_invitation_id": lambda w: PartnerInvitationFactory(partner=w.partner_b).id,
    "partner_client_id": lambda w: register("partner", w.partner_b.id).client.id,
    # Partner B's webhook endpoint, and a delivery of one of B's messages to it.
    "endpoint_id": lambda w: _b_endpoint(w).id,
    "delivery_id": lambda w: WebhookDeliveryFactory(endpoint=_b_endpoint(w)).id,
    # One of B's party invoices (seeded: issued, unpaid, no card payment).
    "invoice_id": lambda w: w.b.rows["PartyInvoice"][0].id,
}

# The status a case must be in for B's insider to take each step (others: submitted).
REFERRAL_STATUSES = {
    "center_referrals_api.assign": ReferralStatus.ACCEPTED,
    "center_referrals_api.schedule": ReferralStatus.ASSIGNED,
    "center_referrals_api.outcome": ReferralStatus.SCHEDULED,
    "center_referrals_api.close": ReferralStatus.CONCLUDED,
    "inbox.assign": ReferralStatus.ACCEPTED,
    "inbox.schedule": ReferralStatus.ASSIGNED,
    "inbox.outcome": ReferralStatus.SCHEDULED,
    "inbox.close": ReferralStatus.CONCLUDED,
    "fees.case": ReferralStatus.ACCEPTED,
}
# The mediator of center B that the valid assignment names.
B_MEDIATOR = uuid.UUID("5c6f1d9e-8a47-4b1e-9d55-0b7a3f2e6c11")


def _referral_for(w: World) -> Any:
    status = REFERRAL_STATUSES.get(w.route.endpoint, ReferralStatus.SUBMITTED)
    if status == ReferralStatus.ACCEPTED:
        AffiliationFactory(tenant=w.b.tenant, profile=MediatorProfileFactory(id=B_MEDIATOR))
    return ReferralFactory(tenant=w.b.tenant, partner=w.partner_b, status=status).id


def _b_endpoint(w: World) -> Any:
    """A webhook endpoint of partner B. Its host resolves locally, to a loopback address
    that deliveries refuse: B's redelivery reaches no network."""
    return WebhookEndpointFactory(partner_id=w.partner_b.id, url="https://localhost:9/mediation")


# The catalogue scheme the valid certification form names.
FORM_SCHEME = "fr-isolation"


def _mediator_file(w: World) -> Any:
    """B's owner's mediator profile (made once). User A gets one too, so that A's 404 on
    B's records comes from their being B's, not from A having no file at all."""
    for user in (w.a.owner, w.b.owner):
        if profile_of_user(user.id) is None:
            MediatorProfileFactory(user=user)
    return profile_of_user(w.b.owner.id)


def _under_form_scheme(w: World) -> Any:
    _mediator_file(w)
    held = certification_held_by(w.b.owner)
    held.scheme.code = FORM_SCHEME
    db.session.commit()
    return held


def _with_evidence(row: Any) -> Any:
    stored_evidence(row)
    return row


# A valid form for every method but GET, so that B's insider succeeds: exactly the
# fields the form declares (forms refuse undeclared ones); the CSRF token is added.
FORMS: dict[tuple[str, str], dict[str, str]] = {
    ("storefront.page", "POST"): {
        "presentation_fr": "Le centre B.",
        "presentation_en": "Center B.",
        "address": "3 rue B",
        "postal_code": "33000",
        "service_area": "FR-33",
        "languages": "fr",
        "website": "https://centre-b.example",
        "contact_email": "contact@centre-b.example",
        "contact_phone": "+33 5 36 49 00 20",
        "require_compliance": "",
        "published": "y",
    },
    **{
        (endpoint, "POST"): {
            "name": "Médiation B",
            "kind": "standard",
            "included": "Trois séances.",
            "duration_minutes": "120",
            "sessions": "3",
            "price_excl_vat": "450",
            "vat_rate": "20",
            "pricing": "shared",
            "mode": "hybrid",
            "steps": "Entretien\nSéances\nAccord",
            "position": "0",
            "published": "y",
        }
        for endpoint in ("storefront.new_offer", "storefront.edit_offer")
    },
    ("storefront.publish_offer", "POST"): {},
    ("storefront.unpublish_offer", "POST"): {},
    ("storefront.delete_offer", "POST"): {},
    ("inquiries.show", "POST"): {"status": "in_progress"},
    # The center's inbox (referrals.inbox) and the partner's portal (referrals.portal).
    ("inbox.acknowledge", "POST"): {},
    ("inbox.accept", "POST"): {},
    ("inbox.decline", "POST"): {"reason": "Aucun médiateur disponible."},
    ("inbox.assign", "POST"): {"mediator_id": str(B_MEDIATOR), "override_reason": ""},
    ("inbox.schedule", "POST"): {"scheduled_at": "2026-12-10T14:00"},
    ("inbox.outcome", "POST"): {"outcome": "agreement"},
    ("inbox.close", "POST"): {},
    ("portal.cancel", "POST"): {},
    ("portal.new", "POST"): {
        "center": "centre-b",
        "preferred_mediator_id": "",
        "reference": "B-2026-1",
        "dispute_type": "commercial",
        "summary": "Litige sur le paiement de factures.",
        "amount_eur": "1200",
        "urgency": "standard",
        "language": "fr",
        "preferred_mode": "",
        **{
            f"party_{part}_{row}": value if row == 0 else ""
            for row in range(5)
            for part, value in (
                ("name", "Société Gamma"),
                ("role", "claimant"),
                ("email", "contact@gamma.example"),
                ("phone", ""),
                ("lawyer", ""),
            )
        },
        "parties_informed": "y",
        "contact_consent": "y",
    },
    # Party fees (referrals.fee_views): B's invoicing details, a case's quote and its
    # invoices to its two parties, and one of B's invoices marked paid or credited.
    ("fees.settings", "POST"): {
        "legal_name": "Centre de médiation B SAS",
        "address": "3 rue B",
        "postal_code": "33000",
        "city": "Bordeaux",
        "country": "FR",
        "siret": "53298471300018",
        "vat_number": "",
        "iban": "",
        "bic": "",
        "payment_terms_days": "30",
        "legal_mentions": "",
        "stripe_secret_key": "",
        "stripe_publishable_key": "",
    },
    ("fees.case", "POST"): {
        "offer_id": "",
        "hours": "4",
        "hourly_rate": "150",
        "vat_rate": "20",
        "split_mode": "equal",
        "action": "invoice",
        **{
            f"party_{part}_{row}": value if row < 2 else ""
            for row in range(5)
            for part, value in (
                ("name", "Société Gamma"),
                ("address", "3 rue B"),
                ("postal_code", "33000"),
                ("city", "Bordeaux"),
                ("country", "FR"),
                ("email", "contact@gamma.example"),
                ("siret", ""),
                ("vat_number", ""),
                ("share", ""),
            )
        },
    },
    # Billing is off in the standing test: each answers 303 back to B's billing page.
    ("center_billing.choose_plan", "POST"): {"plan": "center", "interval": "month"},
    ("center_billing.save_card", "POST"): {"setup_intent": "seti_test_b"},
    ("center_billing.overage_cap", "POST"): {"overage_cap": "50"},
    ("center_billing.cancel", "POST"): {},
    ("center_billing.resume", "POST"): {},
    ("fees.mark_paid", "POST"): {},
    ("fees.credit", "POST"): {},
    ("tenants.change_role", "POST"): {"role": "admin"},
    ("tenants.remove_member", "POST"): {},
    ("tenants.invite", "POST"): {"email": "new-mediator@example.org", "role": "mediator"},
    ("tenants.revoke_invitation", "POST"): {},
    ("tenants.resend_invitation", "POST"): {},
    ("tenants.settings", "POST"): {
        "legal_name": "Centre de médiation B, renamed",
        "registration_number": "53298471300018",
        "city": "Bordeaux",
        "country": "FR",
        "locale": "en",
        "timezone": "Europe/Paris",
    },
    ("tenants.new_integration", "POST"): {
        "name": "Case management software",
        "client_type": "confidential",
        "grant_types": "client_credentials",
        "scopes": "referrals:read",
        "redirect_uris": "",
    },
    ("tenants.rotate_integration_secret", "POST"): {},
    # A partner's members, invitations and API clients (referrals.partner_views).
    ("partners.change_role", "POST"): {"role": "admin"},
    ("partners.remove_member", "POST"): {},
    ("partners.invite", "POST"): {"email": "new-referrer@example.org", "role": "referrer"},
    ("partners.revoke_invitation", "POST"): {},
    ("partners.resend_invitation", "POST"): {},
    ("partners.new_integration", "POST"): {
        "name": "Case management software",
        "client_type": "confidential",
        "grant_types": "client_credentials",
        "scopes": "referrals:read",
        "redirect_uris": "",
        "sandbox": "y",
    },
    ("partners.rotate_integration_secret", "POST"): {},
    ("partners.disable_integration", "POST"): {},
    ("partners.enable_integration", "POST"): {},
    # A partner's webhook endpoints and deliveries (referrals.partner_webhooks).
    **{
        (endpoint, "POST"): {
            "url": "https://hooks.partenaire-b.example/mediation",
            "description": "Logiciel du cabinet B",
            "event_types": "referral.accepted",
        }
        for endpoint in ("partners.new_webhook_endpoint", "partners.edit_webhook_endpoint")
    },
    ("partners.disable_webhook_endpoint", "POST"): {},
    ("partners.enable_webhook_endpoint", "POST"): {},
    ("partners.rotate_webhook_secret", "POST"): {},
    ("partners.delete_webhook_endpoint", "POST"): {},
    ("partners.redeliver_webhook", "POST"): {},
    ("tenants.disable_integration", "POST"): {},
    ("tenants.enable_integration", "POST"): {},
    ("accounts.revoke_application", "POST"): {},
    ("credentials.edit_record", "POST"): {
        "title": "Analyse de la pratique",
        "provider": "Association des médiateurs",
        "kind": "supervision",
        "hours": "10",
        "started_on": "2025-05-10",
        "ended_on": "",
        "mediations": "",
        "evidence": "",
    },
    ("credentials.delete_record", "POST"): {},
    ("credentials.edit_certification", "POST"): {
        "scheme_code": FORM_SCHEME,
        "number": "B-2024-1",
        "issued_on": "2024-06-01",
        "expires_on": "",
        "stage": "definitive",
        "evidence": "",
    },
    ("mediators.index", "POST"): {
        "email": "new-mediator-b@example.org",
        "display_name": "Nouvelle Médiatrice",
        "title": "",
    },
    ("mediators.show", "POST"): {
        "status": "active",
        "rate_eur": "165.00",
        "internal_notes": "Disponible le jeudi.",
        "published": "",
    },
    ("mediators.send_claim_link", "POST"): {"email": "mediator-b@example.org"},
    ("mediators.verify_record", "POST"): {},
    ("mediators.reject_record", "POST"): {"reason": "L'attestation est illisible."},
    ("mediators.verify_certification", "POST"): {},
    ("mediators.reject_certification", "POST"): {"reason": "Le certificat a expiré."},
    ("schemes_staff.edit", "POST"): {
        "name": "Médiateur certifié, nouvelle version",
        "issuing_body": "Organisme certificateur",
        "country": "FR",
        "active": "y",
        "rules": json.dumps(by_code("fr-ffcm").row()["rules"]),
        "sources": '[{"url": "https://www.example.org/referentiel"}]',
    },
}

_RECORD_BODY = {
    "title": "Analyse de la pratique",
    "provider": "Association des médiateurs",
    "kind": "supervision",
    "hours": 10,
    "started_on": "2025-05-10",
}
_EVIDENCE = {"file": (PDF, "attestation.pdf")}

# A valid JSON body for every API method but GET, by (endpoint, method), so that B's
# insider succeeds; an upload's body names its files as (bytes, name) and is sent as
# multipart/form-data.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("mediator_file_api.put_record", "PUT"): _RECORD_BODY,
    ("mediator_file_api.delete_record", "DELETE"): {},
    ("mediator_file_api.put_record_evidence", "PUT"): _EVIDENCE,
    ("mediator_file_api.put_certification", "PUT"): {
        "scheme_code": FORM_SCHEME,
        "number": "B-2024-1",
        "issued_on": "2024-06-01",
        "stage": "definitive",
    },
    ("mediator_file_api.put_certification_evidence", "PUT"): _EVIDENCE,
    ("center_mediators_api.change_affiliation", "PATCH"): {
        "rate_eur": "165.00",
        "internal_notes": "Disponible le jeudi.",
    },
    ("center_mediators_api.verify_record", "POST"): {"verified": True},
    ("referrals_api.cancel_referral", "POST"): {},
    ("center_referrals_api.acknowledge", "POST"): {},
    ("center_referrals_api.accept", "POST"): {},
    ("center_referrals_api.decline", "POST"): {"reason": "Aucun médiateur disponible."},
    ("center_referrals_api.assign", "POST"): {"mediator_id": str(B_MEDIATOR)},
    ("center_referrals_api.schedule", "POST"): {"scheduled_at": "2026-12-10T14:00:00Z"},
    ("center_referrals_api.outcome", "POST"): {"outcome": "agreement"},
    ("center_referrals_api.close", "POST"): {},
    ("webhooks_api.update_endpoint", "PATCH"): {"description": "Logiciel du cabinet B"},
    ("webhooks_api.delete_endpoint", "DELETE"): {},
    ("webhooks_api.rotate_secret", "POST"): {},
    ("webhooks_api.redeliver", "POST"): {},
    ("center_mediators_api.verify_certification", "POST"): {
        "verified": False,
        "reason": "Le certificat a expiré.",
    },
}


@dataclass
class Outsider:
    label: str
    user: Any
    # Their own workspace argument (slug, partner_slug) and value: the route is also
    # tried from inside it, holding B's other ids.
    workspace: tuple[str, Any] | None = None


@dataclass
class Actors:
    insider: Any
    outsiders: list[Outsider]
    home: str | tuple[str, ...]  # where the insider's post/redirect/get may lead


def actors(route: Route, w: World) -> Actors:
    if route.api is not None and not route.api.user:
        # An organisation's API route: its callers are the organisations' own clients.
        if "tenant" in route.api.owners:
            return Actors(w.b.tenant, [Outsider("center A's client", w.a.tenant)], "/api/")
        return Actors(w.partner_b, [Outsider("partner A's client", w.partner_a)], "/api/")
    if route.staff:
        members = [Outsider("A's owner", w.a.owner), Outsider("B's owner", w.b.owner)]
        return Actors(w.staff, members, "/staff/")
    if route.kind == "tenant":
        a = Outsider("A's owner", w.a.owner, ("slug", w.a.tenant.slug))
        return Actors(w.b.owner, [a], f"/c/{w.b.tenant.slug}/")
    if route.kind == "partner":
        a = Outsider("partner A's member", w.partner_a_member, ("partner_slug", w.partner_a.slug))
        return Actors(w.partner_b_member, [a], f"/p/{w.partner_b.slug}/")
    if route.kind == "own":
        # The account's pages, or the person's own mediator file.
        return Actors(w.b.owner, [Outsider("user A", w.a.owner)], ("/account/", "/me/"))
    pytest.fail(f"{route}: access class {route.kind!r} has no insider and outsiders here")


# --- digests -----------------------------------------------------------------------------


def digest_of(engine: Engine, tenant_id: Any, partner_id: Any) -> str:
    """B's rows: tenant-owned ones and the tenant (world.digest_rows), plus the partner,
    its memberships and its webhooks (endpoints, messages, deliveries, attempts), the
    user rows of everyone belonging to either and their mediator files."""
    tables = Base.metadata.tables
    partners, partner_members = tables["partners"], tables["partner_memberships"]
    members, users = tables["memberships"], tables["users"]
    people = union(
        select(members.c.user_id).where(members.c.tenant_id == tenant_id),
        select(partner_members.c.user_id).where(partner_members.c.partner_id == partner_id),
    )
    queries = [
        partners.select().where(partners.c.id == partner_id),
        partner_members.select()
        .where(partner_members.c.partner_id == partner_id)
        .order_by(partner_members.c.id),
        users.select().where(users.c.id.in_(select(people.subquery()))).order_by(users.c.id),
        # The partner's invitations and API clients (global tables, owned by its id).
        tables["partner_invitations"]
        .select()
        .where(tables["partner_invitations"].c.partner_id == partner_id)
        .order_by(tables["partner_invitations"].c.id),
        tables["oauth_clients"]
        .select()
        .where(
            tables["oauth_clients"].c.owner_kind == "partner",
            tables["oauth_clients"].c.owner_id == partner_id,
        )
        .order_by(tables["oauth_clients"].c.id),
    ]
    # The mediator files B's people own or B works with (global tables): an outsider's
    # request, an `own` route on B's owner's record included, must leave them as they are.
    profiles = tables["mediator_profiles"]
    affiliated = select(tables["affiliations"].c.profile_id).where(
        tables["affiliations"].c.tenant_id == tenant_id
    )
    files = select(profiles.c.id).where(
        profiles.c.user_id.in_(select(people.subquery())) | profiles.c.id.in_(affiliated)
    )
    queries.append(profiles.select().where(profiles.c.id.in_(files)).order_by(profiles.c.id))
    for name in ("training_records", "certifications"):
        table = tables[name]
        queries.append(table.select().where(table.c.profile_id.in_(files)).order_by(table.c.id))
    # The partner's webhooks (global tables): endpoints, outbox, deliveries and their log.
    hooks = [tables[f"webhook_{name}"] for name in ("endpoints", "messages", "deliveries")]
    for table in hooks:
        queries.append(table.select().where(table.c.partner_id == partner_id).order_by(table.c.id))
    attempts, deliveries = tables["webhook_attempts"], hooks[2]
    sent = select(deliveries.c.id).where(deliveries.c.partner_id == partner_id)
    queries.append(
        attempts.select().where(attempts.c.delivery_id.in_(sent)).order_by(attempts.c.id)
    )
    with engine.connect() as conn:
        blob = [[dict(r) for r in conn.execute(q).mappings()] for q in queries]
    blob.append(digest_rows(engine, tenant_id))
    return hashlib.sha256(json.dumps(blob, default=str, sort_keys=True).encode()).hexdigest()


# --- requests ----------------------------------------------------------------------------


def signed_in(app: Any, user: Any) -> Any:
    client = app.test_client()
    sign_in(client, user)
    return client


def api_token(app: Any, rule: Any, actor: Any) -> str:
    """A bearer token for `actor` on an API route: a person's (authorization code, through
    an application of a third organisation) or an organisation's own client's."""
    scopes = [rule.scope] if rule.scope else None
    if rule.user:
        registered = register("partner", PartnerFactory().id, scopes=scopes, name="Isolation")
        tokens = authorization_code_tokens(signed_in(app, actor), registered, rule.scope or "")
        return tokens["access_token"]
    kind = "tenant" if isinstance(actor, Tenant) else "partner"
    registered = register(kind, actor.id, scopes=scopes, name="Isolation")
    return client_credentials_token(app.test_client(), registered)


def caller(app: Any, route: Route, actor: Any) -> Any:
    """A test client acting as `actor`: signed in, or holding a token for an API route."""
    if route.api is None:
        return signed_in(app, actor)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(app, route.api, actor)}"
    return client


def send(client: Any, route: Route, url: str) -> Any:
    if route.method == "GET":
        return client.get(url)
    if route.api is not None:
        body = BODIES[(route.endpoint, route.method)]
        if any(isinstance(value, tuple) for value in body.values()):  # an upload
            files = {name: (BytesIO(data), filename) for name, (data, filename) in body.items()}
            return client.open(url, method=route.method, data=files)
        return client.open(url, method=route.method, json=body)
    data = {"csrf_token": client.csrf_token(), **FORMS[(route.endpoint, route.method)]}
    return client.open(url, method=route.method, data=data)


def build(app: Any, route: Route, values: dict[str, Any]) -> str:
    return app.url_map.bind("localhost").build(route.endpoint, values, method=route.method)


def check_tables(route: Route) -> None:
    missing = [name for name in route.arguments if name not in ARGUMENTS]
    if missing:
        pytest.fail(f"{route}: no value for URL argument(s) {missing}; add them to ARGUMENTS")
    table, bodies = ("BODIES", BODIES) if route.api is not None else ("FORMS", FORMS)
    if route.method != "GET" and (route.endpoint, route.method) not in bodies:
        pytest.fail(f"{route} ({route.endpoint}): no valid body in {table}; add one")


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("route", routes(), ids=str)
def test_foreign_objects_answer_404_and_change_nothing(app, owner_engine, route):
    check_tables(route)
    world = seed_world()
    people = actors(route, world)
    world.route = route
    values = {name: ARGUMENTS[name](world) for name in route.arguments}
    url = build(app, route, values)
    b_rows = functools.partial(digest_of, owner_engine, world.b.tenant.id, world.partner_b.id)
    a_rows = functools.partial(digest_of, owner_engine, world.a.tenant.id, world.partner_a.id)

    for outsider in people.outsiders:
        urls = [url]
        if outsider.workspace and len(route.arguments) > 1:
            urls.append(build(app, route, dict([*values.items(), outsider.workspace])))
        client = caller(app, route, outsider.user)
        for target in urls:
            before = b_rows()
            response = send(client, route, target)
            assert response.status_code == 404, (
                f"{outsider.label} on {route.method} {target}: {response.status_code} "
                f"{response.headers.get('Location', '')}"
            )
            assert b_rows() == before, f"{outsider.label} on {route.method} {target} changed B"

    client = caller(app, route, people.insider)
    before = a_rows()
    response = send(client, route, url)
    if route.method != "GET" and response.status_code == 303:
        location = urlsplit(response.headers["Location"]).path
        assert location.startswith(people.home), f"{route} led B out of its workspace: {location}"
        assert client.get(location).status_code == 200, f"{route}: {location} after the post"
    else:
        assert 200 <= response.status_code < 300, (
            f"B's insider on {route.method} {url}: {response.status_code} "
            f"{response.headers.get('Location', '')}"
        )
    assert a_rows() == before, f"B's insider on {route.method} {url} changed A's rows"


def test_the_enumeration_finds_every_access_class_and_the_tables_are_current(app):
    found = routes()
    assert {r.kind for r in found} >= {"tenant", "partner", "own"}
    assert set(FORMS) <= {(r.endpoint, r.method) for r in found}, "FORMS names a gone route"
    assert set(BODIES) <= {(r.endpoint, r.method) for r in found}, "BODIES names a gone route"
    assert set(ARGUMENTS) <= {a for r in found for a in r.arguments}, "an argument is gone"


def test_every_tenant_owned_model_has_a_row_factory(app):
    for model in tenant_models():
        factory = TENANT_ROW_FACTORIES.get(model.__name__)
        assert factory is not None, f"{model.__name__} has no factory in TENANT_ROW_FACTORIES"
        assert factory._meta.model is model
