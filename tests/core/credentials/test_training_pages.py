"""The mediator's "My training and certifications" pages: records and certifications
added, edited and deleted with their evidence; each certification's compliance in
words, changing as records are added and verified; evidence downloaded by its owner
only; a refused upload or a failed commit leaves nothing behind; and nothing of a
center's own side (its notes, its rate) ever shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import now
from core.credentials.models import (
    Certification,
    TrainingKind,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.records import set_verification
from core.db import db
from tests.bad_input import PageErrors
from tests.core.credentials.test_profile_pages import PROFILE
from tests.factories import (
    AffiliationFactory,
    CertificationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.mediator_api import PDF, PNG, REFUSED_UPLOADS, file_rows, stored_evidence, stored_files
from tests.tenants.helpers import sign_in

# A fixed day, so that the yearly FFCM rule reads the same whenever the suite runs:
# 2025 is closed (its hours are owed), 2026 is open and ends more than 90 days ahead.
TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

RECORD = {
    "title": "Formation continue : la médiation en ligne",
    "provider": "Institut de formation à la médiation",
    "kind": "continuing_education",
    "hours": "10",
    "started_on": "2025-05-10",
    "ended_on": "2025-05-11",
    "mediations": "",
}
CERTIFICATION = {
    "number": "FFCM-2024-117",
    "issued_on": "2024-06-01",
    "expires_on": "",
    "stage": "",
}


def send(client: Any, url: str, data: dict[str, Any], evidence: tuple[bytes, str] | None = None):
    """Post a page's form as the browser does (multipart, with or without a file)."""
    file = (BytesIO(evidence[0]), evidence[1]) if evidence else (BytesIO(b""), "")
    return client.post(
        url,
        data={"csrf_token": client.csrf_token(), **data, "evidence": file},
        content_type="multipart/form-data",
    )


@pytest.fixture
def mediator(app, client, clock):
    clock.advance(TODAY - clock.now())
    profile = MediatorProfileFactory(user=UserFactory(locale="en"))
    sign_in(client, profile.user)
    return profile


@pytest.fixture
def ffcm(app):
    """A scheme with the seeded FFCM rules: 10 h training + 10 h supervision a year."""
    return CertificationSchemeFactory(code="fr-ffcm-test", name="Médiateur agréé FFCM")


def _records(profile) -> list[TrainingRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(TrainingRecord).where(TrainingRecord.profile == profile)))


def _section(html: str, heading: str) -> str:
    """The card of a certification, from its heading to the next card."""
    start = html.index(heading)
    end = html.find('<section class="card', start)
    return html[start : end if end != -1 else len(html)]


def test_without_a_profile_the_pages_lead_to_creating_one(app, client):
    sign_in(client, UserFactory(locale="en"))
    page = client.get("/me/training")
    assert page.status_code == 200
    assert 'href="/me/profile"' in page.get_data(as_text=True)
    response = client.get("/me/training/records/new")
    assert response.status_code == 303 and response.headers["Location"] == "/me/profile"


def _nav_bar(page: str) -> str:
    """The navigation bar's top-level links, without the person's own menu."""
    bar = page[page.index('<ul class="navbar-nav align-items-lg-center">') :]
    return bar[: bar.index('class="nav-item dropdown"')]


def test_the_navigation_bar_leads_to_the_file_of_those_who_keep_one(app, client, mediator):
    assert 'href="/me/training"' in _nav_bar(
        client.get("/account/workspaces").get_data(as_text=True)
    )
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    sign_in(client, UserFactory(locale="en"))  # a center's owner, say: no mediator file
    page = client.get("/account/workspaces").get_data(as_text=True)
    assert 'href="/me/training"' not in _nav_bar(page)
    assert 'class="dropdown-item" href="/me/training"' in page  # still in their own menu


