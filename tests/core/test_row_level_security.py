"""Lock 3: PostgreSQL row-level security binds the application role, whatever the SQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import db
from tests.conftest import missing_service
from tests.world import digest_rows, seed_center, tenant_models

APP_ROLE = "mediation_hub_app"


@pytest.fixture
def pg(owner_engine):
    if owner_engine.dialect.name != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL) for row-level security checks")
    return owner_engine


@pytest.fixture
def centers(app, pg):
    return seed_center("centre-a"), seed_center("centre-b")


def _as_app_role(conn, tenant_id=None):
    conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    conn.execute(
        text("SELECT set_config('app.tenant_id', :t, true)"),
        {"t": str(tenant_id) if tenant_id else ""},
    )


def test_the_application_role_is_unprivileged(pg):
    with pg.connect() as conn:
        row = conn.execute(
            text("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :r"),
            {"r": APP_ROLE},
        ).one()
        owned = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": APP_ROLE}
        ).scalar()
    assert tuple(row) == (False, False, False)
    assert owned == 0


def test_every_tenant_owned_table_has_forced_rls_covering_all_commands(pg, app):
    tables = [m.__table__.name for m in tenant_models()] + ["tenants"]
    with pg.connect() as conn:
        for table in tables:
            enabled, forced = conn.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :t"),
                {"t": table},
            ).one()
            assert enabled and forced, table
            commands = set(
                conn.execute(
                    text("SELECT cmd FROM pg_policies WHERE tablename = :t"), {"t": table}
                ).scalars()
            )
            assert commands == {"ALL"} or commands >= {"SELECT", "INSERT", "UPDATE", "DELETE"}, (
                table,
                commands,
            )


def test_the_app_runs_its_transactions_as_the_application_role(app, pg):
    assert db.session.execute(text("SELECT current_user")).scalar() == APP_ROLE


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__table__.name)
def test_raw_sql_as_tenant_a_cannot_see_change_or_create_rows_of_b(model, centers, pg):
    a, b = centers
    table = model.__table__.name
    before = digest_rows(pg, b.tenant.id)
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, a.tenant.id)
        seen = conn.execute(text(f"SELECT tenant_id FROM {table}")).scalars().all()
        assert seen and set(seen) == {a.tenant.id}
        updated = conn.execute(
            text(f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = :b"),
            {"b": b.tenant.id},
        )
        assert updated.rowcount == 0
        deleted = conn.execute(
            text(f"DELETE FROM {table} WHERE tenant_id = :b"), {"b": b.tenant.id}
        )
        assert deleted.rowcount == 0
    # Moving A's own row to B, or inserting a row for B, is refused by WITH CHECK
    # (checked before any unique index, so copying a row of A verbatim is enough).
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, a.tenant.id)
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(f"UPDATE {table} SET tenant_id = :b WHERE tenant_id = :a"),
                {"a": a.tenant.id, "b": b.tenant.id},
            )
    columns = [c.name for c in model.__table__.columns]
    copied = ", ".join({"tenant_id": ":b", "id": ":new_id"}.get(c, c) for c in columns)
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, a.tenant.id)
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {copied} FROM {table} WHERE tenant_id = :a LIMIT 1"
                ),
                {"a": a.tenant.id, "b": b.tenant.id, "new_id": uuid.uuid4()},
            )
    assert digest_rows(pg, b.tenant.id) == before


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__table__.name)
def test_raw_sql_without_a_tenant_sees_nothing(model, centers, pg):
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, None)
        assert conn.execute(text(f"SELECT count(*) FROM {model.__table__.name}")).scalar() == 0


def test_a_center_row_can_be_changed_only_in_its_own_scope(centers, pg):
    a, b = centers
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, a.tenant.id)
        assert conn.execute(text("SELECT count(*) FROM tenants")).scalar() == 2
        changed = conn.execute(
            text("UPDATE tenants SET legal_name = 'x' WHERE id = :b"), {"b": b.tenant.id}
        )
        assert changed.rowcount == 0
        assert (
            conn.execute(text("DELETE FROM tenants WHERE id = :b"), {"b": b.tenant.id}).rowcount
            == 0
        )
