"""The JSON form of scheme rules: written as staff see it, read back with validation.

Every error names the field by its path ("rules.continuing[0].period.months") so that
whoever edits a scheme can find the mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from core.credentials.models import TrainingKind
from core.credentials.rules import (
    Anchored,
    CalendarYear,
    Condition,
    Credit,
    EndOfCycle,
    ExpiresAfter,
    FixedCycle,
    Minimum,
    Period,
    Permanent,
    Requirement,
    Rolling,
    SchemeRules,
    Sources,
    Staged,
    Text,
    Threshold,
    Validity,
)

T = TypeVar("T")


# --- writing -------------------------------------------------------------------------------


def _opt(value: Any, write: Callable[[Any], Any] = lambda v: v) -> Any:
    return None if value is None else write(value)


def _dec(value: Decimal) -> str:
    return str(value)


def _kinds(kinds: tuple[TrainingKind, ...]) -> list[str]:
    return [kind.value for kind in kinds]


def _write_text(text: Text) -> dict[str, str]:
    return {"fr": text.fr, "en": text.en}


def _write_condition(condition: Condition) -> dict[str, Any]:
    return {"text": _write_text(condition.text), "sources": list(condition.sources)}


def _write_credit(credit: Credit) -> dict[str, Any]:
    return {
        "kind": credit.kind.value,
        "per_mediation": _opt(credit.per_mediation, _dec),
        "cap": _opt(credit.cap, _dec),
    }


def _write_threshold(threshold: Threshold) -> dict[str, Any]:
    return {
        "hours": _opt(threshold.hours, _dec),
        "kinds": _kinds(threshold.kinds),
        "minimums": [{"kind": m.kind.value, "hours": _dec(m.hours)} for m in threshold.minimums],
        "within_months": threshold.within_months,
        "credits": [_write_credit(c) for c in threshold.credits],
        "conditions": [_write_condition(c) for c in threshold.conditions],
        "sources": list(threshold.sources),
    }


def _write_period(period: Period) -> dict[str, Any]:
    if isinstance(period, Rolling):
        return {"kind": "rolling", "months": period.months, "count": period.count}
    if isinstance(period, CalendarYear):
        return {"kind": "calendar_year", "count": period.count}
    if isinstance(period, Anchored):
        return {"kind": "anchored", "months": period.months, "count": period.count}
    return {
        "kind": "fixed_cycle",
        "months": period.months,
        "start": period.start.isoformat(),
        "grace_days": period.grace_days,
        "count": period.count,
    }


def _write_requirement(requirement: Requirement) -> dict[str, Any]:
    return {
        "hours": _opt(requirement.hours, _dec),
        "kinds": _opt(requirement.kinds, _kinds),
        "period": _opt(requirement.period, _write_period),
        "credits": [_write_credit(c) for c in requirement.credits],
        "sources": list(requirement.sources),
    }


def _write_validity(validity: Validity) -> dict[str, Any]:
    sources = list(validity.sources)
    if isinstance(validity, Permanent):
        return {"kind": "permanent", "sources": sources}
    if isinstance(validity, ExpiresAfter):
        return {"kind": "expires_after", "months": validity.months, "sources": sources}
    return {
        "kind": "end_of_cycle",
        "start": validity.start.isoformat(),
        "months": validity.months,
        "sources": sources,
    }


def _write_staged(staged: Staged) -> dict[str, Any]:
    return {
        "months": staged.months,
        "threshold": _write_threshold(staged.threshold),
        "extension_months": staged.extension_months,
        "sources": list(staged.sources),
    }


def write_rules(rules: SchemeRules) -> dict[str, Any]:
    return {
        "initial": _opt(rules.initial, lambda ts: [_write_threshold(t) for t in ts]),
        "continuing": _opt(rules.continuing, lambda rs: [_write_requirement(r) for r in rs]),
        "validity": _opt(rules.validity, _write_validity),
        "staged": _opt(rules.staged, _write_staged),
        "conditions": [_write_condition(c) for c in rules.conditions],
        "note": _opt(rules.note, _write_text),
    }


# --- reading -------------------------------------------------------------------------------


def _fail(path: str, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


def _object(data: Any, path: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail(path, f"expected an object, got {type(data).__name__}")
    unknown = sorted(set(data) - required - optional)
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        raise _fail(path, f"unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
    missing = sorted(required - set(data))
    if missing:
        raise _fail(path, f"missing key(s) {', '.join(missing)}")
    return data


def _nullable(read: Callable[[Any, str], T]) -> Callable[[Any, str], T | None]:
    return lambda value, path: None if value is None else read(value, path)


def _list(read: Callable[[Any, str], T]) -> Callable[[Any, str], tuple[T, ...]]:
    def read_list(value: Any, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise _fail(path, f"expected a list, got {type(value).__name__}")
        return tuple(read(item, f"{path}[{i}]") for i, item in enumerate(value))

    return read_list


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"expected a non-empty string, got {value!r}")
    return value


def _hours(value: Any, path: str) -> Decimal:
    # Floats are refused: 0.1 h read as a float would not be 0.1 h.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(path, f'expected hours as a string such as "7.5", got {value!r}')
    try:
        hours = Decimal(value)
    except InvalidOperation:
        raise _fail(path, f"expected a number of hours, got {value!r}") from None
    if not hours.is_finite() or hours < 0:
        raise _fail(path, f"expected a number of hours of 0 or more, got {value!r}")
    return hours


def _positive_hours(value: Any, path: str) -> Decimal:
    hours = _hours(value, path)
    if hours == 0:
        raise _fail(path, "expected more than 0 hours")
    return hours


def _integer(minimum: int) -> Callable[[Any, str], int]:
    def read(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _fail(path, f"expected a whole number of at least {minimum}, got {value!r}")
        return value

    return read


def _date(value: Any, path: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(path, f"expected a date such as 2025-01-31, got {value!r}")


def _kind(value: Any, path: str) -> TrainingKind:
    try:
        return TrainingKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in TrainingKind)
        raise _fail(path, f"unknown kind {value!r} (allowed: {allowed})") from None


def _kind_list(value: Any, path: str) -> tuple[TrainingKind, ...]:
    kinds = _list(_kind)(value, path)
    if not kinds:
        raise _fail(path, "expected at least one kind")
    if len(set(kinds)) != len(kinds):
        raise _fail(path, "a kind is listed twice")
    return kinds


def _sources(value: Any, path: str) -> Sources:
    return _list(_string)(value, path)


def _read_text(data: Any, path: str) -> Text:
    fields = _object(data, path, {"fr", "en"}, set())
    return Text(fr=_string(fields["fr"], f"{path}.fr"), en=_string(fields["en"], f"{path}.en"))


def _read_condition(data: Any, path: str) -> Condition:
    fields = _object(data, path, {"text"}, {"sources"})
    return Condition(
        text=_read_text(fields["text"], f"{path}.text"),
        sources=_sources(fields.get("sources", []), f"{path}.sources"),
    )


def _read_credit(data: Any, path: str) -> Credit:
    fields = _object(data, path, {"kind"}, {"per_mediation", "cap"})
    optional_hours = _nullable(_positive_hours)
    credit = Credit(
        kind=_kind(fields["kind"], f"{path}.kind"),
        per_mediation=optional_hours(fields.get("per_mediation"), f"{path}.per_mediation"),
        cap=optional_hours(fields.get("cap"), f"{path}.cap"),
    )
    if credit.per_mediation is not None and credit.kind != TrainingKind.MEDIATIONS_CONDUCTED:
        raise _fail(f"{path}.per_mediation", "only mediations_conducted records count mediations")
    return credit


def _read_credits(value: Any, path: str, counted: tuple[TrainingKind, ...]) -> tuple[Credit, ...]:
    credits = _list(_read_credit)(value, path)
    kinds = [credit.kind for credit in credits]
    if len(set(kinds)) != len(kinds):
        raise _fail(path, "two credits for the same kind")
    # A kind both counted and credited would be counted twice.
    twice = sorted(k.value for k in set(kinds) & set(counted))
    if twice:
        raise _fail(path, f"{', '.join(twice)} already counts in full: it cannot be a credit")
    return credits


def _read_minimum(data: Any, path: str) -> Minimum:
    fields = _object(data, path, {"kind", "hours"}, set())
    return Minimum(
        kind=_kind(fields["kind"], f"{path}.kind"),
        hours=_positive_hours(fields["hours"], f"{path}.hours"),
    )


def _read_threshold(data: Any, path: str) -> Threshold:
    fields = _object(
        data,
        path,
        {"hours"},
        {"kinds", "minimums", "within_months", "credits", "conditions", "sources"},
    )
    kinds = _kind_list(fields.get("kinds", ["initial_training"]), f"{path}.kinds")
    minimums = _list(_read_minimum)(fields.get("minimums", []), f"{path}.minimums")
    if len({m.kind for m in minimums}) != len(minimums):
        raise _fail(f"{path}.minimums", "two minimums for the same kind")
    return Threshold(
        hours=_nullable(_hours)(fields["hours"], f"{path}.hours"),
        kinds=kinds,
        minimums=minimums,
        within_months=_nullable(_integer(1))(fields.get("within_months"), f"{path}.within_months"),
        credits=_read_credits(fields.get("credits", []), f"{path}.credits", kinds),
        conditions=_list(_read_condition)(fields.get("conditions", []), f"{path}.conditions"),
        sources=_sources(fields.get("sources", []), f"{path}.sources"),
    )


_PERIOD_KEYS = {
    "rolling": ({"months"}, {"count"}),
    "calendar_year": (set(), {"count"}),
    "anchored": ({"months"}, {"count"}),
    "fixed_cycle": ({"months", "start"}, {"grace_days", "count"}),
}


def _tag(data: Any, path: str) -> Any:
    """The `kind` that says which variant an object is."""
    if not isinstance(data, dict):
        raise _fail(path, f"expected an object, got {type(data).__name__}")
    return data.get("kind")


def _read_period(data: Any, path: str) -> Period:
    kind = _tag(data, path)
    if kind not in _PERIOD_KEYS:
        raise _fail(f"{path}.kind", f"expected one of {', '.join(_PERIOD_KEYS)}, got {kind!r}")
    required, optional = _PERIOD_KEYS[kind]
    fields = _object(data, path, required | {"kind"}, optional)
    count = _integer(1)(fields.get("count", 1), f"{path}.count")
    if kind == "calendar_year":
        return CalendarYear(count=count)
    months = _integer(1)(fields["months"], f"{path}.months")
    if kind == "rolling":
        return Rolling(months=months, count=count)
    if kind == "anchored":
        return Anchored(months=months, count=count)
    return FixedCycle(
        months=months,
        start=_date(fields["start"], f"{path}.start"),
        grace_days=_integer(0)(fields.get("grace_days", 0), f"{path}.grace_days"),
        count=count,
    )


def _read_requirement(data: Any, path: str) -> Requirement:
    fields = _object(data, path, {"hours", "kinds", "period"}, {"credits", "sources"})
    kinds = _nullable(_kind_list)(fields["kinds"], f"{path}.kinds")
    return Requirement(
        hours=_nullable(_positive_hours)(fields["hours"], f"{path}.hours"),
        kinds=kinds,
        period=_nullable(_read_period)(fields["period"], f"{path}.period"),
        credits=_read_credits(fields.get("credits", []), f"{path}.credits", kinds or ()),
        sources=_sources(fields.get("sources", []), f"{path}.sources"),
    )


def _read_validity(data: Any, path: str) -> Validity:
    kind = _tag(data, path)
    sources_path = f"{path}.sources"
    if kind == "permanent":
        fields = _object(data, path, {"kind"}, {"sources"})
        return Permanent(sources=_sources(fields.get("sources", []), sources_path))
    if kind == "expires_after":
        fields = _object(data, path, {"kind", "months"}, {"sources"})
        return ExpiresAfter(
            months=_integer(1)(fields["months"], f"{path}.months"),
            sources=_sources(fields.get("sources", []), sources_path),
        )
    if kind == "end_of_cycle":
        fields = _object(data, path, {"kind", "start", "months"}, {"sources"})
        return EndOfCycle(
            start=_date(fields["start"], f"{path}.start"),
            months=_integer(1)(fields["months"], f"{path}.months"),
            sources=_sources(fields.get("sources", []), sources_path),
        )
    expected = "permanent, expires_after, end_of_cycle"
    raise _fail(f"{path}.kind", f"expected one of {expected}, got {kind!r}")


def _read_staged(data: Any, path: str) -> Staged:
    fields = _object(data, path, {"months", "threshold"}, {"extension_months", "sources"})
    return Staged(
        months=_nullable(_integer(1))(fields["months"], f"{path}.months"),
        threshold=_read_threshold(fields["threshold"], f"{path}.threshold"),
        extension_months=_integer(0)(fields.get("extension_months", 0), f"{path}.extension_months"),
        sources=_sources(fields.get("sources", []), f"{path}.sources"),
    )


def read_rules(data: Any, path: str = "rules") -> SchemeRules:
    # The three rules that may be unknown must be written, even as null: a forgotten
    # key would otherwise read as "unknown" without anyone having decided so.
    fields = _object(
        data, path, {"initial", "continuing", "validity"}, {"staged", "conditions", "note"}
    )
    return SchemeRules(
        initial=_nullable(_list(_read_threshold))(fields["initial"], f"{path}.initial"),
        continuing=_nullable(_list(_read_requirement))(fields["continuing"], f"{path}.continuing"),
        validity=_nullable(_read_validity)(fields["validity"], f"{path}.validity"),
        staged=_nullable(_read_staged)(fields.get("staged"), f"{path}.staged"),
        conditions=_list(_read_condition)(fields.get("conditions", []), f"{path}.conditions"),
        note=_nullable(_read_text)(fields.get("note"), f"{path}.note"),
    )
