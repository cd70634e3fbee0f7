"""The weekly digest to a center's owners and admins: only that center's mediators,
only what needs following up, never the center's internal notes; sent once a week
per recipient, with a one-click unsubscribe."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from core import jobs
from core.credentials.models import VerificationStatus
from core.credentials.reminders import service, unsubscribe
from core.credentials.reminders.models import ReminderKind
from core.db import db
from core.tenancy import TenantScopeError, platform_scope, tenant_scope
from tenants import digest
from tenants.digest_models import CenterDigest
from tenants.models import AffiliationStatus, Role
from tests.conftest import missing_service
from tests.core.credentials.reminder_helpers import certification
from tests.factories import (
    AffiliationFactory,
    CenterDigestFactory,
    MediatorProfileFactory,
    MembershipFactory,
    ReminderOptOutFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.tenants.helpers import make_center

APP_ROLE = "mediation_hub_app"


def run_weekly(app) -> None:
    """The weekly run, and the per-center jobs it enqueues (a real worker on Redis)."""
    digest.send_center_digests()
    if not app.config["JOBS_INLINE"]:
        jobs.run_pending(app)


def body_of(mailbox, message) -> str:
    return mailbox.body(message)


@pytest.fixture
def world(app):
    on = service.today()
    a, b = make_center(legal_name="Centre Alpha"), make_center(legal_name="Centre Beta")
    shared = MediatorProfileFactory(display_name="Alice Partagée")
    a_only = MediatorProfileFactory(display_name="Bruno Alpha")
    b_only = MediatorProfileFactory(display_name="Chloé Beta", user=None)
    gone = MediatorProfileFactory(display_name="Denis Parti")
    fine = MediatorProfileFactory(display_name="Eva Conforme")
    for center, profile, note in (
        (a, shared, "NOTE-ALPHA-SHARED"),
        (b, shared, "NOTE-BETA-SHARED"),
        (a, a_only, "NOTE-ALPHA-ONLY"),
        (b, b_only, "NOTE-BETA-ONLY"),
        (a, fine, "NOTE-ALPHA-FINE"),
    ):
        AffiliationFactory(tenant=center.tenant, profile=profile, internal_notes=note)
    AffiliationFactory(
        tenant=a.tenant, profile=gone, status=AffiliationStatus.ENDED, internal_notes="NOTE-GONE"
    )
    certification(on, 20, profile=shared)  # expires soon
    certification(on, 400, profile=a_only, verification_status=VerificationStatus.PENDING)
    certification(on, -10, profile=b_only)  # expired
    certification(on, -10, profile=gone)  # expired, but the affiliation has ended
    certification(on, 400, profile=fine)  # in good standing
    TrainingRecordFactory(profile=a_only)  # pending verification
    TrainingRecordFactory.create_batch(2, profile=b_only)
    TrainingRecordFactory(profile=gone)
    mediator = MembershipFactory(tenant=a.tenant, role=Role.MEDIATOR, user=shared.user).user
    return a, b, mediator


def test_each_center_s_managers_get_their_own_center_s_digest_once(app, mailbox, world):
    a, b, mediator = world
    run_weekly(app)
    run_weekly(app)  # same week: nothing more

    to = Counter(m["To"] for m in mailbox.messages)
    managers = [a.owner, a.admin, b.owner, b.admin]
    assert sorted(to) == sorted(u.email for u in managers)
    assert set(to.values()) == {1}
    assert not mailbox.to(a.case_manager.email) and not mailbox.to(mediator.email)

    alpha = body_of(mailbox, mailbox.last_to(a.admin.email))
    assert "Alice Partagée" in alpha and "Bruno Alpha" in alpha
    assert "expires soon" in alpha and "awaiting verification" in alpha
    assert "1 training record awaits verification by the center." in alpha
    # Full names: the recipients' own random names may contain a first name.
    for absent in ("Chloé Beta", "Denis Parti", "Eva Conforme"):
        assert absent not in alpha

    beta = body_of(mailbox, mailbox.last_to(b.owner.email))
    assert "Alice Partagée" in beta and "Chloé Beta" in beta and "expired" in beta
    assert "2 training records await verification by the center." in beta
    assert "Bruno Alpha" not in beta and "Denis Parti" not in beta

    for message in mailbox.messages:
        assert "NOTE-" not in body_of(mailbox, message) and "NOTE-" not in message.as_string()
        assert "150.00" not in body_of(mailbox, message)  # the centers' rates
        token = message["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
        assert unsubscribe.read_token(token)[1] == ReminderKind.CENTER_DIGEST
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    for center in (a, b):
        with tenant_scope(center.tenant.id):
            rows = db.session.scalars(select(CenterDigest)).all()
        assert len(rows) == 2 and all(r.sent_at is not None for r in rows)


def test_a_manager_who_opted_out_gets_no_digest(app, mailbox, world):
    a, b, _mediator = world
    ReminderOptOutFactory(user=a.admin, kind=ReminderKind.CENTER_DIGEST)
    ReminderOptOutFactory(user=b.admin, kind=ReminderKind.EXPIRY_30)  # another kind
    run_weekly(app)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(
        [a.owner.email, b.owner.email, b.admin.email]
    )


def test_a_one_click_post_stops_the_digest(app, client, mailbox, world):
    a, _b, _mediator = world
    run_weekly(app)
    url = mailbox.last_to(a.owner.email)["List-Unsubscribe"].strip("<>")
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert unsubscribe.is_opted_out(a.owner.id, ReminderKind.CENTER_DIGEST)


def test_a_center_with_nothing_to_follow_up_gets_no_digest(app, mailbox):
    on = service.today()
    quiet = make_center()
    profile = MediatorProfileFactory()
    AffiliationFactory(tenant=quiet.tenant, profile=profile)
    certification(on, 400, profile=profile)
    run_weekly(app)
    assert mailbox.messages == []
    with tenant_scope(quiet.tenant.id):
        assert db.session.scalar(select(func.count()).select_from(CenterDigest)) == 0


def test_an_unsent_digest_of_a_past_week_is_withdrawn(app, mailbox, world):
    a, _b, _mediator = world
    stale = CenterDigestFactory(tenant=a.tenant, user_id=a.owner.id, week="2020-W01")
    run_weekly(app)
    assert len(mailbox.to(a.owner.email)) == 1  # this week's, not the stale one too
    db.session.expunge_all()
    with tenant_scope(a.tenant.id):
        assert db.session.get(CenterDigest, stale.id) is None


# --- the digest table is tenant-owned ------------------------------------------------------


@pytest.fixture
def two(app):
    a, b = TenantFactory(), TenantFactory()
    a_rows = CenterDigestFactory.create_batch(2, tenant=a)
    b_rows = CenterDigestFactory.create_batch(2, tenant=b)
    db.session.expunge_all()
    return a, b, a_rows, b_rows


def test_a_center_sees_and_changes_only_its_own_digests(two):
    a, b, a_rows, b_rows = two
    with tenant_scope(a.id):
        assert {r.id for r in db.session.scalars(select(CenterDigest))} == {r.id for r in a_rows}
        assert db.session.get(CenterDigest, b_rows[0].id) is None
        db.session.execute(update(CenterDigest).values(week="1999-W01"))
        db.session.commit()
    with tenant_scope(b.id):
        assert {r.week for r in db.session.scalars(select(CenterDigest))} == {"2025-W07"}
    with pytest.raises(TenantScopeError):
        db.session.scalars(select(CenterDigest)).all()


def test_a_digest_for_another_center_is_refused(two):
    a, b, _a_rows, _b_rows = two
    with tenant_scope(a.id):
        db.session.add(CenterDigest(tenant_id=b.id, user_id=UserFactory().id, week="2025-W08"))
        with pytest.raises(TenantScopeError):
            db.session.flush()
    db.session.rollback()
    with platform_scope("test: count every center's digests"):
        assert db.session.scalar(select(func.count()).select_from(CenterDigest)) == 4


def test_raw_sql_as_one_center_sees_none_of_another_s_digests(two, owner_engine):
    if owner_engine.dialect.name != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL) for row-level security checks")
    a, b, a_rows, _b_rows = two
    stranger = UserFactory()
    with owner_engine.connect() as conn, conn.begin():
        conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a.id)})
        ids = set(conn.execute(text("SELECT id FROM center_digests")).scalars())
        assert ids == {r.id for r in a_rows}
        changed = conn.execute(
            text("UPDATE center_digests SET week = 'x' WHERE tenant_id = :b"), {"b": b.id}
        )
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    "INSERT INTO center_digests (id, tenant_id, user_id, week, created_at) "
                    "VALUES (:id, :b, :u, '2025-W09', now())"
                ),
                {"id": uuid.uuid4(), "b": b.id, "u": stranger.id},
            )
    with owner_engine.connect() as conn, conn.begin():
        conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
        assert conn.execute(text("SELECT count(*) FROM center_digests")).scalar() == 0
