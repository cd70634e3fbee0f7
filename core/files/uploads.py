"""Receiving and handing back evidence files, for pages and the API alike.

A route that takes an upload declares it with `@accepts_upload`: its request body may
then reach the evidence limit plus room for the form around it, while every other
route keeps the app's MAX_CONTENT_LENGTH (core.security reads `body_limit()` before any
form is parsed). A stored file whose database row then fails to commit is deleted, and
a replaced one only once the new row is committed: nothing is left without its row,
and no row points at a missing file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any, TypeVar

from flask import Response, current_app, request, send_file
from werkzeug.datastructures import FileStorage

from core.db import db
from core.files.checks import (
    MAX_EVIDENCE_BYTES,
    MAX_PHOTO_BYTES,
    CheckedFile,
    UploadRefused,
    check_evidence,
    check_photo,
)
from core.files.storage import storage

# The file itself, plus the multipart framing and the form's other fields.
UPLOAD_BODY_LIMIT = MAX_EVIDENCE_BYTES + 64 * 1024

View = TypeVar("View", bound=Callable[..., Any])


def accepts_upload(view: View) -> View:
    """Let the route's request body reach UPLOAD_BODY_LIMIT (set on a function view or
    a MethodView class; functools.wraps carries it through outer decorators)."""
    view.body_limit = UPLOAD_BODY_LIMIT  # type: ignore[attr-defined]
    return view


def _declared_limit() -> int | None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    return getattr(view, "body_limit", None) or getattr(
        getattr(view, "view_class", None), "body_limit", None
    )


def takes_upload() -> bool:
    """Whether the current request's route accepts an upload (`accepts_upload`)."""
    return _declared_limit() is not None


def body_limit() -> int | None:
    """The body limit of the current request's route."""
    return _declared_limit() or current_app.config.get("MAX_CONTENT_LENGTH")


def read_evidence(upload: FileStorage | None) -> CheckedFile | None:
    """The checked file of a form's file field; None when no file was chosen.
    Raises UploadRefused (a message for the person) when it breaks a rule."""
    return _read(upload, MAX_EVIDENCE_BYTES, check_evidence)


def read_photo(upload: FileStorage | None) -> CheckedFile | None:
    """Like read_evidence, for a profile photo (PNG or JPEG, at most 2 MB)."""
    return _read(upload, MAX_PHOTO_BYTES, check_photo)


def _read(
    upload: FileStorage | None, limit: int, check: Callable[[str, bytes], CheckedFile]
) -> CheckedFile | None:
    if upload is None or (not upload.filename and not upload.content_length):
        return None
    # One byte over the limit is enough to refuse: never read the rest into memory.
    data = upload.stream.read(limit + 1)
    return check(upload.filename or "", data)


def commit_with_files(stored: Iterable[str | None], replaced: Iterable[str | None] = ()) -> None:
    """Commit the session; on failure delete the files just stored (then re-raise), on
    success the files the change replaced."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for key in stored:
            if key:
                storage().delete(key)
        raise
    for key in replaced:
        if key:
            storage().delete(key)


def evidence_response(row: Any) -> Response:
    """The row's evidence as a download under the name it was uploaded with
    (Content-Disposition: attachment, RFC 6266 with a UTF-8 filename* when needed)."""
    data = storage().get(row.evidence_key)
    response = send_file(
        BytesIO(data),
        mimetype=row.evidence_content_type,
        as_attachment=True,
        download_name=row.evidence_name,
        max_age=0,
    )
    # Personal documents: never in a shared cache, never sniffed into another type.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = [
    "UPLOAD_BODY_LIMIT",
    "UploadRefused",
    "accepts_upload",
    "body_limit",
    "commit_with_files",
    "evidence_response",
    "read_evidence",
    "read_photo",
]
