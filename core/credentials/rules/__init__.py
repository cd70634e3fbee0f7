"""The rules of a certification scheme, as data that platform staff can edit.

A scheme's rules live in the JSON column `CertificationScheme.rules`; `SchemeRules`
reads and writes that JSON. Reading validates every key and type, because staff edit
the JSON by hand and a typo must be refused with a message naming the field, never
turn silently into "no requirement".

Unknown is not none. `None` means that no source states the rule: the compliance
engine then answers "unknown rule" instead of guessing. An empty list or 0 h means
that the scheme requires nothing. Optional limits (a time limit, a credit's cap) use
`None` for "no such limit"; a limit whose existence is itself unconfirmed is written as
a condition checked by hand. Hours are decimal strings in JSON ("7.5"), never floats.
Each rule keeps the sources it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.credentials.models import TrainingKind

Sources = tuple[str, ...]


# --- building blocks -------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A sentence in both languages of the product."""

    fr: str
    en: str

    def get(self, language: str) -> str:
        return self.fr if language == "fr" else self.en


@dataclass(frozen=True)
class Condition:
    """A condition the platform cannot check from records (insurance, an exam...):
    shown to whoever verifies the file, with its wording and source."""

    text: Text
    sources: Sources = ()


@dataclass(frozen=True)
class Credit:
    """Hours granted for records of another kind, e.g. 5 h per mediation conducted.

    `per_mediation` counts the mediations of `mediations_conducted` records; without it
    the records' own hours count (teaching hours). `cap` is the most the credit gives.
    """

    kind: TrainingKind
    per_mediation: Decimal | None = None
    cap: Decimal | None = None


@dataclass(frozen=True)
class Minimum:
    """Hours of one kind that must be part of a threshold's total."""

    kind: TrainingKind
    hours: Decimal


@dataclass(frozen=True)
class Threshold:
    """Hours to reach at once: an initial-training route, or a provisional stage's target.

    `hours` counts records of `kinds` plus `credits`; `minimums` are sub-totals per kind;
    `within_months` only counts records of the last months (e.g. taken within 5 years
    before applying); `conditions` are the parts checked by hand (experience, an exam).
    """

    hours: Decimal | None
    kinds: tuple[TrainingKind, ...] = (TrainingKind.INITIAL_TRAINING,)
    minimums: tuple[Minimum, ...] = ()
    within_months: int | None = None
    credits: tuple[Credit, ...] = ()
    conditions: tuple[Condition, ...] = ()
    sources: Sources = ()


# --- periods of continuing education ----------------------------------------------------


@dataclass(frozen=True)
class Rolling:
    """The `months` months before the assessment date; with `count` > 1, each of the
    last `count` such windows ("20 h in each of the last 2 years")."""

    months: int
    count: int = 1


@dataclass(frozen=True)
class CalendarYear:
    """Each calendar year; the last `count` ended years are checked, the current one is
    due by 31 December."""

    count: int = 1


@dataclass(frozen=True)
class Anchored:
    """Periods of `months` months counted from the certification's issue date."""

    months: int
    count: int = 1


@dataclass(frozen=True)
class FixedCycle:
    """Cycles of `months` months from a fixed `start`, the same for every holder; proof
    is accepted until `grace_days` after a cycle ends (Belgium: 31 January)."""

    months: int
    start: date
    grace_days: int = 0
    count: int = 1


Period = Rolling | CalendarYear | Anchored | FixedCycle


@dataclass(frozen=True)
class Requirement:
    """Continuing education: at least `hours` of `kinds` (plus credits) per period."""

    hours: Decimal | None
    kinds: tuple[TrainingKind, ...] | None
    period: Period | None
    credits: tuple[Credit, ...] = ()
    sources: Sources = ()

    @property
    def known(self) -> bool:
        return None not in (self.hours, self.kinds, self.period)


# --- validity and stages -----------------------------------------------------------------


@dataclass(frozen=True)
class Permanent:
    """No expiry date (the title may still depend on continuing education)."""

    sources: Sources = ()


@dataclass(frozen=True)
class ExpiresAfter:
    """Expires `months` months after issue (annual renewals: 12)."""

    months: int
    sources: Sources = ()


@dataclass(frozen=True)
class EndOfCycle:
    """Expires with the cycle it was issued in: cycles of `months` from `start`
    (a cour d'appel's list: every registration ends with the list, 3 years on)."""

    start: date
    months: int
    sources: Sources = ()


Validity = Permanent | ExpiresAfter | EndOfCycle


@dataclass(frozen=True)
class Staged:
    """Provisional accreditation, definitive once `threshold` (and its hand-checked
    conditions) is met within `months` of issue; staff may extend by up to
    `extension_months`."""

    months: int | None
    threshold: Threshold
    extension_months: int = 0
    sources: Sources = ()


@dataclass(frozen=True)
class SchemeRules:
    """Everything a scheme requires. `initial` lists alternative routes (any one will
    do); `staged` is None for schemes with a single stage."""

    initial: tuple[Threshold, ...] | None
    continuing: tuple[Requirement, ...] | None
    validity: Validity | None
    staged: Staged | None = None
    conditions: tuple[Condition, ...] = ()
    note: Text | None = None

    # The codec imports this module, hence the imports inside the two methods.
    def to_dict(self) -> dict[str, Any]:
        """The JSON-compatible form stored in `CertificationScheme.rules`."""
        from core.credentials.rules.codec import write_rules

        return write_rules(self)

    @classmethod
    def from_dict(cls, data: Any) -> SchemeRules:
        """Read and validate; raises ValueError naming the faulty field."""
        from core.credentials.rules.codec import read_rules

        return read_rules(data)
