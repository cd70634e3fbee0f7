"""Scheme rules: every seeded scheme survives the JSON column, and bad JSON is refused."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal

import pytest

from core.credentials.catalogue import CATALOGUE, by_code
from core.credentials.models import TrainingKind
from core.credentials.rules import (
    CalendarYear,
    Credit,
    EndOfCycle,
    FixedCycle,
    Requirement,
    Rolling,
    SchemeRules,
)

CODES = [seed.code for seed in CATALOGUE]


def stored(rules: SchemeRules) -> dict:
    """What comes back from a JSON column."""
    return json.loads(json.dumps(rules.to_dict()))


@pytest.mark.parametrize("code", CODES)
def test_every_seeded_scheme_round_trips_through_json(code):
    rules = by_code(code).rules
    assert SchemeRules.from_dict(stored(rules)) == rules
    assert stored(SchemeRules.from_dict(stored(rules))) == stored(rules)


def test_the_catalogue_holds_every_scheme_of_the_published_rules():
    # 15 rows (CEDR split into the title and its panel) and the two UK extras.
    assert len(CODES) == len(set(CODES)) == 18
    for code in ("fr-demf", "fr-cour-appel", "fr-ffcm", "be-cfm", "de-zertifiziert", "qc-coamf"):
        assert code in CODES
    for seed in CATALOGUE:
        assert seed.sources, seed.code
        row = seed.row()
        assert len(row["country"]) <= 8 and len(row["code"]) <= 40
        assert row["sources"] == [{"url": s} for s in seed.sources]


@pytest.mark.parametrize("code", CODES)
def test_every_known_rule_keeps_its_source(code):
    rules = by_code(code).rules
    parts = [*(rules.initial or ()), *(rules.continuing or ()), *rules.conditions]
    parts += [rules.validity] if rules.validity else []
    parts += [rules.staged, rules.staged.threshold] if rules.staged else []
    for part in parts:
        assert part.sources, (code, part)


def test_unconfirmed_rules_are_seeded_unknown_not_empty():
    demf = by_code("fr-demf").rules
    assert demf.continuing is None and demf.validity is None
    cnm = by_code("fr-cnm").rules
    assert (cnm.initial, cnm.continuing, cnm.validity) == (None, None, None)
    assert by_code("uk-cedr").rules.continuing is None
    assert by_code("fr-anm").rules.validity is None
    assert by_code("qc-coamf").rules.continuing is None
    (cmap,) = by_code("fr-cmap").rules.continuing
    assert not cmap.known and cmap.hours is None
    # "No minimum CPD hours" is known: nothing required, which is not unknown.
    assert by_code("int-imi").rules.continuing == ()


def test_the_published_rules_are_encoded_as_published():
    ffcm = by_code("fr-ffcm").rules
    assert [r.hours for r in ffcm.continuing] == [Decimal(10), Decimal(10)]
    assert all(r.period == CalendarYear() for r in ffcm.continuing)
    assert ffcm.initial[0].credits == (
        Credit(TrainingKind.MEDIATIONS_CONDUCTED, per_mediation=Decimal(5), cap=Decimal(20)),
        Credit(TrainingKind.TEACHING, cap=Decimal(20)),
    )
    (be,) = by_code("be-cfm").rules.continuing
    assert be.hours == 18 and be.period == FixedCycle(24, date(2025, 1, 1), grace_days=31)
    assert by_code("fr-cour-appel").rules.validity == EndOfCycle(
        date(2024, 1, 1), 36, sources=by_code("fr-cour-appel").rules.validity.sources
    )
    (anm,) = by_code("fr-anm").rules.continuing
    assert anm.period == Rolling(12, count=2)
    staged = by_code("qc-coamf").rules.staged
    assert (staged.months, staged.extension_months, staged.threshold.hours) == (24, 24, 45)


def test_unknown_and_none_required_stay_distinct_in_json():
    rules = SchemeRules(initial=(), continuing=None, validity=None)
    data = stored(rules)
    assert data["initial"] == [] and data["continuing"] is None
    assert SchemeRules.from_dict(data) == rules


def test_hours_keep_their_exact_decimal_value():
    rules = SchemeRules(
        initial=(),
        continuing=(Requirement(Decimal("7.35"), (TrainingKind.SUPERVISION,), Rolling(12)),),
        validity=None,
    )
    data = stored(rules)
    assert data["continuing"][0]["hours"] == "7.35"
    assert SchemeRules.from_dict(data).continuing[0].hours == Decimal("7.35")


def test_optional_keys_take_their_defaults():
    data = {
        "initial": [{"hours": "60"}],
        "continuing": [
            {"hours": 6, "kinds": ["continuing_education"], "period": {"kind": "calendar_year"}}
        ],
        "validity": {"kind": "permanent"},
    }
    rules = SchemeRules.from_dict(data)
    assert rules.initial[0].kinds == (TrainingKind.INITIAL_TRAINING,)
    assert rules.continuing[0].period == CalendarYear(count=1)
    assert rules.staged is None and rules.conditions == ()


def _valid() -> dict:
    return stored(by_code("fr-ffcm").rules) | {
        "staged": stored(by_code("qc-coamf").rules)["staged"]
    }


def _set(path: str, value):
    """A mutation of the valid dict: `path` is dotted, with list indexes."""

    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        for key in parents:
            data = data[int(key)] if isinstance(data, list) else data[key]
        if value is _DELETE:
            del data[last]
        elif isinstance(data, list):
            data[int(last)] = value
        else:
            data[last] = value

    return mutate


_DELETE = object()

INVALID = [
    ("top-level unknown key", _set("colour", "blue"), "rules: unknown key(s) colour"),
    ("missing unknown-able rule", _set("validity", _DELETE), "rules: missing key(s) validity"),
    (
        "not an object",
        lambda d: d.clear() or d.update(initial=[], continuing=[], validity=[]),
        "rules.validity: expected an object",
    ),
    ("nested unknown key", _set("continuing.0.per_year", True), "rules.continuing[0]: unknown"),
    ("float hours", _set("continuing.0.hours", 10.5), "rules.continuing[0].hours: expected hours"),
    ("negative hours", _set("initial.0.hours", "-1"), "rules.initial[0].hours"),
    ("not a number", _set("initial.0.hours", "ten"), "rules.initial[0].hours"),
    ("infinite", _set("initial.0.hours", "Infinity"), "rules.initial[0].hours"),
    ("zero hours a period", _set("continuing.1.hours", "0"), "rules.continuing[1].hours"),
    ("unknown kind", _set("continuing.1.kinds", ["yoga"]), "unknown kind 'yoga'"),
    ("empty kinds", _set("continuing.1.kinds", []), "rules.continuing[1].kinds"),
    ("kind twice", _set("continuing.1.kinds", ["supervision", "supervision"]), "twice"),
    ("kinds not a list", _set("continuing.1.kinds", "supervision"), "expected a list"),
    ("unknown period", _set("continuing.0.period", {"kind": "lunar"}), "period.kind"),
    ("zero months", _set("continuing.0.period", {"kind": "rolling", "months": 0}), "months"),
    (
        "bool count",
        _set("continuing.0.period", {"kind": "calendar_year", "count": True}),
        "period.count",
    ),
    (
        "bad date",
        _set("continuing.0.period", {"kind": "fixed_cycle", "months": 24, "start": "31/01/2025"}),
        "start",
    ),
    (
        "period key of another kind",
        _set("continuing.0.period", {"kind": "calendar_year", "months": 12}),
        "unknown key",
    ),
    (
        "per-mediation credit on teaching",
        _set("initial.0.credits.1", {"kind": "teaching", "per_mediation": "5"}),
        "per_mediation",
    ),
    (
        "credited kind also counted",
        _set("initial.0.credits.1", {"kind": "initial_training", "cap": "20"}),
        "counts in full",
    ),
    ("bad validity", _set("validity", {"kind": "forever"}), "rules.validity.kind"),
    ("validity months missing", _set("validity", {"kind": "expires_after"}), "missing key"),
    ("text without English", _set("initial.0.conditions.0.text", {"fr": "x"}), "missing key(s) en"),
    ("empty source", _set("initial.0.sources", [""]), "rules.initial[0].sources[0]"),
    ("stage months as text", _set("staged.months", "24"), "rules.staged.months"),
    ("negative extension", _set("staged.extension_months", -1), "extension_months"),
    (
        "minimum twice",
        _set("initial.0.minimums", [{"kind": "teaching", "hours": "1"}] * 2),
        "two minimums",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_rules_are_refused_with_the_faulty_field(mutate, message):
    data = copy.deepcopy(_valid())
    SchemeRules.from_dict(data)  # valid before the mutation
    mutate(data)
    with pytest.raises(ValueError) as refused:
        SchemeRules.from_dict(data)
    assert message in str(refused.value)


@pytest.mark.parametrize("data", [None, [], "rules", 3])
def test_rules_must_be_an_object(data):
    with pytest.raises(ValueError, match="rules: expected an object"):
        SchemeRules.from_dict(data)
