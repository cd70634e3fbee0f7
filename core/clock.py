"""An injectable clock: production reads the system time, tests move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; used by tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def now() -> datetime:
    if has_app_context():
        clock = current_app.extensions.get("clock")
        if clock is not None:
            return clock.now()
    return datetime.now(UTC)
