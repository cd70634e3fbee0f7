"""What an uploaded evidence file (or a profile photo) must be, decided from its bytes,
not its name.

A file is refused (with a reason a person can act on) when it is empty, over the size
limit, not a PDF, PNG or JPEG by its first bytes, named with a type its bytes
contradict, or named with a path (`../../x`) or control characters. Nothing is stored
before the file has passed every check.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = frozenset({"image/png", "image/jpeg"})
MAX_NAME_LENGTH = 200

# Magic numbers: the start of every file of the type.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS: dict[str, str] = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
NAME_EXTENSIONS: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}


class UploadRefused(ValueError):
    """The upload breaks a rule; `code` is stable, `message` is for the person."""

    def __init__(self, code: str, message: object) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check, and the facts kept about it."""

    data: bytes
    name: str
    content_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    def new_key(self) -> str:
        """A server-generated storage key: nothing of the person's name reaches a path."""
        return f"{secrets.token_hex(16)}.{EXTENSIONS[self.content_type]}"


def sniff(data: bytes) -> str | None:
    """The content type the bytes announce, or None."""
    for content_type, starts in SIGNATURES.items():
        if any(data.startswith(start) for start in starts):
            return content_type
    return None


def check_name(name: str) -> str:
    """The name as given, if it is a plain file name (shown back, never used as a path)."""
    cleaned = unicodedata.normalize("NFC", name or "").strip()
    if not cleaned:
        raise UploadRefused("name-missing", _l("The file has no name."))
    if len(cleaned) > MAX_NAME_LENGTH:
        raise UploadRefused(
            "name-too-long",
            _l("The file name is longer than %(max)d characters.", max=MAX_NAME_LENGTH),
        )
    if (
        "/" in cleaned
        or "\\" in cleaned
        or cleaned in (".", "..")
        or cleaned.startswith(".")
        or any(unicodedata.category(c) in ("Cc", "Cf") for c in cleaned)
    ):
        raise UploadRefused(
            "name-invalid",
            _l("The file name must be a plain name, without a folder or special characters."),
        )
    return cleaned


def check_evidence(name: str, data: bytes) -> CheckedFile:
    """Check an evidence file (PDF, PNG or JPEG, at most 10 MB); raises UploadRefused."""
    cleaned = check_name(name)
    if not data:
        raise UploadRefused("empty", _l("The file is empty."))
    if len(data) > MAX_EVIDENCE_BYTES:
        raise UploadRefused("too-large", _l("The file is larger than 10 MB."))
    content_type = sniff(data)
    if content_type is None:
        raise UploadRefused("type", _l("Only PDF, PNG and JPEG files are accepted."))
    return _named_as(cleaned, data, content_type)


def check_photo(name: str, data: bytes) -> CheckedFile:
    """Check a profile photo (PNG or JPEG, at most 2 MB); raises UploadRefused."""
    cleaned = check_name(name)
    if not data:
        raise UploadRefused("empty", _l("The file is empty."))
    if len(data) > MAX_PHOTO_BYTES:
        raise UploadRefused("too-large", _l("The photo is larger than 2 MB."))
    content_type = sniff(data)
    if content_type not in PHOTO_TYPES:
        raise UploadRefused("type", _l("Only PNG and JPEG photos are accepted."))
    return _named_as(cleaned, data, content_type)


def _named_as(cleaned: str, data: bytes, content_type: str) -> CheckedFile:
    extension = cleaned.rsplit(".", 1)[-1].lower() if "." in cleaned else ""
    named = NAME_EXTENSIONS.get(extension)
    if named != content_type:
        # A PDF renamed .png (or a name without a known extension) is refused: the name
        # is what people see when they download it.
        raise UploadRefused(
            "type-mismatch",
            _l("The file's name does not match its content (a PDF, PNG or JPEG is expected)."),
        )
    return CheckedFile(
        data=data, name=cleaned, content_type=content_type, sha256=hashlib.sha256(data).hexdigest()
    )
