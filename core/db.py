"""Persistence: declarative base, engine and one session per app context.

The session is a `scoped_session` keyed on the current Flask app context, so each
request, CLI command and job gets its own session, removed at teardown.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, scoped_session
from sqlalchemy.types import TypeDecorator, Uuid

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column storing the members' string values (no native type)."""
    return Enum(
        cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def _app_context_id() -> int:
    from flask import globals as flask_globals

    ctx = flask_globals._cv_app.get(None)
    return id(ctx)


class Database:
    """Flask extension owning the engine and the scoped session."""

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            self._new_session, scopefunc=_app_context_id
        )
        self._engines: dict[int, Engine] = {}

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 30}
        elif "psycopg" in url or url.startswith(("postgresql://", "postgres://")):
            # psycopg prepares a statement after 5 runs (PostgreSQL then parses it once
            # per connection), but PostgreSQL would then move to a generic plan, which
            # for the ranked full-text queries with array filters was measured 2.5x
            # slower than the custom plans made for each set of values: keep those.
            options["connect_args"] = {"options": "-c plan_cache_mode=force_custom_plan"}
        engine = create_engine(url, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            from core.tenancy import install_postgres_guard

            install_postgres_guard(engine, app.config)
        self._engines[id(app)] = engine
        app.extensions["db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @property
    def engine(self) -> Engine:
        return self.engine_for(current_app._get_current_object())

    def engine_for(self, app: Flask) -> Engine:
        return self._engines[id(app)]

    def dispose(self, app: Flask) -> None:
        """Close the app's pooled connections and forget its engine (tests, shutdown)."""
        engine = self._engines.pop(id(app), None)
        if engine is not None:
            engine.dispose()

    def _new_session(self) -> Session:
        from core.tenancy import GuardedSession  # tenancy reads the models defined on Base

        return GuardedSession(bind=self.engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


db = Database()


def utcnow() -> datetime:
    """The current time from the app's injectable clock (see core.clock)."""
    from core.clock import now

    return now()
