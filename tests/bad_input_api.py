"""Tools of the standing bad-input test (tests/test_bad_input_standing.py), JSON side:
which /api/ routes take a body, the operations of the OpenAPI document that take a JSON
body, and the bad bodies built from a valid one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask

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


def json_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, request body schema) of every operation that takes a JSON body."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if method.upper() in WRITE_METHODS and body:
                schema = body["content"]["application/json"]["schema"]
                found.append((method.upper(), path, _resolve(spec, schema)))
    return sorted(found, key=lambda op: (op[1], op[0]))


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
    """String properties a client may send with no maximum length."""
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if _type(prop) == "string"
        and not prop.get("readOnly")
        and "maxLength" not in prop
        and "enum" not in prop
        and prop.get("format") not in BOUNDED_FORMATS
    ]


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
