"""The partner's referral portal: referring a case through the form (its two steps, the
centers and mediators offered, bad input shown on the fields with nothing written),
the organisation's list, a case as the partner reads it with its timeline, cancelling,
the dashboard's counters, another partner's cases out of reach, French and English."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import db
from core.tenancy import platform_scope, tenant_scope
from referrals import cases
from referrals.models import PartnerRole, Referral, ReferralStatus
from tenants.models import TenantStatus
from tests.bad_input import PageErrors
from tests.factories import (
    PartnerFactory,
    PartnerMembershipFactory,
    ReferralFactory,
    TenantFactory,
    UserFactory,
)
from tests.marketplace.helpers import listed_center, listed_mediator, settle
from tests.tenants.helpers import audit_rows, sign_in

SUMMARY = "Désaccord sur la livraison et le paiement de trois commandes."


def referral_form(center_slug: str, **changes: str) -> dict[str, str]:
    """A valid post of the portal's referral form: two parties, three empty rows."""
    data = {
        "center": center_slug,
        "preferred_mediator_id": "",
        "reference": "CAB-2026-0042",
        "dispute_type": "commercial",
        "summary": SUMMARY,
        "amount_eur": "18 500,50",
        "urgency": "urgent",
        "language": "fr",
        "preferred_mode": "hybrid",
        "party_name_0": "Société Delta",
        "party_role_0": "claimant",
        "party_email_0": "Juridique@Delta.example",
        "party_phone_0": "",
        "party_lawyer_0": "Me Anne Roux",
        "party_name_1": "Hélène Garnier",
        "party_role_1": "respondent",
        "party_email_1": "h.garnier@example.org",
        "party_phone_1": "+33 6 12 34 56 78",
        "party_lawyer_1": "",
        **{
            f"party_{part}_{row}": ""
            for row in range(2, 5)
            for part in ("name", "role", "email", "phone", "lawyer")
        },
        "parties_informed": "y",
        "contact_consent": "y",
    }
    data.update(changes)
    return data


def count_referrals() -> int:
    db.session.expire_all()
    with platform_scope("test: count referrals"):
        found = db.session.scalar(select(func.count()).select_from(Referral))
    db.session.rollback()
    return found


def stored(referral_id: Any) -> Any:
    """The case as stored, read apart (the read ends at once: SQLite would keep the
    app's writers waiting)."""
    db.session.expire_all()
    with platform_scope("test: read a referral"):
        row = db.session.get(Referral, referral_id)
        found = SimpleNamespace(
            **{c.key: getattr(row, c.key) for c in Referral.__table__.columns},
            parties=[(p.name, p.role.value, p.email, p.lawyer) for p in row.parties],
        )
    db.session.rollback()
    return found


@pytest.fixture
def firm(app):
    partner = PartnerFactory(slug="cabinet-roux", name="Cabinet Roux Avocats")
    referrer = PartnerMembershipFactory(
        partner=partner, user=UserFactory(locale="en"), role=PartnerRole.REFERRER
    ).user
    return partner, referrer


def portal(partner: Any, path: str = "") -> str:
    return f"/p/{partner.slug}/referrals{path}"


# --- referring a case ----------------------------------------------------------------------


