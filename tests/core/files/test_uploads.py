"""Receiving uploads: a route declared with `accepts_upload` takes a body up to the
evidence limit while every other route keeps MAX_CONTENT_LENGTH, and a file stored for
a row that fails to commit is removed again."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, request
from sqlalchemy.exc import IntegrityError

from core.app import create_app
from core.credentials.models import TrainingKind, TrainingRecord
from core.db import db
from core.files.checks import MAX_EVIDENCE_BYTES, UploadRefused, check_evidence
from core.files.storage import storage
from core.files.uploads import (
    UPLOAD_BODY_LIMIT,
    accepts_upload,
    commit_with_files,
    evidence_response,
    read_evidence,
)
from tests.core.files.test_checks_and_storage import PDF
from tests.factories import MediatorProfileFactory, TrainingRecordFactory


@pytest.fixture
def upload_app(app_config: dict) -> Flask:
    """An app with two probe routes: one declared as taking uploads, one not."""
    application = create_app({**app_config, "WTF_CSRF_ENABLED": False})

    @application.post("/probe/upload")
    @accepts_upload
    def upload():
        checked = read_evidence(request.files.get("file"))
        return {"size": checked.size if checked else None}

    @application.post("/probe/form")
    def form():
        return {"size": len(request.files["file"].read())}

    return application


def _post(app: Flask, url: str, size: int):
    data = {"file": (io.BytesIO(b"%PDF-" + b"x" * (size - 5)), "a.pdf")}
    return app.test_client().post(url, data=data, content_type="multipart/form-data")


def test_an_upload_route_takes_a_full_size_file_and_others_keep_the_app_limit(upload_app):
    assert UPLOAD_BODY_LIMIT > MAX_EVIDENCE_BYTES > upload_app.config["MAX_CONTENT_LENGTH"]
    accepted = _post(upload_app, "/probe/upload", MAX_EVIDENCE_BYTES)
    assert accepted.status_code == 200
    assert accepted.json == {"size": MAX_EVIDENCE_BYTES}
    assert _post(upload_app, "/probe/form", 2 * 1024 * 1024).status_code == 413
    # Beyond the route's own limit, the body is refused before anything reads it.
    assert _post(upload_app, "/probe/upload", UPLOAD_BODY_LIMIT + 1).status_code == 413


def test_reading_stops_one_byte_past_the_limit(upload_app):
    with upload_app.test_request_context(
        "/probe/upload",
        method="POST",
        data={"file": (io.BytesIO(b"%PDF-" + b"x" * MAX_EVIDENCE_BYTES), "a.pdf")},
        content_type="multipart/form-data",
    ):
        upload_app.preprocess_request()
        with pytest.raises(UploadRefused) as refused:
            read_evidence(request.files["file"])
    assert refused.value.code == "too-large"


def test_no_file_chosen_is_no_evidence(upload_app):
    with upload_app.test_request_context("/probe/upload", method="POST"):
        assert read_evidence(None) is None


def test_a_failed_commit_removes_the_file_it_stored(app, files_dir: Path):
    profile = MediatorProfileFactory()
    db.session.commit()
    evidence = check_evidence("attestation.pdf", PDF)
    key = evidence.new_key()
    storage().put(key, evidence.data, evidence.content_type)
    # Negative hours break a CHECK constraint: the row cannot be committed.
    db.session.add(
        TrainingRecord(
            profile_id=profile.id,
            title="x",
            provider="y",
            kind=TrainingKind.CONFERENCE,
            hours=Decimal("-1"),
            started_on=profile.created_at.date(),
            evidence_key=key,
        )
    )
    with pytest.raises(IntegrityError):
        commit_with_files([key])
    assert not storage().exists(key)
    assert not any(p.is_file() for p in files_dir.rglob("*"))


def test_a_committed_change_removes_the_file_it_replaced(app):
    record = TrainingRecordFactory()
    old, new = (check_evidence("a.pdf", PDF).new_key() for _ in range(2))
    for key in (old, new):
        storage().put(key, PDF, "application/pdf")
    record.evidence_key = new
    commit_with_files([new], replaced=[old])
    assert storage().exists(new) and not storage().exists(old)


def test_a_download_is_an_attachment_under_its_uploaded_name(app):
    record = TrainingRecordFactory(evidence_name="Attestation été.pdf")
    record.evidence_key = check_evidence("a.pdf", PDF).new_key()
    record.evidence_content_type = "application/pdf"
    storage().put(record.evidence_key, PDF, "application/pdf")
    with app.test_request_context("/"):
        response = evidence_response(record)
        response.direct_passthrough = False
        assert response.get_data() == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Attestation%20%C3%A9t%C3%A9.pdf" in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.mimetype == "application/pdf"