def test_a_record_is_added_with_evidence_edited_and_deleted(app, client, mediator, files_dir):
    form = client.get("/me/training/records/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.get_data(
        as_text=True
    )
    response = send(client, "/me/training/records/new", RECORD, (PDF, "attestation.pdf"))
    assert response.status_code == 303 and response.headers["Location"] == "/me/training"
    [record] = _records(mediator)
    assert (record.kind, record.hours) == (TrainingKind.CONTINUING_EDUCATION, Decimal("10"))
    assert record.verification_status == VerificationStatus.PENDING
    assert record.evidence_name == "attestation.pdf"
    assert stored_files(files_dir) == [record.evidence_key]
    page = client.get("/me/training").get_data(as_text=True)
    assert "Formation continue : la médiation en ligne" in page
    assert f'href="/me/training/records/{record.id}/evidence"' in page
    assert "Awaiting verification" in page

    # A verified record, edited with a new file: back to pending, the old file gone.
    set_verification(
        record,
        verified=True,
        reason=None,
        by_user_id=UserFactory().id,
        for_tenant_id=TenantFactory().id,
    )
    db.session.commit()
    old_key = record.evidence_key
    edit = client.get(f"/me/training/records/{record.id}/edit").get_data(as_text=True)
    assert 'value="Institut de formation à la médiation"' in edit
    assert "sends the record back for verification" in edit
    changed = {**RECORD, "hours": "12.5"}
    response = send(client, f"/me/training/records/{record.id}/edit", changed, (PNG, "scan.png"))
    assert response.status_code == 303
    [record] = _records(mediator)
    assert record.hours == Decimal("12.5") and record.evidence_name == "scan.png"
    assert record.verification_status == VerificationStatus.PENDING
    assert record.verified_by_id is None
    assert stored_files(files_dir) == [record.evidence_key] != [old_key]

    # Edited without a file: the evidence stays.
    assert send(client, f"/me/training/records/{record.id}/edit", RECORD).status_code == 303
    assert _records(mediator)[0].evidence_name == "scan.png"

    confirm = client.get(f"/me/training/records/{record.id}/delete")
    assert confirm.status_code == 200 and "Delete the record" in confirm.get_data(as_text=True)
    response = client.post_form(f"/me/training/records/{record.id}/delete")
    assert response.status_code == 303
    assert _records(mediator) == []
    assert stored_files(files_dir) == []


def test_record_rules_show_on_their_fields(app, client, mediator):
    response = send(
        client,
        "/me/training/records/new",
        {**RECORD, "started_on": "2025-05-10", "ended_on": "2025-05-01", "hours": "1.234"},
    )
    assert response.status_code == 422
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error("ended_on") == "The end date cannot be before the start date."
    assert page.field_error("hours") == "Hours take at most two decimals."
    response = send(client, "/me/training/records/new", {**RECORD, "kind": "mediations_conducted"})
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error("mediations") == "Give the number of mediations conducted."
    assert _records(mediator) == []


def test_compliance_changes_as_a_record_is_added_then_verified(app, client, mediator, ffcm):
    certification = CertificationFactory(
        profile=mediator,
        scheme=ffcm,
        issued_on=date(2024, 6, 1),
        expires_on=None,
        verification_status=VerificationStatus.VERIFIED,
    )
    TrainingRecordFactory(
        profile=mediator,
        kind=TrainingKind.SUPERVISION,
        hours=Decimal("10"),
        started_on=date(2025, 9, 1),
        ended_on=date(2025, 9, 1),
        verification_status=VerificationStatus.VERIFIED,
    )
    card = _section(client.get("/me/training").get_data(as_text=True), "Médiateur agréé FFCM")
    assert 'data-status="hours_short"' in card and "Hours short" in card
    assert (
        "10 h of continuing education, conferences or teaching missing for the period "
        "from 1 January 2025 to 31 December 2025 (10 h required)."
    ) in card
    # This year's hours, still to come, per kind.
    assert (
        "10 h of supervision / practice analysis needed by 31 December 2026, for the period "
        "from 1 January 2026 to 31 December 2026 (10 h required)."
    ) in card
    assert f'href="/me/certifications/{certification.id}/credential"' in card

    assert send(client, "/me/training/records/new", RECORD, (PDF, "a.pdf")).status_code == 303
    card = _section(client.get("/me/training").get_data(as_text=True), "Médiateur agréé FFCM")
    assert 'data-status="unverified"' in card and "Awaiting verification" in card
    assert "Awaiting verification: 10 h of continuing education" in card

    record = next(r for r in _records(mediator) if r.kind == TrainingKind.CONTINUING_EDUCATION)
    admin = UserFactory(name="Louise Martin")
    set_verification(
        record, verified=True, reason=None, by_user_id=admin.id, for_tenant_id=TenantFactory().id
    )
    db.session.commit()
    page = client.get("/me/training").get_data(as_text=True)
    card = _section(page, "Médiateur agréé FFCM")
    assert 'data-status="compliant"' in card and "Compliant" in card
    assert "By Louise Martin on Mar 2, 2026" in page