def test_a_referrer_refers_a_case_in_two_steps(app, client, firm, clock):
    partner, referrer = firm
    center = listed_center(city="Lyon")
    mediator = listed_mediator(center, display_name="Marc Lefèvre")
    hidden = listed_mediator(TenantFactory(), display_name="Paul Ailleurs")
    closed = TenantFactory(legal_name="Centre fermé aux envois", accepts_referrals=False)
    pending = TenantFactory(legal_name="Centre en attente", status=TenantStatus.PENDING)
    settle(app)
    sign_in(client, referrer)

    chooser = client.get(portal(partner, "/new")).get_data(as_text=True)
    assert f"{center.legal_name} (Lyon)" in chooser
    assert closed.legal_name not in chooser and pending.legal_name not in chooser
    page = client.get(portal(partner, f"/new?center={center.slug}")).get_data(as_text=True)
    assert f'value="{mediator.id}"' in page and "Marc Lefèvre" in page
    assert hidden.display_name not in page  # another center's mediator
    assert 'name="party_lawyer_4"' in page and 'name="contact_consent"' in page

    form = referral_form(center.slug, preferred_mediator_id=str(mediator.id))
    response = client.post_form(portal(partner, "/new"), form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    case_id = uuid.UUID(response.headers["Location"].rsplit("/", 1)[1])
    assert response.headers["Location"] == portal(partner, f"/{case_id}")

    referral = stored(case_id)
    assert (referral.tenant_id, referral.partner_id) == (center.id, partner.id)
    assert referral.created_by_id == referrer.id and referral.client_id is None
    assert referral.status == ReferralStatus.SUBMITTED and referral.urgency.value == "urgent"
    assert str(referral.amount_eur) == "18500.50" and referral.reference == "CAB-2026-0042"
    assert referral.preferred_profile_id == mediator.id and referral.summary == SUMMARY
    assert referral.parties_informed_at is not None and referral.contact_consented_at is not None
    assert referral.parties == [
        ("Société Delta", "claimant", "juridique@delta.example", "Me Anne Roux"),
        ("Hélène Garnier", "respondent", "h.garnier@example.org", None),
    ]

    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Your referral is sent to {center.legal_name}." in shown
    assert "Referral sent" in shown and "Marc Lefèvre" in shown and "18,500.50" in shown
    assert 'data-status="submitted"' in shown


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"center": ""}, "center"),
        ({"center": "no-such-center"}, "center"),
        ({"dispute_type": "piracy"}, "dispute_type"),
        ({"summary": "   "}, "summary"),
        ({"summary": "x" * 10_001}, "summary"),
        ({"amount_eur": "douze"}, "amount_eur"),
        ({"amount_eur": "-5"}, "amount_eur"),
        ({"language": "zz"}, "language"),
        ({"urgency": "tomorrow"}, "urgency"),
        ({"party_name_0": ""}, "party_name_0"),
        ({"party_email_1": "not-an-email"}, "party_email_1"),
        ({"party_phone_2": "+33 1 23 45 67 89"}, "party_name_2"),
        ({"party_name_3": "Jean Tiers"}, "party_role_3"),
        ({"party_role_2": "judge"}, "party_role_2"),
        ({"parties_informed": ""}, "parties_informed"),
        ({"contact_consent": ""}, "contact_consent"),
        ({"preferred_mediator_id": str(uuid.uuid4())}, "preferred_mediator_id"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_writes_nothing(app, client, firm, changes, field):
    partner, referrer = firm
    center = TenantFactory()
    sign_in(client, referrer)
    response = client.post_form(portal(partner, "/new"), referral_form(center.slug, **changes))
    assert response.status_code == 422
    errors = PageErrors(response.get_data(as_text=True))
    assert errors.field_error(field), (field, sorted(errors.invalid))
    assert count_referrals() == 0


def test_the_service_s_refusals_are_shown_on_the_fields_too(app, client, firm):
    """A center that stopped taking referrals after the page was shown; a published
    mediator whose affiliation has ended since."""
    partner, referrer = firm
    center = listed_center()
    mediator = listed_mediator(center)
    settle(app)
    sign_in(client, referrer)
    from tenants.models import Affiliation, AffiliationStatus

    with tenant_scope(center.id):
        db.session.scalar(select(Affiliation)).status = AffiliationStatus.ENDED
        db.session.commit()
    form = referral_form(center.slug, preferred_mediator_id=str(mediator.id))
    response = client.post_form(portal(partner, "/new"), form)
    # The listing may still show them until it is refreshed: the service has the last word.
    assert response.status_code == 422
    errors = PageErrors(response.get_data(as_text=True))
    assert errors.field_error("preferred_mediator_id")
    assert count_referrals() == 0


def test_an_unknown_field_is_refused_with_an_alert(app, client, firm):
    partner, referrer = firm
    center = TenantFactory()
    sign_in(client, referrer)
    form = referral_form(center.slug, partner_id=str(uuid.uuid4()))
    response = client.post_form(portal(partner, "/new"), form)
    assert response.status_code == 422
    assert any(
        "partner_id" in alert for alert in PageErrors(response.get_data(as_text=True)).alerts
    )
    assert count_referrals() == 0


def test_a_center_not_taking_referrals_is_not_offered(app, client, firm):
    partner, referrer = firm
    closed = TenantFactory(accepts_referrals=False)
    sign_in(client, referrer)
    page = client.get(portal(partner, "/new")).get_data(as_text=True)
    assert "No mediation center accepts referrals at the moment." in page
    TenantFactory()
    page = client.get(portal(partner, f"/new?center={closed.slug}")).get_data(as_text=True)
    assert "Choose a center from the list." in page and 'name="summary"' not in page
    response = client.post_form(portal(partner, "/new"), referral_form(closed.slug))
    assert response.status_code == 422 and count_referrals() == 0
    assert PageErrors(response.get_data(as_text=True)).field_error("center")


# --- the list and a case -----------------------------------------------------------------------


def test_the_list_shows_the_organisation_s_cases_newest_first_with_counts(app, client, firm, clock):
    from datetime import timedelta

    partner, referrer = firm
    center = TenantFactory()
    ReferralFactory(tenant=center, partner=partner, reference="PREMIER")
    clock.advance(timedelta(hours=1))
    ReferralFactory(tenant=center, partner=partner, reference="SECOND")
    clock.advance(timedelta(hours=1))
    ReferralFactory(
        tenant=center, partner=partner, reference="ANNULE", status=ReferralStatus.CANCELLED
    )
    ReferralFactory(tenant=center, reference="AUTRE-CABINET")
    sign_in(client, referrer)

    page = client.get(portal(partner)).get_data(as_text=True)
    assert page.index("ANNULE") < page.index("SECOND") < page.index("PREMIER")
    assert "AUTRE-CABINET" not in page
    assert re.search(r'data-count="submitted">Submitted <span[^>]*>2<', page)
    assert re.search(r'data-count="cancelled">Cancelled <span[^>]*>1<', page)
    cancelled = client.get(portal(partner, "?status=cancelled")).get_data(as_text=True)
    assert "ANNULE" in cancelled and "SECOND" not in cancelled
    assert client.get(portal(partner, "?status=lost")).status_code == 422
    assert client.get(portal(partner, "?page=zero")).status_code == 422

    dashboard = client.get(f"/p/{partner.slug}/").get_data(as_text=True)
    assert "portal is on its way" not in dashboard
    assert "Cases referred by your organisation: 3." in dashboard
    assert f'href="/p/{partner.slug}/referrals/new"' in dashboard
    assert f'href="/p/{partner.slug}/referrals?status=cancelled"' in dashboard


def test_the_partner_reads_its_case_and_timeline_but_never_the_center_s_reasons(app, client, firm):
    partner, referrer = firm
    center = TenantFactory()
    from tests.referrals.helpers import active_mediator

    mediator = active_mediator(center, "Lise Moreau")
    ReferralFactory(
        tenant=center,
        status=ReferralStatus.CLOSED,
        mediator_profile_id=mediator.id,
        parties=[("Société Alpha", "claimant", "x@example.org")],
    )
    case = ReferralFactory(tenant=center, partner=partner, reference="SUIVI-1")
    override = "Les parties connaissent et acceptent cette médiatrice."
    actor = cases.Actor("center")
    with tenant_scope(center.id):
        cases.accept(case.id, actor)
        cases.assign(case.id, mediator.id, actor, override_reason=override)
        db.session.commit()
    sign_in(client, referrer)

    page = client.get(portal(partner, f"/{case.id}")).get_data(as_text=True)
    for text in ("Accepted by the center", "Mediator assigned", "Mediator: Lise Moreau"):
        assert text in page, text
    assert "Société Alpha" in page and "Société Beta" in page  # what it sent
    assert override not in page
    assert 'action="/p/cabinet-roux/referrals/' not in page  # accepted: no cancel button
    reads = audit_rows(center, "referral.read")
    assert [(r.details["by"], r.actor_id) for r in reads] == [("partner", referrer.id)]


def test_a_case_is_cancelled_until_the_center_accepts_it(app, client, firm):
    partner, referrer = firm
    center = TenantFactory()
    case_id = ReferralFactory(tenant=center, partner=partner).id
    accepted_id = ReferralFactory(tenant=center, partner=partner, status=ReferralStatus.ACCEPTED).id
    sign_in(client, referrer)

    page = client.get(portal(partner, f"/{case_id}")).get_data(as_text=True)
    assert f'action="{portal(partner, f"/{case_id}/cancel")}"' in page
    response = client.post_form(portal(partner, f"/{case_id}/cancel"))
    assert response.status_code == 303
    assert response.headers["Location"] == portal(partner, f"/{case_id}")
    assert stored(case_id).status == ReferralStatus.CANCELLED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The referral is cancelled." in page and "Cancelled by the partner" in page

    refused = client.post_form(portal(partner, f"/{accepted_id}/cancel"))
    assert refused.status_code == 409
    assert "can no longer be cancelled" in refused.get_data(as_text=True)
    assert stored(accepted_id).status == ReferralStatus.ACCEPTED
    fresh_id = ReferralFactory(tenant=center, partner=partner).id
    unknown = client.post_form(portal(partner, f"/{fresh_id}/cancel"), {"why": "1"})
    assert unknown.status_code == 422
    assert any("why" in alert for alert in PageErrors(unknown.get_data(as_text=True)).alerts)
    assert stored(fresh_id).status == ReferralStatus.SUBMITTED


def test_an_admin_refers_and_cancels_too(app, client, firm):
    partner, _referrer = firm
    admin = PartnerMembershipFactory(partner=partner, role=PartnerRole.ADMIN).user
    center = TenantFactory()
    sign_in(client, admin)
    response = client.post_form(portal(partner, "/new"), referral_form(center.slug))
    assert response.status_code == 303
    cancel = client.post_form(response.headers["Location"] + "/cancel")
    assert cancel.status_code == 303


# --- another partner's cases ---------------------------------------------------------------------


def test_another_partner_s_member_gets_404_everywhere(app, client, firm):
    partner, _referrer = firm
    center = TenantFactory()
    theirs = ReferralFactory(tenant=center, partner=partner, reference="CONFIDENTIEL").id
    other = PartnerFactory(slug="association-b")
    stranger = PartnerMembershipFactory(partner=other, user=UserFactory(locale="en")).user
    sign_in(client, stranger)

    for url in (portal(partner), portal(partner, "/new"), portal(partner, f"/{theirs}")):
        assert client.get(url).status_code == 404, url
    assert client.get(portal(other, f"/{theirs}")).status_code == 404
    for url in (portal(partner, f"/{theirs}/cancel"), portal(other, f"/{theirs}/cancel")):
        assert client.post_form(url).status_code == 404, url
    assert client.post_form(portal(partner, "/new"), referral_form(center.slug)).status_code == 404
    assert "CONFIDENTIEL" not in client.get(portal(other)).get_data(as_text=True)
    assert stored(theirs).status == ReferralStatus.SUBMITTED and count_referrals() == 1
    assert audit_rows(center, "referral.read") == []


# --- languages ---------------------------------------------------------------------------------


def test_the_portal_speaks_french_and_english(app, client, firm):
    partner, referrer = firm
    case = ReferralFactory(tenant=TenantFactory(), partner=partner, status=ReferralStatus.ACCEPTED)
    sign_in(client, referrer)
    english = client.get(portal(partner, f"/{case.id}")).get_data(as_text=True)
    assert '<html lang="en">' in english and ">Accepted<" in english and "Status" in english

    client.post_form("/locale", {"locale": "fr", "next": portal(partner, f"/{case.id}")})
    french = client.get(portal(partner, f"/{case.id}")).get_data(as_text=True)
    assert '<html lang="fr">' in french and ">Acceptée<" in french and "Statut" in french
    listing = client.get(portal(partner)).get_data(as_text=True)
    assert '<html lang="fr">' in listing and 'data-count="accepted">Acceptée <span' in listing
