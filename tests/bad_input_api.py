"""Tools of the standing bad-input test (tests/test_bad_input_standing.py), API side:
which /api/ routes take a body, the operations of the OpenAPI document that take a JSON
body or a multipart/form-data upload, and the bad bodies built from a valid one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from flask import Flask
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from core.files.checks import MAX_EVIDENCE_BYTES
from core.files.uploads import UPLOAD_BODY_LIMIT
from tests.bad_input import TOO_LARGE, UNKNOWN_FIELD, WRITE_METHODS, Case, json_body, write_rules

WRONG_JSON = {
    "string": 12345,
    "integer": "twelve",
    "number": "twelve",
    "boolean": "maybe",
    "array": "not a list",
    "object": "not an object",
}
# String formats whose values have a length of their own.
BOUNDED_FORMATS = frozenset({"date", "date-time", "time", "uuid"})


def api_write_routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every /api/ rule that accepts a write method."""
    return {
        (method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
        for rule, method in write_rules(app, api=True)
    }


def json_operations(
    spec: dict[str, Any], media_type: str = "application/json"
) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, request body schema) of every operation that takes a JSON body
    (or a body of `media_type`: "multipart/form-data" for the uploads)."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if method.upper() in WRITE_METHODS and body and media_type in body["content"]:
                schema = body["content"][media_type]["schema"]
                found.append((method.upper(), path, _resolve(spec, schema)))
    return sorted(found, key=lambda op: (op[1], op[0]))


def upload_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, form schema) of every operation that takes a multipart upload."""
    return json_operations(spec, "multipart/form-data")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _type(prop: dict[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    return kind


def unbounded_strings(schema: dict[str, Any]) -> list[str]:
    """String properties a client may send with no maximum length (a file of an upload,
    format "binary", is bounded by its route's body limit and checked by upload_cases)."""
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if _type(prop) == "string"
        and not prop.get("readOnly")
        and "maxLength" not in prop
        and "enum" not in prop
        and prop.get("format") not in {*BOUNDED_FORMATS, "binary"}
    ]


def file_properties(schema: dict[str, Any]) -> list[str]:
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if _type(prop) == "string" and prop.get("format") == "binary"
    ]


# Files every evidence upload must refuse (the four), each with the status it
# must answer: the name or the bytes are wrong, or it is one byte too large.
PDF = b"%PDF-1.7\n%%EOF\n"
REFUSED_FILES: dict[str, tuple[bytes, str, int]] = {
    "a PDF named .png": (PDF, "scan.png", 422),
    "a file of 10 MB + 1 byte": (PDF + b"0" * (MAX_EVIDENCE_BYTES + 1 - len(PDF)), "big.pdf", 413),
    "a name like ../../x": (PDF, "../../x", 422),
    "an empty file": (b"", "empty.pdf", 422),
}


def multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body of `fields` (a file is a (bytes, name) pair), and its
    content type."""
    values = MultiDict()
    for name, value in fields.items():
        if isinstance(value, tuple):
            data, filename = value
            values.add(name, FileStorage(BytesIO(data), filename=filename))
        else:
            values.add(name, value)
    boundary, body = encode_multipart(values)
    return body, f"multipart/form-data; boundary={boundary}"


def upload_cases(
    schema: dict[str, Any], valid: dict[str, Any], headers: dict[str, str]
) -> Iterator[Case]:
    """Each bad upload, from the valid form (files as (bytes, name)) with one thing
    wrong, sent with `headers`; `status` as in json_cases."""

    def case(kind: str, label: str, fields: dict[str, Any], status: int | None, **kw: Any) -> Case:
        body, content_type = multipart(fields)
        return Case(
            kind, label, data=body, content_type=content_type, headers=headers, status=status, **kw
        )

    for name in file_properties(schema):
        for label, (data, filename, status) in REFUSED_FILES.items():
            yield case("wrong", f"{name}: {label}", {**valid, name: (data, filename)}, status)
    for name in schema.get("required", []):
        missing = {k: v for k, v in valid.items() if k != name}
        yield case("missing", f"{name} missing", missing, 422, field=name)
    unknown = {**valid, UNKNOWN_FIELD: (PDF, "other.pdf")}
    yield case("unknown", f"an unknown file {UNKNOWN_FIELD!r}", unknown, 422)
    body, content_type = multipart(valid)
    yield Case(
        "malformed",
        "a multipart body cut short",
        data=body[: len(body) // 2],
        content_type=content_type,
        headers=headers,
    )
    padding = (PDF + b"0" * UPLOAD_BODY_LIMIT, "padding.pdf")
    too_large = {**valid, "padding": padding}
    yield case("too_large", "a body over the upload limit", too_large, 413)
    body, content_type = multipart(too_large)
    yield Case(
        "too_large",
        "a chunked body over the upload limit (no Content-Length)",
        data=body,
        content_type=content_type,
        headers=headers,
        chunked=True,
        status=413,
    )
    yield Case(
        "malformed",
        "a JSON body instead of the upload",
        data=json_body({k: "x" for k in valid}),
        content_type="application/json",
        headers=headers,
    )


def json_cases(
    schema: dict[str, Any], valid: dict[str, Any], headers: dict[str, str]
) -> Iterator[Case]:
    """Each bad body, from the valid one with one thing wrong, sent with `headers`; its
    `status` is the one it must answer (None: any 4xx)."""

    def case(
        kind: str,
        label: str,
        body: bytes,
        status: int | None,
        field: str | None = None,
        content_type: str = "application/json",
        chunked: bool = False,
    ) -> Case:
        return Case(
            kind,
            label,
            field=field,
            data=body,
            content_type=content_type,
            headers=headers,
            chunked=chunked,
            status=status,
        )

    def but(name: str, value: Any) -> bytes:
        return json_body({**valid, name: value})

    first = next(iter(valid), "x")
    yield case("malformed", "malformed JSON", b'{"' + first.encode() + b'": ', 400)
    yield case("malformed", "a JSON array instead of an object", b"[]", 422)
    yield case("unknown", f"an unknown field {UNKNOWN_FIELD!r}", but(UNKNOWN_FIELD, 1), 422)
    for name in schema.get("required", []):
        missing = {k: v for k, v in valid.items() if k != name}
        yield case("missing", f"{name} missing", json_body(missing), 422, field=name)
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        kind = _type(prop)
        if kind in WRONG_JSON:
            bad = but(name, WRONG_JSON[kind])
            yield case("wrong", f"{name} of the wrong type", bad, 422, field=name)
        if kind == "string" and "maxLength" in prop:
            long = but(name, "x" * (prop["maxLength"] + 1))
            label = f"{name} over {prop['maxLength']} characters"
            yield case("oversize", label, long, 422, field=name)
    too_large = but("padding", TOO_LARGE)
    yield case("too_large", "a body over 1 MB", too_large, 413)
    label = "a chunked body over 1 MB (no Content-Length)"
    yield case("too_large", label, too_large, 413, chunked=True)
    text = json_body(valid)
    yield case("malformed", "the valid body as text/plain", text, None, content_type="text/plain")
