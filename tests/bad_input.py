"""Tools of the standing bad-input test (tests/test_bad_input_standing.py), web side:
which routes take a body, what a form declares, the bad posts built from a valid one,
what a page shows, and a snapshot of everything a request could write. The JSON side
is in tests/bad_input_api.py, the registry of forms in tests/bad_input_registry.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.engine import Engine
from werkzeug.routing import Rule
from wtforms import SelectFieldBase, StringField
from wtforms.validators import Length

from core.db import Base

ONE_MB = 1024 * 1024
TOO_LARGE = "x" * (ONE_MB + 1)  # one character over the 1 MB limit of a request body
UNKNOWN_FIELD = "is_admin"
HUGE = 100_000  # characters per text field in the "every field huge" case (body < 1 MB)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# A value of the wrong shape, by field class, for fields whose class says what they hold.
# Free text (StringField, PasswordField) has no wrong type: the registry may name one
# (a code that must be digits, passwords that must match...). A checkbox (BooleanField)
# has none either: browsers send "y", "on" or the value attribute, and any value means
# "checked".
WRONG_BY_TYPE = {
    "EmailField": "not-an-email",
    "SelectField": "not-a-choice",
    "RadioField": "not-a-choice",
    "SelectMultipleField": "not-a-choice",
    "IntegerField": "twelve",
    "DecimalField": "twelve",
    "FloatField": "twelve",
    "IntegerRangeField": "twelve",
    "DecimalRangeField": "twelve",
    "DateField": "2024-02-31",
    "DateTimeField": "yesterday",
    "DateTimeLocalField": "yesterday",
    "TimeField": "25:61",
    "MonthField": "2024-13",
}


# --- which routes take a body --------------------------------------------------------------


def write_rules(app: Flask, api: bool) -> Iterator[tuple[Rule, str]]:
    """(rule, method) for each write method of each rule under /api/ (`api`) or outside."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") == api:
            for method in rule.methods & WRITE_METHODS:
                yield rule, method


def web_write_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, method) of every web rule that takes a body (the API has its own checks)."""
    return sorted({(rule.endpoint, method) for rule, method in write_rules(app, api=False)})


# --- what a form declares ------------------------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    name: str
    kind: str  # the WTForms class name
    required: bool  # absent from the post, it must be reported
    text: bool  # a free-length string: it must have a maximum length
    max_length: int | None


def form_fields(app: Flask, form_class: type[FlaskForm], **kwargs: Any) -> list[FieldInfo]:
    """The fields `form_class` declares (CSRF token aside), read from an instance."""
    with app.test_request_context("/", method="POST"):
        form = form_class(formdata=None, meta={"csrf": False}, **kwargs)
        found = []
        for item in form:
            if item.type == "CSRFTokenField":
                continue
            lengths = [v.max for v in item.validators if isinstance(v, Length) and v.max >= 0]
            # A choice must be made unless the field is optional.
            choice = isinstance(item, SelectFieldBase)
            found.append(
                FieldInfo(
                    name=item.name,
                    kind=type(item).__name__,
                    required=not item.flags.optional if choice else bool(item.flags.required),
                    text=isinstance(item, StringField),
                    max_length=min(lengths) if lengths else None,
                )
            )
        return found


def all_form_classes() -> list[type[FlaskForm]]:
    """Every form class of the app (imported with it), base classes aside."""
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if not sub.__module__.startswith(("flask_wtf", "wtforms", "tests.")):
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


# --- the bad requests --------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request: a bad one (a form post or a JSON body) or the valid one."""

    kind: str  # missing, wrong, oversize, unknown, huge, too_large, malformed (or valid)
    label: str
    field: str | None = None
    data: Any = None  # a dict for the test client, or raw bytes
    content_type: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    chunked: bool = False  # sent without Content-Length, as a chunked request is
    status: int | None = None  # JSON: the status it must answer (None: any 4xx)

    def __str__(self) -> str:
        return self.label


