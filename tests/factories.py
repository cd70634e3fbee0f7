"""factory-boy factories for every model. Tenant-owned rows are created inside their
tenant's scope, exactly as the app does; no tenant id is ever hard-coded."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from core.accounts.models import AccountToken, User, UserSession
from core.accounts.services import hash_password
from core.accounts.tokens import hash_token, new_token
from core.audit import AuditEvent, SecurityEvent
from core.billing.models import (
    BillingAccount,
    OverageCharge,
    StripeEvent,
    SubscriptionInvoice,
    SubscriptionStatus,
)
from core.clock import now
from core.credentials.catalogue import by_code
from core.credentials.issued import IssuedCredential
from core.credentials.models import (
    Certification,
    CertificationScheme,
    CertificationStage,
    MediatorProfile,
    TrainingKind,
    TrainingRecord,
)
from core.credentials.reminders.models import Reminder, ReminderKind, ReminderOptOut
from core.db import db
from core.oauth.models import AuthorizationCode, ClientSecret, OAuthClient, OAuthToken
from core.tenancy import tenant_scope
from marketplace.models import CenterListing, MediatorListing
from referrals.fee_models import (
    CenterBillingProfile,
    FeeQuote,
    InvoiceKind,
    InvoiceSequence,
    PartyInvoice,
    SplitMode,
)
from referrals.models import (
    IdempotencyRecord,
    Partner,
    PartnerKind,
    PartnerMembership,
    PartnerRole,
    PartyRole,
    Referral,
    ReferralEvent,
    ReferralParty,
    ReferralStatus,
    Urgency,
)
from referrals.partner_models import PartnerInvitation
from referrals.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from referrals.webhook_transport import new_secret
from tenants.digest_models import CenterDigest
from tenants.models import (
    Affiliation,
    AffiliationStatus,
    Invitation,
    Membership,
    Role,
    Tenant,
    TenantStatus,
)
from tenants.storefront_models import (
    CenterProfile,
    Inquiry,
    Offer,
    OfferKind,
    OfferMode,
    OfferPricing,
)

DEFAULT_PASSWORD = "correct horse battery staple"
# Hashing with production parameters for every user would dominate the suite's time;
# one hash is computed and shared.
_PASSWORD_HASH: dict[str, str] = {}


def password_hash(password: str = DEFAULT_PASSWORD) -> str:
    if password not in _PASSWORD_HASH:
        _PASSWORD_HASH[password] = hash_password(password)
    return _PASSWORD_HASH[password]


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class TenantOwnedFactory(BaseFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.get("tenant")
        tenant_id = tenant.id if tenant is not None else kwargs.get("tenant_id")
        with tenant_scope(tenant_id):
            if tenant is not None:
                kwargs.pop("tenant")
                kwargs["tenant_id"] = tenant.id
            return super()._create(model_class, *args, **kwargs)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name", locale="fr_FR")
    password_hash = factory.LazyFunction(password_hash)
    locale = "fr"
    email_verified_at = factory.LazyFunction(now)


class UserSessionFactory(BaseFactory):
    class Meta:
        model = UserSession
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    token_hash = factory.LazyFunction(lambda: new_token()[1])


class AccountTokenFactory(BaseFactory):
    class Meta:
        model = AccountToken
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    purpose = "reset_password"
    token_hash = factory.LazyFunction(lambda: new_token()[1])
    expires_at = factory.LazyFunction(now)


class TenantFactory(BaseFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"centre-{n}")
    legal_name = factory.Sequence(lambda n: f"Centre de médiation {n}")
    registration_number = factory.Sequence(lambda n: f"{81234567800000 + n:014d}")
    city = factory.Faker("city", locale="fr_FR")
    country = "FR"
    locale = "fr"
    timezone = "Europe/Paris"
    status = TenantStatus.ACTIVE
    activated_at = factory.LazyFunction(now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # RLS lets a center be created only inside its own scope.
        import uuid

        kwargs.setdefault("id", uuid.uuid4())
        with tenant_scope(kwargs["id"]):
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CASE_MANAGER


class InvitationFactory(TenantOwnedFactory):
    class Meta:
        model = Invitation

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.MEDIATOR
    token_hash = factory.LazyFunction(lambda: new_token()[1])
    expires_at = factory.LazyFunction(lambda: now() + timedelta(days=7))


class AuditEventFactory(TenantOwnedFactory):
    class Meta:
        model = AuditEvent

    tenant = factory.SubFactory(TenantFactory)
    action = "member.role_changed"
    object_type = "membership"
    details = factory.LazyFunction(dict)


class SecurityEventFactory(BaseFactory):
    class Meta:
        model = SecurityEvent

    action = "login.failed"
    details = factory.LazyFunction(dict)


class PartnerFactory(BaseFactory):
    class Meta:
        model = Partner

    slug = factory.Sequence(lambda n: f"partenaire-{n}")
    name = factory.Sequence(lambda n: f"Cabinet partenaire {n}")
    kind = PartnerKind.LAW_FIRM
    country = "FR"


class PartnerMembershipFactory(BaseFactory):
    class Meta:
        model = PartnerMembership

    partner = factory.SubFactory(PartnerFactory)
    user = factory.SubFactory(UserFactory)
    role = PartnerRole.ADMIN


class PartnerInvitationFactory(BaseFactory):
    class Meta:
        model = PartnerInvitation
        exclude = ("partner",)

    partner = factory.SubFactory(PartnerFactory)
    partner_id = factory.SelfAttribute("partner.id")
    email = factory.Sequence(lambda n: f"partner-invitee{n}@example.org")
    role = PartnerRole.REFERRER
    token_hash = factory.LazyFunction(lambda: new_token()[1])
    expires_at = factory.LazyFunction(lambda: now() + timedelta(days=7))


# --- OAuth ---------------------------------------------------------------------------
# A client's secret is only known when it is made: CLIENT_SECRET is the one every
# ClientSecretFactory row hashes unless told otherwise (tests/oauth.py makes real ones).
CLIENT_SECRET = "mhs_test-secret-for-factories-only"


class OAuthClientFactory(BaseFactory):
    class Meta:
        model = OAuthClient

    client_id = factory.Sequence(lambda n: f"mhc_test{n}")
    name = factory.Sequence(lambda n: f"Integration {n}")
    owner_kind = "partner"
    owner_id = factory.LazyFunction(lambda: PartnerFactory().id)
    confidential = True
    redirect_uris = factory.LazyFunction(lambda: ["https://app.example.org/callback"])
    grant_types = factory.LazyFunction(
        lambda: ["client_credentials", "authorization_code", "refresh_token"]
    )
    scopes = factory.LazyFunction(lambda: ["referrals:read", "marketplace:read", "profile"])


class ClientSecretFactory(BaseFactory):
    class Meta:
        model = ClientSecret

    client = factory.SubFactory(OAuthClientFactory)
    secret_hash = factory.LazyFunction(lambda: hash_token(CLIENT_SECRET))
    hint = CLIENT_SECRET[-4:]


class AuthorizationCodeFactory(BaseFactory):
    class Meta:
        model = AuthorizationCode

    code_hash = factory.LazyFunction(lambda: new_token()[1])
    client_pk = factory.LazyFunction(lambda: OAuthClientFactory().id)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    redirect_uri = "https://app.example.org/callback"
    scope = "profile"
    code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    code_challenge_method = "S256"
    expires_at = factory.LazyFunction(lambda: now() + timedelta(minutes=10))


class OAuthTokenFactory(BaseFactory):
    class Meta:
        model = OAuthToken

    client_pk = factory.LazyFunction(lambda: OAuthClientFactory().id)
    grant_type = "client_credentials"
    scope = "referrals:read"
    family_id = factory.LazyFunction(uuid.uuid4)
    access_expires_at = factory.LazyFunction(lambda: now() + timedelta(minutes=15))


# --- The mediator's file (core.credentials) and affiliations (tenants) ----------------


class MediatorProfileFactory(BaseFactory):
    """A claimed profile (its mediator has an account); `unclaimed=True` makes the kind a
    center creates before inviting the mediator."""

    class Meta:
        model = MediatorProfile

    class Params:
        unclaimed = factory.Trait(user=None)

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name", locale="fr_FR")
    title = "Médiatrice"
    bio_fr = "Médiatrice familiale et civile."
    bio_en = "Family and civil mediator."
    languages = factory.LazyFunction(lambda: ["fr", "en"])
    specialties = factory.LazyFunction(lambda: ["family", "civil"])
    regions = factory.LazyFunction(lambda: ["FR-75", "FR-92"])
    modes = factory.LazyFunction(lambda: ["online", "in_person"])
    rate_min_eur = Decimal("120.00")
    rate_max_eur = Decimal("180.00")
    registrations = factory.LazyFunction(
        lambda: [{"kind": "court_of_appeal", "name": "Paris", "number": None}]
    )


class TrainingRecordFactory(BaseFactory):
    class Meta:
        model = TrainingRecord

    profile = factory.SubFactory(MediatorProfileFactory)
    title = "Formation continue : la médiation en ligne"
    provider = "Institut de formation à la médiation"
    kind = TrainingKind.CONTINUING_EDUCATION
    hours = Decimal("14.00")
    started_on = factory.LazyFunction(lambda: now().date() - timedelta(days=60))
    ended_on = factory.LazyAttribute(lambda o: o.started_on + timedelta(days=1))


class CertificationSchemeFactory(BaseFactory):
    class Meta:
        model = CertificationScheme

    code = factory.Sequence(lambda n: f"scheme-{n}")
    name = factory.Sequence(lambda n: f"Certification de médiateur {n}")
    issuing_body = "Organisme certificateur"
    country = "FR"
    # The rules of a real seeded scheme (FFCM: 10 h training + 10 h supervision a year).
    rules = factory.LazyFunction(lambda: by_code("fr-ffcm").row()["rules"])
    sources = factory.LazyFunction(lambda: by_code("fr-ffcm").row()["sources"])


class CertificationFactory(BaseFactory):
    class Meta:
        model = Certification

    profile = factory.SubFactory(MediatorProfileFactory)
    scheme = factory.SubFactory(CertificationSchemeFactory)
    number = factory.Sequence(lambda n: f"CERT-{n:05d}")
    issued_on = factory.LazyFunction(lambda: now().date() - timedelta(days=365))
    expires_on = factory.LazyAttribute(lambda o: o.issued_on + timedelta(days=3 * 365))
    stage = CertificationStage.DEFINITIVE


class IssuedCredentialFactory(BaseFactory):
    class Meta:
        model = IssuedCredential

    id = factory.LazyFunction(uuid.uuid4)
    certification_id = factory.LazyFunction(lambda: CertificationFactory().id)
    issued_at = factory.LazyFunction(now)
    valid_until = factory.LazyAttribute(lambda o: o.issued_at + timedelta(days=365))


class AffiliationFactory(TenantOwnedFactory):
    class Meta:
        model = Affiliation

    tenant = factory.SubFactory(TenantFactory)
    profile = factory.SubFactory(MediatorProfileFactory)
    status = AffiliationStatus.ACTIVE
    rate_eur = Decimal("150.00")
    internal_notes = "Disponible le mardi."


# --- Reminders (core.credentials.reminders) and centers' digests (tenants.digest) -------


class ReminderFactory(BaseFactory):
    """A recorded, unsent 30-day expiry reminder to the certification's mediator."""

    class Meta:
        model = Reminder
        exclude = ("certification",)

    certification = factory.SubFactory(CertificationFactory)
    certification_id = factory.SelfAttribute("certification.id")
    user_id = factory.SelfAttribute("certification.profile.user_id")
    kind = ReminderKind.EXPIRY_30
    occasion = factory.LazyAttribute(lambda o: o.certification.expires_on.isoformat())


