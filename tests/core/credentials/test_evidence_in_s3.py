"""Evidence in an S3-compatible bucket (moto's server on loopback): the mediator's upload
page stores the file in the bucket and nothing on the disk, each refused upload leaves
the bucket as it was, and the download reads the file back from the bucket."""

from __future__ import annotations

import pytest

from core.credentials.models import TrainingRecord
from core.db import db
from core.files.storage import S3Storage, storage
from tests.core.credentials.test_training_pages import RECORD, TODAY, send
from tests.core.files.test_checks_and_storage import s3_server  # noqa: F401 (a fixture)
from tests.factories import MediatorProfileFactory, UserFactory
from tests.mediator_api import PDF, REFUSED_UPLOADS, file_rows, stored_files
from tests.tenants.helpers import sign_in

BUCKET = "evidence-pages"


@pytest.fixture
def app_config(app_config: dict, s3_server: str) -> dict:  # noqa: F811
    return {
        **app_config,
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "eu-west-3",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }


@pytest.fixture
def bucket(app) -> S3Storage:
    store = storage()
    assert isinstance(store, S3Storage)
    existing = {b["Name"] for b in store.client.list_buckets()["Buckets"]}
    if BUCKET not in existing:
        store.client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )
    for item in store.client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        store.client.delete_object(Bucket=BUCKET, Key=item["Key"])
    return store


def _objects(store: S3Storage) -> list[str]:
    return sorted(
        item["Key"] for item in store.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    )


@pytest.fixture
def mediator(app, client, clock):
    clock.advance(TODAY - clock.now())
    profile = MediatorProfileFactory(user=UserFactory(locale="en"))
    sign_in(client, profile.user)
    return profile


@pytest.mark.parametrize("upload", list(REFUSED_UPLOADS))
def test_a_refused_upload_writes_nothing_to_the_bucket(
    app, client, mediator, bucket, files_dir, upload
):
    before = file_rows()
    response = send(client, "/me/training/records/new", RECORD, REFUSED_UPLOADS[upload])
    assert response.status_code == 422
    assert _objects(bucket) == []
    assert file_rows() == before
    assert stored_files(files_dir) == []


def test_an_accepted_upload_lives_in_the_bucket_and_downloads_from_it(
    app, client, mediator, bucket, files_dir
):
    response = send(client, "/me/training/records/new", RECORD, (PDF, "attestation.pdf"))
    assert response.status_code == 303
    db.session.expire_all()
    record = db.session.query(TrainingRecord).filter_by(profile_id=mediator.id).one()
    assert _objects(bucket) == [record.evidence_key]
    assert stored_files(files_dir) == []  # nothing on the disk in S3 mode
    download = client.get(f"/me/training/records/{record.id}/evidence")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"] == "attachment; filename=attestation.pdf"
