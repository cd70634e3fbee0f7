"""Where uploaded bytes live: a folder under instance/ (embedded default) or an
S3-compatible bucket (production), behind one small interface.

Keys are always server-generated (`CheckedFile.new_key`); a key that is not of that
shape is refused before it reaches a path or a bucket.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

KEY = re.compile(r"[0-9a-f]{32}\.(pdf|png|jpg)")


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key[:80]!r}")
    return key


class LocalStorage:
    """Files in one folder; written to a temporary name, then renamed (atomic)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Scaleway, OVH...)."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=_checked(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=_checked(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def make_storage(config: dict[str, Any], instance_path: str) -> Storage:
    """The bucket when S3_BUCKET is set, else a folder under instance/."""
    bucket = config.get("S3_BUCKET")
    if not bucket:
        return LocalStorage(Path(config.get("FILES_DIR") or Path(instance_path) / "files"))
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        region_name=config.get("S3_REGION") or None,
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
    )
    return S3Storage(bucket, client)


def storage() -> Storage:
    return current_app.extensions["file_storage"]


def init_app(app: Flask) -> None:
    app.extensions["file_storage"] = make_storage(app.config, app.instance_path)