class ReminderOptOutFactory(BaseFactory):
    class Meta:
        model = ReminderOptOut
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    kind = ReminderKind.HOURS_SHORT


class CenterDigestFactory(TenantOwnedFactory):
    """A recorded, unsent weekly digest to one of the center's managers."""

    class Meta:
        model = CenterDigest
        exclude = ("user",)

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    week = "2025-W07"


# --- The marketplace: center pages, offers, inquiries (tenants) and listings ------------


class CenterProfileFactory(TenantOwnedFactory):
    """A published center page."""

    class Meta:
        model = CenterProfile

    tenant = factory.SubFactory(TenantFactory)
    presentation_fr = "Un centre de médiation au service des familles et des entreprises."
    presentation_en = "A mediation center serving families and businesses."
    address = "12 rue de la Paix"
    postal_code = "75002"
    service_area = factory.LazyFunction(lambda: ["FR-75", "FR-92"])
    languages = factory.LazyFunction(lambda: ["fr", "en"])
    website = "https://centre.example.org"
    contact_email = factory.Sequence(lambda n: f"contact{n}@centre.example.org")
    contact_phone = "+33 1 23 45 67 89"
    published = True


class OfferFactory(TenantOwnedFactory):
    """A published standard offer: 3 sessions of 2 hours, 250 EUR excl. VAT per party."""

    class Meta:
        model = Offer

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Médiation standard {n}")
    kind = OfferKind.STANDARD
    included = "Entretiens individuels, trois séances communes, rédaction de l'accord."
    duration_minutes = 120
    sessions = 3
    price_excl_vat = Decimal("250.00")
    vat_rate = Decimal("20.00")
    price_incl_vat = factory.LazyAttribute(
        lambda o: (o.price_excl_vat * (100 + o.vat_rate) / 100).quantize(Decimal("0.01"))
    )
    pricing = OfferPricing.PER_PARTY
    mode = OfferMode.HYBRID
    steps = factory.LazyFunction(
        lambda: ["Entretien d'information", "Séances communes", "Accord écrit"]
    )
    published = True