def test_a_rejected_record_shows_who_when_and_why(app, client, mediator):
    record = TrainingRecordFactory(profile=mediator)
    set_verification(
        record,
        verified=False,
        reason="L'attestation est illisible.",
        by_user_id=UserFactory(name="Paul Renard").id,
        for_tenant_id=TenantFactory().id,
    )
    db.session.commit()
    page = client.get("/me/training").get_data(as_text=True)
    assert "Rejected" in page and "By Paul Renard on Mar 2, 2026" in page
    assert "Reason: L&#39;attestation est illisible." in page


def test_a_certification_is_added_edited_and_a_revoked_one_kept(
    app, client, mediator, ffcm, files_dir
):
    form = client.get("/me/training/certifications/new").get_data(as_text=True)
    assert f'value="{ffcm.code}"' in form
    data = {**CERTIFICATION, "scheme_code": ffcm.code}
    response = send(client, "/me/training/certifications/new", data, (PDF, "agrement.pdf"))
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    [held] = db.session.scalars(select(Certification).where(Certification.profile == mediator))
    assert (held.number, held.issued_on, held.stage) == ("FFCM-2024-117", date(2024, 6, 1), None)
    assert stored_files(files_dir) == [held.evidence_key]

    edit = client.get(f"/me/training/certifications/{held.id}/edit").get_data(as_text=True)
    assert 'value="FFCM-2024-117"' in edit
    response = send(
        client,
        f"/me/training/certifications/{held.id}/edit",
        {**data, "expires_on": "2024-01-01"},
    )
    assert response.status_code == 422
    assert PageErrors(response.get_data(as_text=True)).field_error("expires_on") == (
        "The expiry date cannot be before the issue date."
    )
    response = send(
        client, f"/me/training/certifications/{held.id}/edit", {**data, "stage": "definitive"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Certification, held.id).stage.value == "definitive"

    held = db.session.get(Certification, held.id)
    held.revoked_at, held.revoked_reason = now(), "Retrait de l'agrément"
    db.session.commit()
    before = file_rows()
    response = send(client, f"/me/training/certifications/{held.id}/edit", {**data, "number": "X"})
    assert response.status_code == 303 and response.headers["Location"] == "/me/training"
    assert file_rows() == before
    page = client.get("/me/training").get_data(as_text=True)
    assert 'data-status="revoked"' in page and "Retrait de l&#39;agrément" in page


_ROUTES = {
    "new record": lambda w: ("/me/training/records/new", RECORD),
    "record edit": lambda w: (f"/me/training/records/{w['record'].id}/edit", RECORD),
    "new certification": lambda w: (
        "/me/training/certifications/new",
        {**CERTIFICATION, "scheme_code": w["scheme"].code},
    ),
    "certification edit": lambda w: (
        f"/me/training/certifications/{w['certification'].id}/edit",
        {**CERTIFICATION, "scheme_code": w["scheme"].code},
    ),
}


@pytest.mark.parametrize("route", list(_ROUTES))
@pytest.mark.parametrize("upload", list(REFUSED_UPLOADS))
def test_a_refused_upload_gets_a_field_message_and_writes_nothing(
    app, client, mediator, ffcm, files_dir, route, upload
):
    record = TrainingRecordFactory(profile=mediator)
    certification = CertificationFactory(profile=mediator, scheme=ffcm)
    url, data = _ROUTES[route]({"record": record, "certification": certification, "scheme": ffcm})
    before, files_before = file_rows(), stored_files(files_dir)

    response = send(client, url, data, REFUSED_UPLOADS[upload])
    assert response.status_code == 422
    message = PageErrors(response.get_data(as_text=True)).field_error("evidence")
    assert message in (
        "The file's name does not match its content (a PDF, PNG or JPEG is expected).",
        "The file is larger than 10 MB.",
        "The file name must be a plain name, without a folder or special characters.",
        "The file is empty.",
    ), message
    assert file_rows() == before
    assert stored_files(files_dir) == files_before == []


def test_a_failed_commit_removes_the_file_it_stored(app, client, mediator, files_dir, monkeypatch):
    def refuse() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", refuse)
    response = send(client, "/me/training/records/new", RECORD, (PDF, "attestation.pdf"))
    monkeypatch.undo()
    assert response.status_code == 500
    assert _records(mediator) == []
    assert stored_files(files_dir) == []


def test_evidence_goes_to_its_owner_only(app, client, mediator, ffcm):
    record = TrainingRecordFactory(profile=mediator)
    stored_evidence(record, PDF, "Attestation Médiation.pdf")
    certification = CertificationFactory(profile=mediator, scheme=ffcm)
    stored_evidence(certification, PNG, "agrement.png")
    urls = {
        f"/me/training/records/{record.id}/evidence": ("application/pdf", PDF),
        f"/me/training/certifications/{certification.id}/evidence": ("image/png", PNG),
    }
    for url, (mimetype, data) in urls.items():
        response = client.get(url)
        assert response.status_code == 200
        assert (response.mimetype, response.data) == (mimetype, data)
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "private, no-store"
    assert (
        "filename*=UTF-8''Attestation%20M%C3%A9diation.pdf"
        in client.get(f"/me/training/records/{record.id}/evidence").headers["Content-Disposition"]
    )

    # Another mediator, and a person with no profile at all: as if it did not exist.
    for stranger in (MediatorProfileFactory().user, UserFactory()):
        other = app.test_client()
        sign_in(other, stranger)
        for url in urls:
            assert other.get(url).status_code == 404
    # A record without evidence has nothing to download.
    bare = TrainingRecordFactory(profile=mediator)
    assert client.get(f"/me/training/records/{bare.id}/evidence").status_code == 404


def test_another_persons_record_cannot_be_changed(app, client, mediator, files_dir):
    theirs = TrainingRecordFactory()
    stored_evidence(theirs)
    before, files_before = file_rows(), stored_files(files_dir)
    for url in (
        f"/me/training/records/{theirs.id}/edit",
        f"/me/training/records/{theirs.id}/delete",
    ):
        assert client.get(url).status_code == 404
    assert send(client, f"/me/training/records/{theirs.id}/edit", RECORD).status_code == 404
    assert client.post_form(f"/me/training/records/{theirs.id}/delete").status_code == 404
    assert file_rows() == before and stored_files(files_dir) == files_before


def test_a_centers_notes_and_rate_never_show_on_the_mediators_pages(app, client, mediator, ffcm):
    notes, rate = "NOTE-INTERNE-7Q3: négocier le tarif", Decimal("987.65")
    for _ in range(2):
        AffiliationFactory(profile=mediator, internal_notes=notes, rate_eur=rate)
    record = TrainingRecordFactory(profile=mediator)
    stored_evidence(record)
    certification = CertificationFactory(profile=mediator, scheme=ffcm)
    stored_evidence(certification)
    response = client.post(
        "/me/profile",
        data={"csrf_token": client.csrf_token(), **PROFILE, "photo": (BytesIO(PNG), "me.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    urls = [
        "/me/profile",
        "/me/profile/photo",
        "/me/training",
        "/me/training/records/new",
        f"/me/training/records/{record.id}/edit",
        f"/me/training/records/{record.id}/delete",
        f"/me/training/records/{record.id}/evidence",
        "/me/training/certifications/new",
        f"/me/training/certifications/{certification.id}/edit",
        f"/me/training/certifications/{certification.id}/evidence",
        f"/me/certifications/{certification.id}/credential",
    ]
    secrets = [notes, "NOTE-INTERNE-7Q3", "987.65", "987,65"]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 409), (url, response.status_code)
        leaked = [s for s in secrets if s.encode() in response.data]
        assert not leaked, f"{url} shows {leaked}"
