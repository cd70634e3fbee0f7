"""Evidence files: refused for what their bytes are (not their name), stored only under
server-generated keys, on the disk or in a real S3-compatible server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.files.checks import MAX_EVIDENCE_BYTES, UploadRefused, check_evidence
from core.files.storage import LocalStorage, S3Storage, make_storage
from tests.conftest import free_port, missing_service

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("attestation.png", PDF, "type-mismatch"),  # a PDF renamed .png
        ("attestation.pdf", b"%PDF-" + b"x" * (MAX_EVIDENCE_BYTES - 4), "too-large"),
        ("../../x", PDF, "name-invalid"),
        ("..\\..\\x.pdf", PDF, "name-invalid"),
        ("attestation.pdf", b"", "empty"),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "type"),
        ("", PDF, "name-missing"),
        (".hidden.pdf", PDF, "name-invalid"),
        ("evil\u202egnp.pdf", PDF, "name-invalid"),  # a right-to-left override
        ("x" * 197 + ".pdf", PDF, "name-too-long"),
        ("attestation", PDF, "type-mismatch"),  # no extension to show at download
    ],
)
def test_bad_evidence_is_refused_with_its_reason(app, name, data, code):
    with pytest.raises(UploadRefused) as refused:
        check_evidence(name, data)
    assert refused.value.code == code
    assert str(refused.value.message)


def test_the_limit_is_ten_megabytes_exactly(app):
    at_limit = b"%PDF-" + b"x" * (MAX_EVIDENCE_BYTES - 5)
    assert check_evidence("attestation.pdf", at_limit).size == MAX_EVIDENCE_BYTES
    with pytest.raises(UploadRefused):
        check_evidence("attestation.pdf", at_limit + b"x")


@pytest.mark.parametrize(
    ("name", "data", "content_type", "extension"),
    [
        ("Attestation DU médiation.PDF", PDF, "application/pdf", "pdf"),
        ("scan.png", PNG, "image/png", "png"),
        ("photo.jpeg", JPEG, "image/jpeg", "jpg"),
    ],
)
def test_good_evidence_passes_and_gets_a_server_key(app, name, data, content_type, extension):
    checked = check_evidence(name, data)
    assert (checked.name, checked.content_type) == (name, content_type)
    key = checked.new_key()
    assert key.endswith("." + extension) and name not in key
    assert checked.new_key() != key


def _exercise(store) -> None:
    checked = check_evidence("attestation.pdf", PDF)
    key = checked.new_key()
    assert not store.exists(key)
    store.put(key, checked.data, checked.content_type)
    assert store.exists(key) and store.get(key) == PDF
    store.delete(key)
    assert not store.exists(key)
    for bad in ("../../x", "attestation.pdf", "a" * 32 + ".exe", "/etc/passwd"):
        with pytest.raises(ValueError):
            store.put(bad, PDF, "application/pdf")


def test_local_storage_keeps_files_in_its_folder_only(tmp_path: Path):
    store = LocalStorage(tmp_path / "files")
    _exercise(store)
    assert list((tmp_path / "files").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["files"]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing_service("moto[server] (an S3-compatible server on loopback)")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_s3_storage_against_a_real_s3_compatible_server(s3_server: str, tmp_path: Path):
    config = {
        "S3_BUCKET": "evidence",
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "eu-west-3",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }
    store = make_storage(config, str(tmp_path))
    assert isinstance(store, S3Storage)
    store.client.create_bucket(
        Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    _exercise(store)
    assert store.client.list_objects_v2(Bucket="evidence").get("KeyCount") == 0
    assert not any(tmp_path.iterdir())  # nothing on the disk in S3 mode
