"""/api/v1/me/...: the person's own mediator file over the API (`profile` scope).

Profile, training records and certifications are created, read, replaced and deleted
by their mediator; evidence uploads are checked before anything is stored; the
compliance of each certification comes in the request's language; no center's rate or
internal notes ever appear here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now
from core.credentials.models import VerificationStatus
from core.credentials.records import set_verification
from core.db import db
from tests.factories import (
    AffiliationFactory,
    CertificationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.mediator_api import (
    PDF,
    PNG,
    REFUSED_UPLOADS,
    assert_problem,
    center_token,
    file_rows,
    person_token,
    stored_evidence,
    stored_files,
    upload,
)

PROFILE = {
    "display_name": "Claire Martin",
    "title": "Médiatrice familiale",
    "bio_fr": "Médiatrice depuis 2010.",
    "bio_en": "Mediator since 2010.",
    "languages": ["fr", "en"],
    "specialties": ["family", "labour"],
    "regions": ["FR-75", "FR-2A", "BE"],
    "modes": ["online", "hybrid"],
    "rate_min_eur": "120",
    "rate_max_eur": "180.50",
    "registrations": [{"kind": "court_of_appeal", "name": "Paris", "number": "CA-123"}],
    "listed_publicly": True,
}


def _record_body(**changes):
    body = {
        "title": "Analyse de la pratique",
        "provider": "Association des médiateurs",
        "kind": "supervision",
        "hours": 10.5,
        "started_on": (now().date() - timedelta(days=30)).isoformat(),
        "ended_on": None,
    }
    return {**body, **changes}


@pytest.fixture
def center(app):
    return TenantFactory()


@pytest.fixture
def person(app):
    return UserFactory(locale="en")


@pytest.fixture
def headers(app, person, center):
    return person_token(app, person, center.id)


@pytest.fixture
def profile(person):
    return MediatorProfileFactory(user=person)


def test_put_creates_then_replaces_the_profile(client, headers):
    missing = client.get("/api/v1/me/profile", headers=headers)
    assert_problem(missing, 404)

    created = client.put("/api/v1/me/profile", json=PROFILE, headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["display_name"] == "Claire Martin"
    assert body["rate_min_eur"] == "120.00" and body["rate_max_eur"] == "180.50"
    assert body["regions"] == ["FR-75", "FR-2A", "BE"]
    assert body["listed_publicly"] is True and body["listed_publicly_at"]
    assert body["claimed"] is True

    replaced = client.put(
        "/api/v1/me/profile", json={"display_name": "Claire Martin-Durand"}, headers=headers
    )
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["id"] == body["id"]
    assert replaced.json["languages"] == [] and replaced.json["listed_publicly"] is False
    assert replaced.json["registrations"] == []
    assert client.get("/api/v1/me/profile", headers=headers).json == replaced.json


def test_values_outside_the_vocabularies_are_refused_field_by_field(client, headers, profile):
    before = file_rows()
    body = {
        **PROFILE,
        "languages": ["fr", "zz"],
        "regions": ["FR-20"],
        "rate_min_eur": "200",
        "rate_max_eur": "100",
    }
    refused = assert_problem(client.put("/api/v1/me/profile", json=body, headers=headers), 422)
    assert set(refused["errors"]["json"]) == {"languages", "regions", "rate_max_eur"}
    assert refused["type"].endswith("/invalid-profile")
    schema = client.put(
        "/api/v1/me/profile", json={**PROFILE, "specialties": ["astrology"]}, headers=headers
    )
    assert "specialties" in assert_problem(schema, 422)["errors"]["json"]
    assert file_rows() == before


def test_records_are_added_read_replaced_and_deleted(client, headers, profile):
    added = client.post("/api/v1/me/training-records", json=_record_body(), headers=headers)
    assert added.status_code == 201, added.json
    record = added.json
    assert record["hours"] == 10.5 and record["kind"] == "supervision"
    assert record["verification"] == {
        "status": "pending",
        "reason": None,
        "verified_at": None,
        "center": None,
    }
    url = f"/api/v1/me/training-records/{record['id']}"
    assert client.get(url, headers=headers).json == record
    listed = client.get("/api/v1/me/training-records", headers=headers).json["items"]
    assert [r["id"] for r in listed] == [record["id"]]

    replaced = client.put(url, json=_record_body(title="Supervision collective"), headers=headers)
    assert replaced.status_code == 200 and replaced.json["title"] == "Supervision collective"

    future = _record_body(started_on=(now().date() + timedelta(days=3)).isoformat())
    refused = assert_problem(client.put(url, json=future, headers=headers), 422)
    assert "started_on" in refused["errors"]["json"]

    assert client.delete(url, headers=headers).status_code == 204
    assert_problem(client.get(url, headers=headers), 404)


def test_another_persons_record_is_missing(app, client, headers, profile, center):
    stranger = TrainingRecordFactory()
    stored_evidence(stranger)
    url = f"/api/v1/me/training-records/{stranger.id}"
    before = file_rows()
    assert_problem(client.get(url, headers=headers), 404)
    assert_problem(client.put(url, json=_record_body(), headers=headers), 404)
    assert_problem(client.delete(url, headers=headers), 404)
    assert_problem(client.get(url + "/evidence", headers=headers), 404)
    put = client.put(url + "/evidence", data=upload(PDF, "a.pdf"), headers=headers)
    assert_problem(put, 404)
    assert file_rows() == before


def test_without_a_profile_the_file_is_missing(client, headers):
    response = client.get("/api/v1/me/training-records", headers=headers)
    assert assert_problem(response, 404)["type"].endswith("/no-mediator-profile")


def test_evidence_is_uploaded_and_downloaded_with_its_name(client, headers, profile, files_dir):
    record = TrainingRecordFactory(profile=profile)
    set_verification(
        record, verified=True, reason=None, by_user_id=None, for_tenant_id=TenantFactory().id
    )
    db.session.commit()
    url = f"/api/v1/me/training-records/{record.id}/evidence"
    assert_problem(client.get(url, headers=headers), 404)  # none yet

    sent = client.put(url, data=upload(PNG, "Attestation été.png"), headers=headers)
    assert sent.status_code == 200, sent.json
    assert sent.json["evidence"]["name"] == "Attestation été.png"
    assert sent.json["evidence"]["content_type"] == "image/png"
    assert sent.json["verification"]["status"] == "pending"  # new evidence: checked again
    assert len(stored_files(files_dir)) == 1

    got = client.get(url, headers=headers)
    assert got.status_code == 200 and got.data == PNG
    assert got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Attestation%20%C3%A9t%C3%A9.png" in got.headers["Content-Disposition"]

    again = client.put(url, data=upload(PDF, "attestation.pdf"), headers=headers)
    assert again.status_code == 200
    assert len(stored_files(files_dir)) == 1  # the replaced file is gone
    assert client.get(url, headers=headers).data == PDF


@pytest.mark.parametrize("kind", ["training-records", "certifications"])
@pytest.mark.parametrize("label", list(REFUSED_UPLOADS))
def test_a_refused_upload_answers_4xx_and_writes_nothing(
    client, headers, profile, files_dir, kind, label
):
    row = (TrainingRecordFactory if kind == "training-records" else CertificationFactory)(
        profile=profile
    )
    stored_evidence(row)
    before_rows, before_files = file_rows(), stored_files(files_dir)
    data, name = REFUSED_UPLOADS[label]
    response = client.put(
        f"/api/v1/me/{kind}/{row.id}/evidence", data=upload(data, name), headers=headers
    )
    problem = assert_problem(response, 413 if label == "10 MB + 1 byte" else 422)
    assert problem["type"].split("/")[-1].startswith("upload-")
    assert "file" in problem["errors"]["files"]
    assert file_rows() == before_rows
    assert stored_files(files_dir) == before_files


def test_an_upload_without_a_file_is_refused(client, headers, profile, files_dir):
    record = TrainingRecordFactory(profile=profile)
    url = f"/api/v1/me/training-records/{record.id}/evidence"
    assert_problem(client.put(url, data={"other": "x"}, headers=headers), 422)
    assert_problem(client.put(url, json={"file": "x"}, headers=headers), 422)
    assert stored_files(files_dir) == []


def test_certifications_carry_their_compliance_in_the_requests_language(client, headers, profile):
    scheme = CertificationSchemeFactory()
    body = {
        "scheme_code": scheme.code,
        "number": "FFCM-42",
        "issued_on": (now().date() - timedelta(days=400)).isoformat(),
        "expires_on": None,
        "stage": None,
    }
    added = client.post("/api/v1/me/certifications", json=body, headers=headers)
    assert added.status_code == 201, added.json
    certification = added.json
    assert certification["scheme"]["code"] == scheme.code
    compliance = certification["compliance"]
    assert compliance["status"] in ("hours_short", "unverified")
    assert compliance["language"] == "fr"
    assert compliance["issues"] and all(i["text"] for i in compliance["issues"])
    due = compliance["hours_due"]
    assert due and all(d["hours"] > 0 and d["kinds"] for d in due)

    url = f"/api/v1/me/certifications/{certification['id']}"
    english = client.get(url, headers={**headers, "Accept-Language": "en"}).json["compliance"]
    assert english["language"] == "en"
    assert english["status"] == compliance["status"]
    texts_fr = {i["text"] for i in compliance["issues"]}
    assert not texts_fr & {i["text"] for i in english["issues"]}
    assert any("h" in i["text"] and "of" in i["text"] for i in english["issues"])

    unknown = client.post(
        "/api/v1/me/certifications", json={**body, "scheme_code": "no-such"}, headers=headers
    )
    assert "scheme_code" in assert_problem(unknown, 422)["errors"]["json"]

    replaced = client.put(url, json={**body, "number": "FFCM-43"}, headers=headers)
    assert replaced.status_code == 200 and replaced.json["number"] == "FFCM-43"
    listed = client.get("/api/v1/me/certifications", headers=headers).json["items"]
    assert [c["number"] for c in listed] == ["FFCM-43"]


def test_a_centers_rate_and_notes_never_appear_here(app, client, headers, profile):
    center = TenantFactory()
    AffiliationFactory(
        tenant=center, profile=profile, rate_eur="987.65", internal_notes="NOTE-ONLY-FOR-A"
    )
    record = TrainingRecordFactory(profile=profile)
    set_verification(record, verified=True, reason=None, by_user_id=None, for_tenant_id=center.id)
    db.session.commit()
    CertificationFactory(profile=profile)
    seen = "".join(
        client.get(url, headers=headers).get_data(as_text=True)
        for url in (
            "/api/v1/me/profile",
            "/api/v1/me/training-records",
            f"/api/v1/me/training-records/{record.id}",
            "/api/v1/me/certifications",
        )
    )
    assert "NOTE-ONLY-FOR-A" not in seen and "987.65" not in seen
    verification = client.get(f"/api/v1/me/training-records/{record.id}", headers=headers).json
    assert verification["verification"]["status"] == VerificationStatus.VERIFIED
    assert verification["verification"]["center"] == {
        "id": str(center.id),
        "name": center.legal_name,
    }


def test_a_center_token_or_a_token_without_profile_is_refused(app, client, profile, center):
    assert_problem(client.get("/api/v1/me/profile"), 401)
    response = client.get("/api/v1/me/profile", headers=center_token(app, center.id))
    assert_problem(response, 403)
