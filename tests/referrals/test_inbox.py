"""The center's inbox: a case referred through the partner's portal, run by the center's
case manager from receipt to closing (the conflict-of-interest check shown, then
overridden with an audited reason; the session scheduled in the center's time zone),
then read by the partner; the list with its counts and pages; who may read and act; a
step the case can no longer take; bad input shown on the fields with nothing written;
another center's cases out of reach; French and English."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from referrals import cases
from referrals.models import PartnerRole, ReferralStatus
from tenants.models import AffiliationStatus, Role
from tests.bad_input import PageErrors
from tests.factories import (
    AffiliationFactory,
    MediatorProfileFactory,
    MembershipFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ReferralFactory,
    UserFactory,
)
from tests.referrals.helpers import active_mediator
from tests.referrals.test_portal import count_referrals, referral_form, stored
from tests.tenants.helpers import audit_rows, make_center, sign_in


@pytest.fixture
def center(app):
    return make_center(locale="en", legal_name="Centre de médiation du Rhône")


@pytest.fixture
def firm(app):
    partner = PartnerFactory(slug="cabinet-roux", name="Cabinet Roux Avocats")
    referrer = PartnerMembershipFactory(
        partner=partner, user=UserFactory(locale="en"), role=PartnerRole.REFERRER
    ).user
    return partner, referrer


def inbox(center: Any, path: str = "") -> str:
    return center.url(f"referrals{path}")


def _case(center: Any, **fields: Any) -> uuid.UUID:
    return ReferralFactory(tenant=center.tenant, **fields).id


# --- a case from the portal to its closing ---------------------------------------------------


def test_a_referred_case_runs_from_the_portal_to_closing(app, client, center, firm, clock):
    partner, referrer = firm
    mediator = active_mediator(center.tenant, "Marc Lefèvre")
    other = active_mediator(center.tenant, "Lise Moreau")
    earlier = _case(
        center,
        reference="ANCIEN-7",
        status=ReferralStatus.CLOSED,
        mediator_profile_id=mediator.id,
        parties=[("HELENE  garnier", "claimant", "autre@example.org")],
    )

    # The partner's referrer refers the case through the portal's form.
    sign_in(client, referrer)
    sent = client.post_form(f"/p/{partner.slug}/referrals/new", referral_form(center.slug))
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    portal_url = sent.headers["Location"]
    case_id = uuid.UUID(portal_url.rsplit("/", 1)[1])

    # The center's case manager finds it in the inbox, counted in the navigation.
    sign_in(client, center.case_manager)
    listed = client.get(inbox(center)).get_data(as_text=True)
    assert f'href="/c/{center.slug}/referrals/{case_id}"' in listed
    assert "Cabinet Roux Avocats" in listed and "CAB-2026-0042" in listed
    assert re.search(r"Referrals <span[^>]*>1<", listed)
    url = inbox(center, f"/{case_id}")
    page = client.get(url).get_data(as_text=True)
    for text in ("Société Delta", "juridique@delta.example", "Me Anne Roux", "€18,500.50"):
        assert text in page, text
    assert "Urgent" in page and "Referral sent" in page
    assert [r.actor_id for r in audit_rows(center.tenant, "referral.read")] == [
        center.case_manager.id
    ]

    assert client.post_form(f"{url}/acknowledge").status_code == 303
    accepted = client.post_form(f"{url}/accept")
    assert accepted.status_code == 303 and accepted.headers["Location"] == url
    assert stored(case_id).status == ReferralStatus.ACCEPTED

    # Marc Lefèvre handled a case of one of the parties: the check says which.
    refused = client.post_form(f"{url}/assign", {"mediator_id": str(mediator.id)})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Possible conflict of interest" in html and "ANCIEN-7" in html
    assert 'name="override_reason"' in html and "Assign anyway" in html
    short = client.post_form(
        f"{url}/assign", {"mediator_id": str(mediator.id), "override_reason": "ok"}
    )
    assert short.status_code == 409
    assert PageErrors(short.get_data(as_text=True)).field_error("override_reason")
    assert stored(case_id).mediator_profile_id is None
    # Lise Moreau has no such case: her name goes through, and no reason is asked.
    page = client.get(url).get_data(as_text=True)
    assert 'name="override_reason"' not in page
    reason = "Les parties ont accepté ce médiateur en connaissance de cause."
    overridden = client.post_form(
        f"{url}/assign", {"mediator_id": str(mediator.id), "override_reason": reason}
    )
    assert overridden.status_code == 303
    assert "The case is assigned to Marc Lefèvre." in client.get(url).get_data(as_text=True)
    (row,) = audit_rows(center.tenant, "referral.conflict_overridden")
    assert row.details["reason"] == reason and row.details["cases"] == [str(earlier)]
    assert row.actor_id == center.case_manager.id
    assert other.id != stored(case_id).mediator_profile_id == mediator.id

    # 14:00 in Paris in December is 13:00 UTC.
    scheduled = client.post_form(f"{url}/schedule", {"scheduled_at": "2026-12-10T14:00"})
    assert scheduled.status_code == 303
    assert stored(case_id).scheduled_at == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    page = client.get(url).get_data(as_text=True)
    assert 'value="2026-12-10T14:00"' in page  # rescheduling starts from it
    assert client.post_form(f"{url}/outcome", {"outcome": "partial_agreement"}).status_code == 303
    closed = client.post_form(f"{url}/close")
    assert closed.status_code == 303
    final = stored(case_id)
    assert (final.status, final.outcome.value) == (ReferralStatus.CLOSED, "partial_agreement")
    page = client.get(url).get_data(as_text=True)
    assert "The case is closed." in page and "No step is left for this case." in page

    # The partner reads the whole timeline, never the center's reason.
    sign_in(client, referrer)
    mine = client.get(portal_url).get_data(as_text=True)
    steps = re.findall(r'data-event="([a-z_]+)"', mine)
    assert steps == [
        "created",
        "acknowledge",
        "accept",
        "assign",
        "schedule",
        "record_outcome",
        "close",
    ]
    assert "Mediator: Marc Lefèvre" in mine and "Outcome: Partial agreement" in mine
    assert "Dec 10, 2026, 2:00:00\u202fPM" in mine or "Dec 10, 2026, 2:00:00 PM" in mine
    assert reason not in mine and "ANCIEN-7" not in mine
    assert 'data-status="closed"' in mine


def test_declining_gives_the_partner_the_reason(app, client, center, firm):
    partner, referrer = firm
    case_id = _case(center, partner=partner)
    sign_in(client, center.admin)
    url = inbox(center, f"/{case_id}")
    response = client.post_form(f"{url}/decline", {"reason": "Aucun médiateur disponible."})
    assert response.status_code == 303
    assert stored(case_id).decline_reason == "Aucun médiateur disponible."
    sign_in(client, referrer)
    page = client.get(f"/p/{partner.slug}/referrals/{case_id}").get_data(as_text=True)
    assert "Declined by the center" in page and "Aucun médiateur disponible." in page


def test_the_session_is_scheduled_in_the_center_s_time_zone(app, client):
    tokyo = make_center(locale="en", timezone="Asia/Tokyo")
    case_id = _case(tokyo, status=ReferralStatus.ASSIGNED)
    sign_in(client, tokyo.owner)
    url = inbox(tokyo, f"/{case_id}")
    page = client.get(url).get_data(as_text=True)
    assert "In the center's time zone (Asia/Tokyo)." in page
    assert (
        client.post_form(f"{url}/schedule", {"scheduled_at": "2026-12-10T14:00"}).status_code == 303
    )
    assert stored(case_id).scheduled_at == datetime(2026, 12, 10, 5, 0, tzinfo=UTC)

    paris = make_center(locale="en")
    case_id = _case(paris, status=ReferralStatus.ASSIGNED)
    sign_in(client, paris.owner)
    # Clocks go forward at 2:00 on 29 March 2026 in Paris: 2:30 does not exist.
    skipped = client.post_form(
        inbox(paris, f"/{case_id}/schedule"), {"scheduled_at": "2026-03-29T02:30"}
    )
    assert skipped.status_code == 422
    assert "does not exist" in PageErrors(skipped.get_data(as_text=True)).field_error(
        "scheduled_at"
    )
    assert stored(case_id).scheduled_at is None


# --- the list ----------------------------------------------------------------------------------


def test_the_list_is_newest_first_with_counts_filter_and_pages(app, client, center, clock):
    for n in range(cases.LIST_PAGE_SIZE + 2):
        _case(center, reference=f"DOSSIER-{n:02d}")
        clock.advance(timedelta(minutes=1))
    _case(center, reference="ACCEPTE", status=ReferralStatus.ACCEPTED)
    elsewhere = make_center()
    _case(elsewhere, reference="AILLEURS")
    sign_in(client, center.owner)

    first = client.get(inbox(center)).get_data(as_text=True)
    assert "Page 1 of 2" in first and "ACCEPTE" in first and "DOSSIER-01" not in first
    assert first.index("ACCEPTE") < first.index("DOSSIER-26") < first.index("DOSSIER-25")
    assert "AILLEURS" not in first
    assert re.search(r'data-count="submitted">Submitted <span[^>]*>27<', first)
    assert re.search(r'data-count="accepted">Accepted <span[^>]*>1<', first)
    assert re.search(r"Referrals <span[^>]*>27<", first)  # new ones, in the navigation
    second = client.get(inbox(center, "?page=2")).get_data(as_text=True)
    assert "DOSSIER-01" in second and "DOSSIER-00" in second and "ACCEPTE" not in second
    accepted = client.get(inbox(center, "?status=accepted")).get_data(as_text=True)
    assert "ACCEPTE" in accepted and "DOSSIER-" not in accepted
    assert client.get(inbox(center, "?status=lost")).status_code == 422
    assert client.get(inbox(center, "?page=zero")).status_code == 422


# --- who may read and act ----------------------------------------------------------------------


def test_a_mediator_of_the_center_sees_only_the_cases_assigned_to_them(app, client, center):
    person = MembershipFactory(
        tenant=center.tenant, role=Role.MEDIATOR, user=UserFactory(locale="en")
    ).user
    profile = MediatorProfileFactory(user=person, display_name="Claire Dubois")
    AffiliationFactory(tenant=center.tenant, profile=profile, status=AffiliationStatus.ACTIVE)
    colleague = active_mediator(center.tenant, "Paul Collègue")
    mine = _case(
        center, reference="LE-MIEN", status=ReferralStatus.ASSIGNED, mediator_profile_id=profile.id
    )
    theirs = _case(
        center,
        reference="LE-SIEN",
        status=ReferralStatus.ASSIGNED,
        mediator_profile_id=colleague.id,
    )
    unassigned = _case(center, reference="PERSONNE")
    sign_in(client, person)

    listed = client.get(inbox(center)).get_data(as_text=True)
    assert "LE-MIEN" in listed and "LE-SIEN" not in listed and "PERSONNE" not in listed
    assert f'href="/c/{center.slug}/referrals"' in listed  # in the navigation
    page = client.get(inbox(center, f"/{mine}"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "Société Alpha" in html
        and "Next steps" not in html
        and '<form method="post" action="/c/' not in html
    )
    for other in (theirs, unassigned):
        assert client.get(inbox(center, f"/{other}")).status_code == 404
    # No step for a mediator, even on their own case.
    assert (
        client.post_form(
            inbox(center, f"/{mine}/schedule"), {"scheduled_at": "2026-12-10T14:00"}
        ).status_code
        == 403
    )
    assert stored(mine).scheduled_at is None
    reads = audit_rows(center.tenant, "referral.read")
    assert [(r.actor_id, r.object_id) for r in reads] == [(person.id, str(mine))]


def test_a_mediator_member_without_a_profile_sees_no_case(app, client, center):
    person = MembershipFactory(tenant=center.tenant, role=Role.MEDIATOR, user=UserFactory()).user
    case_id = _case(center, reference="QUELCONQUE")
    sign_in(client, person)
    listed = client.get(inbox(center))
    assert listed.status_code == 200 and "QUELCONQUE" not in listed.get_data(as_text=True)
    assert client.get(inbox(center, f"/{case_id}")).status_code == 404


def test_viewers_do_not_read_referred_cases(app, client, center):
    viewer = MembershipFactory(tenant=center.tenant, role=Role.VIEWER, user=UserFactory()).user
    case_id = _case(center)
    sign_in(client, viewer)
    assert client.get(inbox(center)).status_code == 403
    assert client.get(inbox(center, f"/{case_id}")).status_code == 403
    assert client.post_form(inbox(center, f"/{case_id}/accept")).status_code == 403
    dashboard = client.get(center.url("")).get_data(as_text=True)
    assert "/referrals" not in dashboard
    assert stored(case_id).status == ReferralStatus.SUBMITTED
    assert audit_rows(center.tenant, "referral.read") == []


@pytest.mark.parametrize("who", ["owner", "admin", "case_manager"])
def test_owners_admins_and_case_managers_take_the_steps(app, client, center, who):
    case_id = _case(center)
    sign_in(client, getattr(center, who))
    assert client.post_form(inbox(center, f"/{case_id}/accept")).status_code == 303
    assert stored(case_id).status == ReferralStatus.ACCEPTED


# --- refusals ------------------------------------------------------------------------------------


def test_a_step_the_case_can_no_longer_take_is_explained(app, client, center):
    case_id = _case(center, status=ReferralStatus.CLOSED)
    sign_in(client, center.case_manager)
    for step, data in (
        ("accept", {}),
        ("decline", {"reason": "Trop tard."}),
        ("schedule", {"scheduled_at": "2026-12-10T14:00"}),
        ("close", {}),
    ):
        response = client.post_form(inbox(center, f"/{case_id}/{step}"), data)
        assert response.status_code == 409, step
        html = response.get_data(as_text=True)
        assert "This step is not available for a case in the status “Closed”." in html
    assert stored(case_id).status == ReferralStatus.CLOSED
    assert audit_rows(center.tenant, "referral.read") == []


@pytest.mark.parametrize(
    ("step", "status", "data", "field"),
    [
        ("decline", ReferralStatus.SUBMITTED, {"reason": ""}, "reason"),
        ("decline", ReferralStatus.SUBMITTED, {"reason": "x" * 1001}, "reason"),
        ("assign", ReferralStatus.ACCEPTED, {"mediator_id": ""}, "mediator_id"),
        ("assign", ReferralStatus.ACCEPTED, {"mediator_id": str(uuid.uuid4())}, "mediator_id"),
        ("schedule", ReferralStatus.ASSIGNED, {"scheduled_at": "yesterday"}, "scheduled_at"),
        ("schedule", ReferralStatus.ASSIGNED, {}, "scheduled_at"),
        ("outcome", ReferralStatus.SCHEDULED, {"outcome": "lost"}, "outcome"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_writes_nothing(
    app, client, center, step, status, data, field
):
    case_id = _case(center, status=status)
    sign_in(client, center.case_manager)
    before = stored(case_id)
    response = client.post_form(inbox(center, f"/{case_id}/{step}"), data)
    assert response.status_code == 422
    assert PageErrors(response.get_data(as_text=True)).field_error(field), field
    assert stored(case_id) == before
    assert audit_rows(center.tenant, "referral.read") == []


def test_an_unknown_field_on_a_button_is_refused_with_an_alert(app, client, center):
    case_id = _case(center)
    sign_in(client, center.case_manager)
    response = client.post_form(inbox(center, f"/{case_id}/accept"), {"status": "closed"})
    assert response.status_code == 422
    assert any("status" in a for a in PageErrors(response.get_data(as_text=True)).alerts)
    assert stored(case_id).status == ReferralStatus.SUBMITTED


# --- another center's cases --------------------------------------------------------------------


def test_another_center_s_owner_gets_404_on_the_case(app, client, center, firm):
    partner, _referrer = firm
    case_id = _case(center, partner=partner, reference="CONFIDENTIEL")
    other = make_center(locale="en")
    mediator = active_mediator(other.tenant)
    sign_in(client, other.owner)
    for base in (other, center):
        assert client.get(inbox(base, f"/{case_id}")).status_code == 404
        for step, data in (
            ("acknowledge", {}),
            ("accept", {}),
            ("decline", {"reason": "Non."}),
            ("assign", {"mediator_id": str(mediator.id)}),
            ("schedule", {"scheduled_at": "2026-12-10T14:00"}),
            ("outcome", {"outcome": "agreement"}),
            ("close", {}),
        ):
            response = client.post_form(inbox(base, f"/{case_id}/{step}"), data)
            assert response.status_code == 404, (base.slug, step)
    assert client.get(inbox(center)).status_code == 404
    assert "CONFIDENTIEL" not in client.get(inbox(other)).get_data(as_text=True)
    assert stored(case_id).status == ReferralStatus.SUBMITTED and count_referrals() == 1
    assert audit_rows(center.tenant, "referral.read") == []


# --- languages ---------------------------------------------------------------------------------


def test_the_inbox_speaks_english_and_french(app, client, center):
    case_id = _case(center, status=ReferralStatus.ACCEPTED)
    sign_in(client, center.case_manager)
    english = client.get(inbox(center, f"/{case_id}")).get_data(as_text=True)
    assert '<html lang="en">' in english and ">Accepted<" in english and ">Status<" in english

    client.post_form("/locale", {"locale": "fr", "next": inbox(center)})
    french = client.get(inbox(center, f"/{case_id}")).get_data(as_text=True)
    assert '<html lang="fr">' in french and ">Acceptée<" in french and ">Statut<" in french
    listing = client.get(inbox(center)).get_data(as_text=True)
    assert 'data-count="accepted">Acceptée <span' in listing
