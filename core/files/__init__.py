"""Uploaded files: checked from their bytes, stored under server-generated keys on the
local disk (embedded default) or in an S3-compatible bucket (production).

    checks.py   what an upload must be (type from the bytes, size, name)
    storage.py  where the bytes go: LocalStorage or S3Storage, chosen by configuration
"""
