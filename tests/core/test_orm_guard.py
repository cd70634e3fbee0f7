"""Lock 2: the ORM guard filters every query on tenant-owned models by the scope."""

import pytest
from sqlalchemy import delete, func, select, update

from core.audit import SecurityEvent
from core.db import db
from core.tenancy import TenantScopeError, platform_scope, scoped, tenant_scope
from tenants.models import Membership, Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture
def two_centers(app):
    a, b = TenantFactory(), TenantFactory()
    MembershipFactory.create_batch(2, tenant=a)
    MembershipFactory.create_batch(3, tenant=b)
    return a, b


def test_queries_without_a_scope_raise(two_centers):
    with pytest.raises(TenantScopeError):
        db.session.scalars(select(Membership)).all()
    db.session.rollback()
    with pytest.raises(TenantScopeError):
        db.session.execute(update(Membership).values(role=Role.VIEWER))


def test_each_scope_sees_only_its_rows_even_from_a_cached_statement(two_centers):
    a, b = two_centers
    for center, expected in ((a, 2), (b, 3), (a, 2)):
        with tenant_scope(center.id):
            rows = db.session.scalars(select(Membership)).all()
            assert len(rows) == expected
            assert {m.tenant_id for m in rows} == {center.id}
            assert db.session.scalar(select(func.count()).select_from(Membership)) == expected


def test_get_by_primary_key_of_another_tenant_finds_nothing(two_centers):
    a, b = two_centers
    with tenant_scope(b.id):
        b_member = db.session.scalars(select(Membership)).first()
    db.session.expunge_all()
    with tenant_scope(a.id):
        assert db.session.get(Membership, b_member.id) is None


def test_an_object_already_in_the_session_is_not_served_to_another_scope(two_centers):
    # get() answers from the identity map without SQL: the guard must hold there too.
    a, b = two_centers
    with tenant_scope(b.id):
        b_member = db.session.scalars(select(Membership)).first()
        assert db.session.get(Membership, b_member.id) is b_member
    with tenant_scope(a.id):
        assert db.session.get(Membership, b_member.id) is None
    with pytest.raises(TenantScopeError):
        db.session.get(Membership, b_member.id)
    with platform_scope("test: staff view"):
        assert db.session.get(Membership, b_member.id) is b_member


def test_bulk_update_and_delete_touch_only_the_scope(two_centers):
    a, b = two_centers
    with tenant_scope(a.id):
        db.session.execute(update(Membership).values(role=Role.VIEWER))
        db.session.execute(delete(Membership).where(Membership.role == Role.VIEWER))
        db.session.commit()
    with tenant_scope(b.id):
        roles = db.session.scalars(select(Membership.role)).all()
    assert roles == [Role.CASE_MANAGER] * 3


def test_inserts_are_filled_with_the_scope_and_refused_for_another(two_centers):
    a, b = two_centers
    user = UserFactory()
    with tenant_scope(a.id):
        membership = Membership(user_id=user.id, role=Role.VIEWER)
        db.session.add(membership)
        db.session.flush()
        assert membership.tenant_id == a.id
        db.session.add(Membership(user_id=UserFactory.build().id, role=Role.VIEWER, tenant_id=b.id))
        with pytest.raises(TenantScopeError):
            db.session.flush()
    db.session.rollback()


def test_a_user_outside_any_center_reads_only_their_own_memberships(two_centers):
    a, b = two_centers
    person = UserFactory()
    MembershipFactory(tenant=a, user=person)
    MembershipFactory(tenant=b, user=person)
    with scoped(user_id=person.id):
        rows = db.session.scalars(select(Membership)).all()
    assert {m.tenant_id for m in rows} == {a.id, b.id}
    assert {m.user_id for m in rows} == {person.id}


def test_platform_scope_needs_a_reason_and_is_audited(two_centers):
    with pytest.raises(ValueError), platform_scope(" "):
        pass
    with platform_scope("nightly consistency check"):
        assert len(db.session.scalars(select(Membership)).all()) == 5
    db.session.commit()
    events = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.action == "platform_scope")
    ).all()
    reasons = [e.details["reason"] for e in events]
    assert reasons.count("nightly consistency check") == 1
    # The rest are the marketplace's listing refreshes that seeding the centers queued.
    others = {r for r in reasons if r != "nightly consistency check"}
    assert others <= {"marketplace: refresh the public listing of changed records"}