class InquiryFactory(TenantOwnedFactory):
    class Meta:
        model = Inquiry

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Faker("name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"visiteur{n}@example.org")
    message = "Bonjour, nous souhaitons une médiation familiale."
    locale = "fr"
    consented_at = factory.LazyFunction(now)


class MediatorListingFactory(BaseFactory):
    """A public row written directly (the indexer builds the real ones)."""

    class Meta:
        model = MediatorListing
        exclude = ("profile",)

    profile = factory.SubFactory(MediatorProfileFactory)
    profile_id = factory.SelfAttribute("profile.id")
    slug = factory.LazyAttribute(lambda o: f"mediateur-{o.profile.id.hex[:12]}")
    display_name = factory.SelfAttribute("profile.display_name")
    name_folded = factory.LazyAttribute(lambda o: o.profile.display_name.lower())
    languages = factory.LazyFunction(lambda: ["fr"])
    specialties = factory.LazyFunction(lambda: ["family"])
    regions = factory.LazyFunction(lambda: ["FR-75"])
    modes = factory.LazyFunction(lambda: ["online"])
    center_slugs = factory.LazyFunction(list)


class CenterListingFactory(BaseFactory):
    class Meta:
        model = CenterListing
        exclude = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    center_id = factory.SelfAttribute("tenant.id")
    slug = factory.SelfAttribute("tenant.slug")
    name = factory.SelfAttribute("tenant.legal_name")
    name_folded = factory.LazyAttribute(lambda o: o.tenant.legal_name.lower())


# --- referrals -----------------------------------------------------------------------


class ReferralFactory(TenantOwnedFactory):
    """A case partner `partner` sent to center `tenant`, with a claimant and a respondent
    unless `parties` names others ([(name, role, email)]) or is False."""

    class Meta:
        model = Referral
        exclude = ("partner",)

    tenant = factory.SubFactory(TenantFactory)
    partner = factory.SubFactory(PartnerFactory)
    partner_id = factory.SelfAttribute("partner.id")
    reference = factory.Sequence(lambda n: f"DOSSIER-{n}")
    dispute_type = "commercial"
    summary = "Litige sur le paiement de factures entre deux sociétés."
    urgency = Urgency.STANDARD
    language = "fr"
    parties_informed_at = factory.LazyFunction(now)
    contact_consented_at = factory.LazyFunction(now)
    status = ReferralStatus.SUBMITTED

    @factory.post_generation
    def parties(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        default = [
            ("Société Alpha", "claimant", "contact@alpha.example"),
            ("Société Beta", "respondent", "contact@beta.example"),
        ]
        tenant = db.session.get(Tenant, obj.tenant_id)
        for position, (name, role, email) in enumerate(extracted or default):
            ReferralPartyFactory(
                tenant=tenant,
                referral=obj,
                position=position,
                name=name,
                role=PartyRole(role),
                email=email,
            )


class _OfReferral(TenantOwnedFactory):
    """A row of a case: of `referral`, made in `tenant` (a new case there by default)."""

    class Meta:
        abstract = True
        exclude = ("referral",)

    tenant = factory.SubFactory(TenantFactory)
    referral = factory.SubFactory(
        ReferralFactory, tenant=factory.SelfAttribute("..tenant"), parties=False
    )
    partner_id = factory.SelfAttribute("referral.partner_id")
    referral_id = factory.SelfAttribute("referral.id")


class ReferralPartyFactory(_OfReferral):
    class Meta:
        model = ReferralParty

    name = factory.Faker("name", locale="fr_FR")
    name_folded = factory.LazyAttribute(lambda o: " ".join(o.name.casefold().split()))
    role = PartyRole.CLAIMANT
    email = factory.Sequence(lambda n: f"partie{n}@example.org")


class ReferralEventFactory(_OfReferral):
    class Meta:
        model = ReferralEvent

    position = factory.Sequence(lambda n: n + 1)
    kind = "created"
    status = ReferralStatus.SUBMITTED
    actor = "partner"
    details = factory.LazyFunction(dict)


class IdempotencyRecordFactory(BaseFactory):
    class Meta:
        model = IdempotencyRecord

    client_id = factory.Sequence(lambda n: f"mhc_test{n}")
    key = factory.LazyFunction(lambda: str(uuid.uuid4()))
    request_hash = "0" * 64
    response_status = 201
    response_body = "{}"


# --- webhooks ---------------------------------------------------------------------------


class WebhookEndpointFactory(BaseFactory):
    class Meta:
        model = WebhookEndpoint

    partner_id = factory.LazyFunction(lambda: PartnerFactory().id)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.org/mediation")
    event_types = factory.LazyFunction(list)  # every event
    secret = factory.LazyFunction(new_secret)


class WebhookMessageFactory(BaseFactory):
    class Meta:
        model = WebhookMessage

    partner_id = factory.LazyFunction(lambda: PartnerFactory().id)
    event_type = "referral.accepted"
    payload = factory.LazyFunction(lambda: {"referral": {"id": str(uuid.uuid4())}})


class WebhookDeliveryFactory(BaseFactory):
    class Meta:
        model = WebhookDelivery
        exclude = ("endpoint",)

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    endpoint_id = factory.SelfAttribute("endpoint.id")
    partner_id = factory.SelfAttribute("endpoint.partner_id")
    message_id = factory.LazyAttribute(lambda o: WebhookMessageFactory(partner_id=o.partner_id).id)


class WebhookAttemptFactory(BaseFactory):
    class Meta:
        model = WebhookAttempt

    delivery_id = factory.LazyFunction(lambda: WebhookDeliveryFactory().id)
    number = 1
    status_code = 200
    duration_ms = 12


# --- party fees (referrals.fee_models) ------------------------------------------------------


class CenterBillingProfileFactory(TenantOwnedFactory):
    """A center's invoicing details, with a bank account and no Stripe key."""

    class Meta:
        model = CenterBillingProfile

    tenant = factory.SubFactory(TenantFactory)
    legal_name = factory.Sequence(lambda n: f"Centre de médiation {n} SAS")
    address = "12 rue de la Paix"
    postal_code = "75002"
    city = "Paris"
    country = "FR"
    siret = "53298471300018"
    vat_number = "FR40303265045"
    iban = "FR1420041010050500013M02606"
    bic = "PSSTFRPPPAR"


class FeeQuoteFactory(TenantOwnedFactory):
    """1,000.00 EUR excl. VAT for an accepted case (two parties), shared equally."""

    class Meta:
        model = FeeQuote
        exclude = ("referral",)

    tenant = factory.SubFactory(TenantFactory)
    referral = factory.SubFactory(
        ReferralFactory, tenant=factory.SelfAttribute("..tenant"), status=ReferralStatus.ACCEPTED
    )
    referral_id = factory.SelfAttribute("referral.id")
    description = "Médiation : 6.67 h"
    amount_excl_vat_cents = 100000
    vat_rate = Decimal("20.00")
    split_mode = SplitMode.EQUAL


class InvoiceSequenceFactory(TenantOwnedFactory):
    class Meta:
        model = InvoiceSequence

    tenant = factory.SubFactory(TenantFactory)
    last_number = 0


class PartyInvoiceFactory(TenantOwnedFactory):
    """An issued invoice of 500.00 EUR + 20% VAT to a private person, unpaid."""

    class Meta:
        model = PartyInvoice
        exclude = ("referral",)

    tenant = factory.SubFactory(TenantFactory)
    referral = factory.SubFactory(
        ReferralFactory, tenant=factory.SelfAttribute("..tenant"), status=ReferralStatus.ACCEPTED
    )
    referral_id = factory.SelfAttribute("referral.id")
    # Far above what a test issues through the sequence (which starts at 1): no clash.
    number = factory.Sequence(lambda n: n + 100_000)
    kind = InvoiceKind.INVOICE
    issued_on = factory.LazyFunction(lambda: now().date())
    due_on = factory.LazyFunction(lambda: now().date() + timedelta(days=30))
    seller = factory.LazyFunction(
        lambda: {
            "legal_name": "Centre de médiation SAS",
            "address": "12 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "country": "FR",
            "siret": "53298471300018",
            "vat_number": "FR40303265045",
            "iban": "FR1420041010050500013M02606",
            "bic": "PSSTFRPPPAR",
            "legal_mentions": "",
            "payment_terms_days": 30,
        }
    )
    buyer_name = factory.Faker("name", locale="fr_FR")
    buyer_address = "3 place du Marché"
    buyer_postal_code = "69001"
    buyer_city = "Lyon"
    buyer_country = "FR"
    lines = factory.LazyFunction(
        lambda: [
            {
                "description": "Médiation",
                "quantity": "1",
                "unit_cents": 50000,
                "vat_rate": "20.00",
                "net_cents": 50000,
                "vat_cents": 10000,
            }
        ]
    )
    net_cents = 50000
    vat_cents = 10000
    total_cents = 60000


# --- Platform billing (core.billing: global tables keyed by the center) ---------------


class BillingAccountFactory(BaseFactory):
    class Meta:
        model = BillingAccount

    tenant_id = factory.LazyFunction(lambda: TenantFactory().id)
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_test{n:06d}")
    plan_code = "center"
    interval = "month"
    status = SubscriptionStatus.ACTIVE.value
    seats_billed = 2
    current_period_start = factory.LazyFunction(now)
    current_period_end = factory.LazyFunction(lambda: now() + timedelta(days=30))


class StripeEventFactory(BaseFactory):
    class Meta:
        model = StripeEvent

    id = factory.Sequence(lambda n: f"evt_test{n:06d}")
    type = "invoice.paid"


class SubscriptionInvoiceFactory(BaseFactory):
    class Meta:
        model = SubscriptionInvoice

    tenant_id = factory.LazyFunction(lambda: TenantFactory().id)
    stripe_invoice_id = factory.Sequence(lambda n: f"in_test{n:06d}")
    number = factory.Sequence(lambda n: f"MH-{n:04d}")
    status = "paid"
    currency = "eur"
    subtotal_cents = 5000
    tax_cents = 1000
    total_cents = 6000
    amount_paid_cents = 6000
    issued_at = factory.LazyFunction(now)


class OverageChargeFactory(BaseFactory):
    class Meta:
        model = OverageCharge

    tenant_id = factory.LazyFunction(lambda: TenantFactory().id)
    period_start = factory.LazyFunction(lambda: now() - timedelta(days=30))
    period_end = factory.LazyFunction(now)
    referrals_received = 13
    referrals_included = 10
    billed_quantity = 3
    unit_amount_cents = 500
    amount_cents = 1500
