"""Affiliations are tenant-owned: a center's rate and internal notes for a mediator stay
inside that center, through the ORM guard (lock 2) and PostgreSQL's row-level security
(lock 3), even when the same mediator works with both centers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from core.credentials.models import MediatorProfile
from core.db import db
from core.tenancy import TenantScopeError, platform_scope, tenant_scope
from tenants.models import Affiliation, AffiliationStatus
from tests.conftest import missing_service
from tests.factories import AffiliationFactory, MediatorProfileFactory, TenantFactory

APP_ROLE = "mediation_hub_app"


@dataclass
class Two:
    a: Any
    b: Any
    shared: MediatorProfile  # affiliated with both centers
    b_only: MediatorProfile
    a_row: Affiliation
    b_rows: list[Affiliation]


@pytest.fixture
def two(app) -> Two:
    a, b = TenantFactory(), TenantFactory()
    shared, b_only = MediatorProfileFactory(), MediatorProfileFactory(unclaimed=True)
    a_row = AffiliationFactory(tenant=a, profile=shared, rate_eur=140, internal_notes="A's note")
    b_rows = [
        AffiliationFactory(tenant=b, profile=shared, rate_eur=190, internal_notes="B's note"),
        AffiliationFactory(tenant=b, profile=b_only, internal_notes="B's other note"),
    ]
    db.session.expunge_all()
    return Two(a, b, shared, b_only, a_row, b_rows)


def test_a_center_sees_only_its_own_affiliations(two):
    with tenant_scope(two.a.id):
        rows = db.session.scalars(select(Affiliation)).all()
        notes = db.session.scalars(select(Affiliation.internal_notes)).all()
    assert [r.id for r in rows] == [two.a_row.id]
    assert notes == ["A's note"]
    with tenant_scope(two.b.id):
        assert db.session.scalar(select(func.count()).select_from(Affiliation)) == 2


def test_a_query_from_the_global_profiles_reaches_only_the_scope_s_affiliations(two):
    # The profile is global and shared; the join to the tenant-owned table is filtered.
    with tenant_scope(two.a.id):
        rates = db.session.execute(
            select(MediatorProfile.id, Affiliation.rate_eur).join(
                Affiliation, Affiliation.profile_id == MediatorProfile.id
            )
        ).all()
    assert [(pid, int(rate)) for pid, rate in rates] == [(two.shared.id, 140)]


def test_get_of_another_center_s_affiliation_finds_nothing(two):
    with tenant_scope(two.a.id):
        assert db.session.get(Affiliation, two.b_rows[0].id) is None
    # Not even once it sits in the session's identity map.
    with platform_scope("test: load B's affiliation"):
        loaded = db.session.get(Affiliation, two.b_rows[0].id)
        assert loaded is not None
    with tenant_scope(two.a.id):
        assert db.session.get(Affiliation, two.b_rows[0].id) is None


def test_without_a_scope_affiliations_cannot_be_read(two):
    with pytest.raises(TenantScopeError):
        db.session.scalars(select(Affiliation)).all()


def test_an_affiliation_for_another_center_is_refused(two):
    with tenant_scope(two.a.id):
        db.session.add(Affiliation(tenant_id=two.b.id, profile_id=two.b_only.id))
        with pytest.raises(TenantScopeError):
            db.session.flush()
    db.session.rollback()
    with tenant_scope(two.a.id):
        made = Affiliation(profile_id=two.b_only.id)
        db.session.add(made)
        db.session.commit()
        assert made.tenant_id == two.a.id
        assert made.status == AffiliationStatus.INVITED and made.published is False


def test_another_center_s_affiliation_cannot_be_changed(two):
    with platform_scope("test: load B's affiliation"):
        b_row = db.session.get(Affiliation, two.b_rows[0].id)
    with tenant_scope(two.a.id):
        b_row.internal_notes = "overwritten by A"
        with pytest.raises(TenantScopeError):
            db.session.flush()
    db.session.rollback()
    with tenant_scope(two.a.id):
        db.session.execute(update(Affiliation).values(internal_notes="bulk by A"))
        db.session.commit()
    with tenant_scope(two.b.id):
        notes = set(db.session.scalars(select(Affiliation.internal_notes)))
    assert notes == {"B's note", "B's other note"}


# --- lock 3: PostgreSQL row-level security, whatever the SQL ----------------------------


@pytest.fixture
def pg(owner_engine):
    if owner_engine.dialect.name != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL) for row-level security checks")
    return owner_engine


def _as_app_role(conn, tenant_id) -> None:
    conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    conn.execute(
        text("SELECT set_config('app.tenant_id', :t, true)"),
        {"t": str(tenant_id) if tenant_id else ""},
    )


def test_raw_sql_as_center_a_sees_none_of_b_s_affiliations(two, pg):
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, two.a.id)
        rows = conn.execute(text("SELECT id, tenant_id, internal_notes FROM affiliations")).all()
        assert [(r.id, r.tenant_id, r.internal_notes) for r in rows] == [
            (two.a_row.id, two.a.id, "A's note")
        ]
        by_id = conn.execute(
            text("SELECT count(*) FROM affiliations WHERE id = :b"), {"b": two.b_rows[0].id}
        ).scalar()
        assert by_id == 0
        changed = conn.execute(
            text("UPDATE affiliations SET internal_notes = 'x' WHERE tenant_id = :b"),
            {"b": two.b.id},
        )
        assert changed.rowcount == 0
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, None)
        assert conn.execute(text("SELECT count(*) FROM affiliations")).scalar() == 0
    with pg.connect() as conn:
        notes = conn.execute(
            text("SELECT internal_notes FROM affiliations WHERE tenant_id = :b"), {"b": two.b.id}
        ).scalars()
        assert set(notes) == {"B's note", "B's other note"}


def test_raw_sql_insert_for_center_b_is_refused_by_row_level_security(two, pg):
    stranger = MediatorProfileFactory(unclaimed=True)
    with pg.connect() as conn, conn.begin():
        _as_app_role(conn, two.a.id)
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    "INSERT INTO affiliations (id, tenant_id, profile_id, status, published, "
                    "created_at, updated_at) VALUES (:id, :b, :p, 'active', false, now(), now())"
                ),
                {"id": uuid.uuid4(), "b": two.b.id, "p": stranger.id},
            )
    with pg.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM affiliations WHERE profile_id = :p"), {"p": stranger.id}
        ).scalar()
    assert count == 0
