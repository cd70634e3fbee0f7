"""A mediator's training records follow them to every center they work with: edited
once, seen by both centers; a third center sees nothing; any affiliated center's
administrator verifies; evidence is stored only once it has passed its checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.clock import now
from core.credentials.models import VerificationStatus
from core.credentials.records import RecordInput, RecordInvalid, add_record, update_record
from core.db import db
from core.files.checks import UploadRefused, check_evidence
from core.tenancy import tenant_scope
from tenants.models import AffiliationStatus
from tenants.services import mediator_files
from tenants.services.rules import NotFound
from tests.factories import (
    AffiliationFactory,
    MediatorProfileFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)

PDF = b"%PDF-1.7\n%%EOF\n"


def _input(**changes) -> RecordInput:
    values = {
        "title": "Analyse de la pratique",
        "provider": "Association des médiateurs",
        "kind": "supervision",
        "hours": "10",
        "started_on": now().date() - timedelta(days=30),
    }
    return RecordInput(**{**values, **changes})


@pytest.fixture
def two_centers_and_a_stranger(app):
    profile = MediatorProfileFactory()
    a, b, c = TenantFactory(), TenantFactory(), TenantFactory()
    AffiliationFactory(tenant=a, profile=profile)
    AffiliationFactory(tenant=b, profile=profile, status=AffiliationStatus.SUSPENDED)
    ended = MediatorProfileFactory()
    AffiliationFactory(tenant=c, profile=ended, status=AffiliationStatus.ENDED)
    return profile, a, b, c, ended


def test_one_edit_is_seen_by_both_centers_and_by_no_third(two_centers_and_a_stranger):
    profile, a, b, c, _ended = two_centers_and_a_stranger
    record = add_record(profile, _input())
    db.session.commit()
    update_record(record, _input(title="Analyse de la pratique (groupe de Lyon)", hours="12.5"))
    db.session.commit()

    for center in (a, b):
        with tenant_scope(center.id):
            seen = mediator_files.center_records(profile.id)
        assert [(r.title, r.hours) for r in seen] == [
            ("Analyse de la pratique (groupe de Lyon)", Decimal("12.50"))
        ]
    with tenant_scope(c.id), pytest.raises(NotFound):
        mediator_files.center_records(profile.id)


def test_an_ended_affiliation_gives_no_access(two_centers_and_a_stranger):
    _profile, _a, _b, c, ended = two_centers_and_a_stranger
    TrainingRecordFactory(profile=ended)
    with tenant_scope(c.id), pytest.raises(NotFound):
        mediator_files.center_records(ended.id)


def test_an_affiliated_admin_verifies_and_an_edit_sends_it_back_to_pending(
    two_centers_and_a_stranger,
):
    profile, a, _b, c, _ended = two_centers_and_a_stranger
    admin = UserFactory()
    record = TrainingRecordFactory(profile=profile)
    with tenant_scope(a.id):
        with pytest.raises(RecordInvalid) as no_reason:
            mediator_files.verify_record(profile.id, record.id, actor_id=admin.id, verified=False)
        assert "reason" in no_reason.value.errors
        mediator_files.verify_record(profile.id, record.id, actor_id=admin.id, verified=True)
        db.session.commit()
    assert record.verification_status == VerificationStatus.VERIFIED
    assert (record.verified_by_id, record.verified_for_tenant_id) == (admin.id, a.id)
    assert record.verified_at == now()

    with tenant_scope(c.id), pytest.raises(NotFound):  # not its mediator
        mediator_files.verify_record(profile.id, record.id, actor_id=admin.id, verified=True)
    other = TrainingRecordFactory()  # a record of another mediator, reached through this one
    with tenant_scope(a.id), pytest.raises(NotFound):
        mediator_files.verify_record(profile.id, other.id, actor_id=admin.id, verified=True)

    update_record(record, _input())
    db.session.commit()
    assert record.verification_status == VerificationStatus.PENDING
    assert record.verified_by_id is None and record.verified_at is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"hours": "-1"}, "hours"),
        ({"hours": "2000.01"}, "hours"),
        ({"hours": "1.234"}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"hours": "ten"}, "hours"),
        ({"kind": "holiday"}, "kind"),
        ({"kind": "mediations_conducted"}, "mediations"),
        ({"started_on": now().date() + timedelta(days=1)}, "started_on"),
        ({"ended_on": now().date() - timedelta(days=31)}, "ended_on"),
    ],
)
def test_a_bad_record_is_refused_on_its_field_and_writes_nothing(app, changes, field):
    profile = MediatorProfileFactory()
    with pytest.raises(RecordInvalid) as refused:
        add_record(profile, _input(**changes))
    assert field in refused.value.errors
    db.session.rollback()
    assert profile.training_records == []


def test_evidence_is_stored_under_a_server_key_and_refused_files_write_nothing(
    app, files_dir: Path
):
    profile = MediatorProfileFactory()
    assert app.extensions["file_storage"].root == files_dir
    for name, data in (("x.png", PDF), ("../../x", PDF), ("x.pdf", b"")):
        with pytest.raises(UploadRefused):
            add_record(profile, _input(), check_evidence(name, data))
    assert not files_dir.exists() or not any(files_dir.iterdir())
    assert not any(files_dir.parent.parent.glob("x*"))  # nothing escaped the folder
    assert profile.training_records == []

    record = add_record(profile, _input(), check_evidence("attestation.pdf", PDF))
    db.session.commit()
    assert record.evidence_name == "attestation.pdf" and "attestation" not in record.evidence_key
    assert app.extensions["file_storage"].get(record.evidence_key) == PDF
    assert [p.name for p in files_dir.iterdir()] == [record.evidence_key]
