"""Helpers for the tests of the mediator-file API (/api/v1/me/..., /api/v1/center/...):
real tokens from the real token endpoint, evidence files, and what the storage folder
and the tables hold."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.credentials.models import Certification, MediatorProfile, TrainingRecord
from core.db import db
from core.files.checks import MAX_EVIDENCE_BYTES, check_evidence
from core.files.storage import storage
from tests.oauth import authorization_code_tokens, bearer, client_credentials_token, register
from tests.tenants.helpers import sign_in

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# The four uploads the issue names, each to be refused with nothing written.
REFUSED_UPLOADS = {
    "a PDF named .png": (PDF, "scan.png"),
    "10 MB + 1 byte": (b"%PDF-1.7\n" + b"0" * (MAX_EVIDENCE_BYTES + 1 - 9), "big.pdf"),
    "a name like ../../x": (PDF, "../../x"),
    "an empty file": (b"", "empty.pdf"),
}


def person_token(app: Any, user: Any, tenant_id: Any) -> dict[str, str]:
    """Bearer headers for `user`, who allowed a center's application the `profile` scope."""
    browser = app.test_client()
    sign_in(browser, user)
    registered = register("tenant", tenant_id, scopes=["profile"], name="Mediator app")
    return bearer(authorization_code_tokens(browser, registered, "profile")["access_token"])


def center_token(app: Any, tenant_id: Any, scopes: str = "mediators:read mediators:write") -> dict:
    """Bearer headers of a center's own client (client credentials)."""
    registered = register("tenant", tenant_id, scopes=scopes.split(), name="Center back office")
    return bearer(client_credentials_token(app.test_client(), registered, scopes))


def upload(data: bytes, name: str) -> dict[str, Any]:
    return {"file": (BytesIO(data), name)}


def stored_evidence(row: Any, data: bytes = PDF, name: str = "attestation.pdf") -> None:
    """Give a record or certification a stored evidence file, as an upload would."""
    checked = check_evidence(name, data)
    row.evidence_key = checked.new_key()
    storage().put(row.evidence_key, checked.data, checked.content_type)
    row.evidence_name = checked.name
    row.evidence_content_type = checked.content_type
    row.evidence_size = checked.size
    row.evidence_sha256 = checked.sha256
    db.session.commit()


def stored_files(files_dir: Path) -> list[str]:
    return sorted(p.name for p in files_dir.rglob("*")) if files_dir.exists() else []


def file_rows() -> dict[str, Any]:
    """What the mediator-file tables hold, to compare before and after a request."""
    db.session.expire_all()
    found: dict[str, Any] = {}
    for model in (MediatorProfile, TrainingRecord, Certification):
        rows = db.session.scalars(select(model).order_by(model.id)).all()
        found[model.__tablename__] = [
            {c.key: getattr(r, c.key) for c in model.__table__.columns} for r in rows
        ]
    found["count"] = db.session.scalar(select(func.count()).select_from(TrainingRecord))
    return found


def assert_problem(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, (response.status_code, response.get_data(True)[:500])
    assert response.mimetype == "application/problem+json", response.mimetype
    return response.json
