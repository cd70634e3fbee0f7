"""The verification queue: pending records and certifications of the center's mediators,
verified or rejected (a reason required) by its owners and administrators only; a
center without an affiliation with the mediator reaches nothing (404)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.credentials.models import Certification, TrainingRecord, VerificationStatus
from core.db import db
from tenants.models import AffiliationStatus, Role
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
def file(center):
    profile = MediatorProfileFactory(display_name="Hélène Martin")
    affiliated(center.tenant, profile)
    record = with_evidence(TrainingRecordFactory(profile=profile, title="Analyse de la pratique"))
    certification = with_evidence(CertificationFactory(profile=profile), "certificat.pdf")
    return profile, record, certification


def _fresh(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def test_the_queue_lists_what_awaits_with_evidence_and_named_buttons(app, client, center, file):
    profile, record, certification = file
    done = TrainingRecordFactory(
        profile=profile, title="Déjà vérifiée", verification_status=VerificationStatus.VERIFIED
    )
    waiting = MediatorProfileFactory(display_name="Invitée")  # has not accepted
    affiliated(center.tenant, waiting, status=AffiliationStatus.INVITED)
    TrainingRecordFactory(profile=waiting, title="Pas encore visible")
    gone = MediatorProfileFactory()
    affiliated(center.tenant, gone, status=AffiliationStatus.ENDED)
    TrainingRecordFactory(profile=gone, title="Plus visible")
    TrainingRecordFactory(title="Une autre médiatrice")  # of nobody the center works with
    sign_in(client, center.admin)
    page = client.get(center.url("mediators/verification"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert record.title in html and certification.scheme.name in html
    for absent in (done.title, "Pas encore visible", "Plus visible", "Une autre médiatrice"):
        assert absent not in html
    assert len(re.findall(r">Verify</button>", html)) == 2
    assert len(re.findall(r">Reject</button>", html)) == 2
    assert f"/mediators/{profile.id}/records/{record.id}/evidence" in html
    assert f"/mediators/{profile.id}/certifications/{certification.id}/evidence" in html


def test_an_admin_verifies_a_record_and_rejects_a_certification(app, client, center, file):
    profile, record, certification = file
    sign_in(client, center.admin)
    base = center.url(f"mediators/{profile.id}")
    verified = client.post_form(f"{base}/records/{record.id}/verify", {"next": "queue"})
    assert verified.status_code == 303
    assert verified.headers["Location"] == center.url("mediators/verification")
    row = _fresh(record)
    assert row.verification_status == VerificationStatus.VERIFIED
    assert (row.verified_by_id, row.verified_for_tenant_id) == (center.admin.id, center.tenant.id)

    rejected = client.post_form(
        f"{base}/certifications/{certification.id}/reject",
        {"reason": "Le certificat est illisible.", "next": "show"},
    )
    assert rejected.status_code == 303 and rejected.headers["Location"] == base
    row = _fresh(certification)
    assert row.verification_status == VerificationStatus.REJECTED
    assert row.verification_reason == "Le certificat est illisible."
    assert [e.details["title"] for e in audit_rows(center.tenant, "record.verified")] == [
        record.title
    ]
    assert audit_rows(center.tenant, "certification.rejected")[0].details["reason"] == (
        "Le certificat est illisible."
    )
    page = client.get(base).get_data(as_text=True)
    assert f"By {center.admin.name} on" in page and "Le certificat est illisible." in page
    assert "Nothing awaits verification" in client.get(
        center.url("mediators/verification")
    ).get_data(as_text=True)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_is_refused_on_the_field(app, client, center, file, reason):
    profile, record, _certification = file
    sign_in(client, center.owner)
    url = center.url(f"mediators/{profile.id}/records/{record.id}/reject")
    response = client.post_form(url, {"reason": reason})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'id="reason-{record.id}"', html)
    assert re.search(r'class="form-control form-control-sm is-invalid" name="reason"', html)
    assert "Say why it is rejected" in html
    assert _fresh(record).verification_status == VerificationStatus.PENDING


def test_a_too_long_reason_is_refused(app, client, center, file):
    profile, record, _certification = file
    sign_in(client, center.owner)
    url = center.url(f"mediators/{profile.id}/records/{record.id}/reject")
    assert client.post_form(url, {"reason": "x" * 501}).status_code == 422
    assert _fresh(record).verification_status == VerificationStatus.PENDING


@pytest.mark.parametrize("role", [Role.CASE_MANAGER, Role.VIEWER, Role.MEDIATOR])
def test_only_owners_and_admins_verify(app, client, center, file, role):
    profile, record, certification = file
    member = MembershipFactory(tenant=center.tenant, role=role, user=UserFactory()).user
    sign_in(client, member)
    base = center.url(f"mediators/{profile.id}")
    for path, data in (
        (f"/records/{record.id}/verify", {}),
        (f"/records/{record.id}/reject", {"reason": "Non"}),
        (f"/certifications/{certification.id}/verify", {}),
        (f"/certifications/{certification.id}/reject", {"reason": "Non"}),
    ):
        assert client.post_form(base + path, data).status_code == 403, path
    assert _fresh(record).verification_status == VerificationStatus.PENDING
    assert _fresh(certification).verification_status == VerificationStatus.PENDING


def test_a_center_without_an_affiliation_reaches_nothing(app, client, center, file):
    profile, record, certification = file
    stranger = make_center()
    sign_in(client, stranger.owner)
    base = stranger.url(f"mediators/{profile.id}")
    for path in (
        "",
        f"/records/{record.id}/evidence",
        f"/certifications/{certification.id}/evidence",
    ):
        assert client.get(base + path).status_code == 404, path
    for path, data in (
        (f"/records/{record.id}/verify", {}),
        (f"/records/{record.id}/reject", {"reason": "Non"}),
        (f"/certifications/{certification.id}/verify", {}),
        (f"/certifications/{certification.id}/reject", {"reason": ""}),
    ):
        assert client.post_form(base + path, data).status_code == 404, path
    assert "Hélène Martin" not in client.get(stranger.url("mediators/verification")).get_data(
        as_text=True
    )
    rows = db.session.scalars(select(TrainingRecord.verification_status)).all()
    rows += db.session.scalars(select(Certification.verification_status)).all()
    assert set(rows) == {VerificationStatus.PENDING}
