"""The center's mediators list and a mediator's page: who reads and who writes, the
affiliation's transitions, its rate and notes, publication with the mediator's
consent, and an ended affiliation closing the file while its row stays."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation, AffiliationStatus, Role
from tests.factories import (
    CertificationFactory,
    MediatorProfileFactory,
    MembershipFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.tenants.helpers import audit_rows, make_center, sign_in
from tests.tenants.mediator_helpers import affiliated, with_evidence


@pytest.fixture
def center(app):
    return make_center(locale="en")


@pytest.fixture
def mediator(center):
    profile = MediatorProfileFactory(display_name="Hélène Martin", listed_publicly=False)
    affiliated(center.tenant, profile, rate_eur=Decimal("150.00"), internal_notes="Mardi")
    return profile


def _form(**changes):
    return {
        "status": "active",
        "rate_eur": "150.00",
        "internal_notes": "Mardi",
        "published": "",
        **changes,
    }


def _affiliation(center, profile) -> Affiliation:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return db.session.scalar(select(Affiliation).where(Affiliation.profile_id == profile.id))


def test_the_list_shows_each_mediator_with_status_account_and_compliance(app, client, center):
    claimed = MediatorProfileFactory(display_name="Amélie Bernard")
    affiliated(center.tenant, claimed)
    CertificationFactory(profile=claimed)
    affiliated(center.tenant, MediatorProfileFactory(display_name="Bruno Petit", unclaimed=True))
    gone = MediatorProfileFactory(display_name="Chloé Durand")
    affiliated(center.tenant, gone, status=AffiliationStatus.ENDED)
    other = make_center()
    affiliated(other.tenant, MediatorProfileFactory(display_name="Denis Lefèvre"))
    sign_in(client, center.owner)
    page = client.get(center.url("mediators"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Amélie Bernard") < html.index("Bruno Petit")
    assert "Not claimed yet" in html and 'data-status="' in html
    assert "Former mediators (1)" in html and "Chloé Durand" in html
    assert "Denis Lefèvre" not in html
    assert f'href="/c/{center.slug}/mediators"' in html  # the navigation's link


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEDIATOR])
def test_viewers_and_mediators_do_not_reach_the_pages(app, client, center, mediator, role):
    member = MembershipFactory(tenant=center.tenant, role=role, user=UserFactory()).user
    sign_in(client, member)
    for path in ("mediators", f"mediators/{mediator.id}", "mediators/compliance"):
        assert client.get(center.url(path)).status_code == 403, path


def test_a_case_manager_reads_but_does_not_change_or_download(app, client, center, mediator):
    record = with_evidence(TrainingRecordFactory(profile=mediator))
    sign_in(client, center.case_manager)
    page = client.get(center.url(f"mediators/{mediator.id}"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert record.title in html and "Mardi" in html and "Save the affiliation" not in html
    assert client.post_form(center.url(f"mediators/{mediator.id}"), _form()).status_code == 403
    evidence = center.url(f"mediators/{mediator.id}/records/{record.id}/evidence")
    assert client.get(evidence).status_code == 403
    assert client.get(center.url("mediators/verification")).status_code == 403


def test_an_admin_changes_the_rate_notes_and_status(app, client, center, mediator):
    sign_in(client, center.admin)
    url = center.url(f"mediators/{mediator.id}")
    response = client.post_form(
        url, _form(status="suspended", rate_eur="162,50", internal_notes="  Prefers mornings ")
    )
    assert response.status_code == 303 and response.headers["Location"] == url
    row = _affiliation(center, mediator)
    assert (row.status, row.rate_eur, row.internal_notes) == (
        AffiliationStatus.SUSPENDED,
        Decimal("162.50"),
        "Prefers mornings",
    )
    event = audit_rows(center.tenant, "affiliation.updated")[-1]
    assert set(event.details["fields"]) == {"status", "rate_eur", "internal_notes"}
    assert "Prefers mornings" not in str(event.details) and "162" not in str(event.details)
    assert (
        client.post_form(
            url, _form(status="suspended", rate_eur="162.5", internal_notes="Prefers mornings")
        ).status_code
        == 303
    )
    assert len(audit_rows(center.tenant, "affiliation.updated")) == 1  # nothing changed


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rate_eur": "cent"}, "rate_eur", "Give an amount in euros"),
        ({"rate_eur": "10000.01"}, "rate_eur", "Give an amount in euros"),
        ({"rate_eur": "-5"}, "rate_eur", "Give an amount in euros"),
        ({"rate_eur": "1.234"}, "rate_eur", "Give an amount in euros"),
        ({"internal_notes": "x" * 5001}, "internal_notes", "5000"),
        ({"status": "invited"}, "status", "Not a valid choice"),
        ({"published": "y"}, "published", "has not agreed to be listed publicly"),
        ({"status": "suspended", "published": "y"}, "published", "active affiliation"),
    ],
)
def test_wrong_changes_are_refused_on_their_field(
    app, client, center, mediator, changes, field, message
):
    sign_in(client, center.owner)
    response = client.post_form(center.url(f"mediators/{mediator.id}"), _form(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'name="{field}"' in html and "is-invalid" in html and message in html
    row = _affiliation(center, mediator)
    assert (row.status, row.published, row.rate_eur) == (
        AffiliationStatus.ACTIVE,
        False,
        Decimal("150.00"),
    )


def test_publishing_needs_the_mediator_s_consent_and_suspending_unpublishes(
    app, client, center, mediator
):
    sign_in(client, center.owner)
    url = center.url(f"mediators/{mediator.id}")
    mediator.listed_publicly = True
    db.session.commit()
    assert client.post_form(url, _form(published="y")).status_code == 303
    assert _affiliation(center, mediator).published is True
    assert client.post_form(url, _form(status="suspended", published="y")).status_code == 303
    row = _affiliation(center, mediator)
    assert (row.status, row.published) == (AffiliationStatus.SUSPENDED, False)


def test_an_ended_affiliation_closes_the_file_but_keeps_its_row(app, client, center, mediator):
    record = with_evidence(TrainingRecordFactory(profile=mediator))
    certification = CertificationFactory(profile=mediator)
    sign_in(client, center.owner)
    url = center.url(f"mediators/{mediator.id}")
    response = client.post_form(url, _form(status="ended"))
    assert response.status_code == 303
    assert response.headers["Location"] == center.url("mediators").rstrip("/")
    for path in (
        "",
        f"/records/{record.id}/evidence",
        f"/certifications/{certification.id}/evidence",
    ):
        assert client.get(url + path).status_code == 404, path
    assert client.post_form(url, _form(status="active")).status_code == 404
    assert client.post_form(url + f"/records/{record.id}/verify").status_code == 404
    with tenant_scope(center.tenant.id):
        count = db.session.scalar(select(func.count()).select_from(Affiliation))
    assert count == 1 and _affiliation(center, mediator).internal_notes == "Mardi"
    board = client.get(center.url("mediators/compliance")).get_data(as_text=True)
    assert mediator.display_name not in board


def test_evidence_downloads_as_an_attachment_for_managers(app, client, center, mediator):
    record = with_evidence(TrainingRecordFactory(profile=mediator), "attestation.pdf")
    certification = with_evidence(CertificationFactory(profile=mediator), "certificat.pdf")
    bare = TrainingRecordFactory(profile=mediator)
    sign_in(client, center.admin)
    base = center.url(f"mediators/{mediator.id}")
    got = client.get(f"{base}/records/{record.id}/evidence")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert got.headers["Content-Disposition"] == "attachment; filename=attestation.pdf"
    assert got.headers["Cache-Control"] == "private, no-store"
    got = client.get(f"{base}/certifications/{certification.id}/evidence")
    assert "certificat.pdf" in got.headers["Content-Disposition"]
    assert client.get(f"{base}/records/{bare.id}/evidence").status_code == 404
    # Another mediator's record under this mediator's id: missing too.
    other = with_evidence(TrainingRecordFactory())
    assert client.get(f"{base}/records/{other.id}/evidence").status_code == 404