def json_body(value: Any) -> bytes:
    return json.dumps(value).encode()


def form_cases(
    fields: list[FieldInfo],
    valid: dict[str, str],
    csrf: str,
    wrong: dict[str, str],
    limit: int = ONE_MB,
) -> Iterator[Case]:
    """Each case is the valid post with one thing wrong, so that accepting it would write.
    `limit` is the route's body limit (an upload route's is its own: core.files.uploads)."""
    base = {"csrf_token": csrf, **valid}
    oversized = "x" * (limit + 1)
    over = f"the route's limit ({limit} bytes)"

    def but(name: str, value: Any) -> dict[str, Any]:
        return {**base, name: value}

    for f in fields:
        if f.required:
            data = {k: v for k, v in base.items() if k != f.name}
            yield Case("missing", f"{f.name} missing", f.name, data)
        bad = wrong.get(f.name, WRONG_BY_TYPE.get(f.kind))
        if bad is not None:
            yield Case("wrong", f"{f.name} of the wrong type ({bad!r})", f.name, but(f.name, bad))
        if f.text and f.max_length is not None:
            long = _longer(valid[f.name], f.max_length + 1)
            yield Case(
                "oversize",
                f"{f.name} over {f.max_length} characters",
                f.name,
                but(f.name, long),
            )
    yield Case("unknown", f"an unknown field {UNKNOWN_FIELD!r}", None, but(UNKNOWN_FIELD, "1"))
    texts = {f.name: _longer(valid[f.name], HUGE) for f in fields if f.text}
    if texts:
        yield Case("huge", f"every text field {HUGE} characters long", None, {**base, **texts})

    first = fields[0].name if fields else "filler"
    too_large = but(first, oversized)
    yield Case("too_large", f"a form body over {over}", first, too_large)
    yield Case(
        "too_large",
        f"a chunked body over {over} (no Content-Length)",
        first,
        urlencode(too_large).encode(),
        content_type="application/x-www-form-urlencoded",
        chunked=True,
    )
    upload = (BytesIO(oversized.encode()), "big.bin")
    yield Case(
        "too_large",
        f"a multipart body over {over}",
        first,
        but(first, upload),
        content_type="multipart/form-data",
    )
    names = list(valid) or ["filler"]
    garbage = "&".join(f"{name}=%zz%ff%C3%" for name in names)
    yield Case(
        "malformed",
        "a form body with broken percent-encoding and invalid UTF-8",
        data=f"csrf_token={csrf}&{garbage}&%=%%&==&".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    part = 'Content-Disposition: form-data; name="{}"\r\n\r\n{}\r\n'
    body = "--XyZ\r\n" + part.format("csrf_token", csrf) + "--XyZ\r\n" + part.format(names[0], "v")
    yield Case(
        "malformed",
        "a multipart body cut before its closing boundary",
        data=body.encode()[:-3],
        content_type="multipart/form-data; boundary=XyZ",
    )
    yield Case(
        "malformed",
        "a multipart body without a boundary",
        data=body.encode(),
        content_type="multipart/form-data",
    )
    # Flask-WTF takes the CSRF token from a header too, and would read a JSON body as
    # the form: web forms read only what a browser posts.
    in_header = {"X-CSRFToken": csrf}
    typed = {**valid, names[0]: 5, UNKNOWN_FIELD: True}
    for label, raw, content_type in (
        ("malformed JSON", b'{"' + names[0].encode() + b'": ', "application/json"),
        ("a JSON array", b"[1]", "application/json"),
        ("the valid post as JSON", json_body(valid), "application/json"),
        ("a JSON number and an unknown key", json_body(typed), "application/json"),
        ("the valid post as text/plain", urlencode(valid).encode(), "text/plain"),
    ):
        yield Case(
            "malformed",
            f"{label} (with the CSRF token in a header)",
            data=raw,
            content_type=content_type,
            headers=in_header,
        )


def _longer(value: str, length: int) -> str:
    """`value` padded to `length` characters (still well-formed where the padding allows)."""
    if "@" in value:
        domain = value.split("@", 1)[1]
        return "a" * max(1, length - len(domain) - 1) + "@" + domain
    value = value or "x"
    return (value * (length // len(value) + 1))[:length]


# --- what a page shows -----------------------------------------------------------------


class PageErrors(HTMLParser):
    """The errors a page shows: per form control (an `is-invalid` control and the
    `invalid-feedback` texts after it) and in `alert-danger` boxes."""

    CONTROLS = ("input", "select", "textarea")

    def __init__(self, html: str) -> None:
        super().__init__()
        self.invalid: set[str] = set()
        self.feedback: dict[str, list[str]] = defaultdict(list)
        self.alerts: list[str] = []
        self._last: str | None = None
        self._open: list[tuple[str, str, int, list[str]]] = []  # (what, tag, depth, text)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        classes = attr.get("class", "").split()
        if tag in self.CONTROLS and attr.get("type") != "hidden" and attr.get("name"):
            self._last = attr["name"]
            if "is-invalid" in classes:
                self.invalid.add(attr["name"])
        for entry in self._open:
            if entry[1] == tag:
                self._open[self._open.index(entry)] = (entry[0], tag, entry[2] + 1, entry[3])
        if "invalid-feedback" in classes:
            self._open.append((f"feedback:{self._last}", tag, 1, []))
        elif "alert-danger" in classes:
            self._open.append(("alert", tag, 1, []))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            what, open_tag, depth, text = self._open[index]
            if open_tag != tag:
                continue
            if depth > 1:
                self._open[index] = (what, open_tag, depth - 1, text)
                continue
            del self._open[index]
            content = " ".join("".join(text).split())
            if what == "alert":
                self.alerts.append(content)
            else:
                self.feedback[what.split(":", 1)[1]].append(content)

    def handle_data(self, data: str) -> None:
        for _what, _tag, _depth, text in self._open:
            text.append(data)

    def field_error(self, name: str) -> str | None:
        """The message shown for control `name`, if it is marked invalid."""
        messages = [m for m in self.feedback.get(name, []) if m]
        return messages[0] if name in self.invalid and messages else None


# --- everything a request could write ---------------------------------------------------


def snapshot(engine: Engine, redis: Any, mails: int) -> dict[str, str]:
    """A digest per table (every table of the metadata, read as the owner, so RLS hides
    nothing), of the app's Redis keys (throttles, rate limits, queued jobs) and the count
    of mails received. No table is left out: a refused request writes nothing at all."""
    found = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            found[table.name] = _digest([dict(r) for r in rows])
    found["redis"] = _digest(_redis_state(redis))
    found["mail"] = str(mails)
    return found


class WithoutRateLimits:
    """The app's Redis as the snapshot reads it, without the `ratelimit:` counters: the
    token endpoint and the API count every request, refused ones too (a flood of bad
    requests is limited like any other), so those counters change by design; every
    other key (throttles, mail limits, queued jobs) still counts."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def keys(self, pattern: str) -> list[bytes]:
        return [k for k in self._redis.keys(pattern) if not k.startswith(b"ratelimit:")]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._redis, name)


def _redis_state(redis: Any) -> list[Any]:
    # RQ's worker bookkeeping (the PostgreSQL runs drain the queues after each request)
    # changes by itself; a queued job shows as its rq:job key.
    state = []
    for raw in sorted(redis.keys("*")):
        key = raw.decode()
        if key.startswith("rq:") and not key.startswith("rq:job:"):
            continue
        kind = redis.type(raw).decode()
        value = redis.get(raw) if kind == "string" else None
        state.append([key, kind, value.decode(errors="replace") if value else None])
    return state


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode()).hexdigest()


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])
