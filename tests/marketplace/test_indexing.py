"""The public listing follows every change of the data it is built from."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal

from rq import Worker
from sqlalchemy import select

from core.credentials.models import TrainingKind, VerificationStatus
from core.db import db
from core.jobs import redis_connection
from marketplace.models import CenterListing, MediatorListing
from marketplace.search import checked_query, search
from tenants.models import Affiliation, AffiliationStatus, Tenant, TenantStatus
from tenants.storefront_models import CenterProfile
from tests import factories
from tests.conftest import missing_service
from tests.marketplace.helpers import listed_center, listed_mediator, settle


def _listed_ids() -> set:
    db.session.expire_all()
    return set(db.session.scalars(select(MediatorListing.profile_id)))


def test_a_consenting_complete_published_mediator_is_listed_with_their_center(app):
    center = listed_center()
    mediator = listed_mediator(center, display_name="Élodie Marçais")
    settle(app)
    row = db.session.get(MediatorListing, mediator.id)
    assert row is not None
    assert row.center_slugs == [center.slug]
    assert row.price_from_eur is not None
    center_row = db.session.get(CenterListing, center.id)
    assert center_row.mediator_count == 1
    assert center_row.offers[0]["price_incl_vat"] == "300.00"

    found = search(checked_query(q="marcais"))
    assert [m.profile_id for m in found.items] == [mediator.id]


def test_withdrawn_consent_unpublishing_or_suspension_remove_the_listing(app, unscoped):
    center = listed_center()
    a = listed_mediator(center)
    b = listed_mediator(center)
    c = listed_mediator(center)
    settle(app)
    assert _listed_ids() == {a.id, b.id, c.id}

    a.listed_publicly = False
    db.session.commit()
    settle(app)
    assert _listed_ids() == {b.id, c.id}

    affiliation_b = db.session.scalars(
        select(Affiliation).where(Affiliation.profile_id == b.id)
    ).one()
    affiliation_b.published = False
    db.session.commit()
    settle(app)
    assert _listed_ids() == {c.id}

    affiliation_c = db.session.scalars(
        select(Affiliation).where(Affiliation.profile_id == c.id)
    ).one()
    affiliation_c.status = AffiliationStatus.SUSPENDED
    db.session.commit()
    settle(app)
    assert _listed_ids() == set()
    db.session.expire_all()
    assert db.session.get(CenterListing, center.id).mediator_count == 0


def test_an_unpublished_center_page_or_a_suspended_center_lists_nobody(app, unscoped):
    center = listed_center()
    mediator = listed_mediator(center)
    settle(app)
    assert _listed_ids() == {mediator.id}
    page = db.session.scalars(select(CenterProfile)).one()
    page.published = False
    db.session.commit()
    settle(app)
    assert _listed_ids() == set()
    assert db.session.get(CenterListing, center.id) is None

    page.published = True
    db.session.commit()
    settle(app)
    assert _listed_ids() == {mediator.id}
    tenant = db.session.get(Tenant, center.id)
    tenant.status = TenantStatus.SUSPENDED
    db.session.commit()
    settle(app)
    assert _listed_ids() == set()


def test_an_incomplete_profile_is_not_listed(app):
    center = listed_center()
    listed_mediator(center, specialties=[])
    listed_mediator(center, bio_fr="", bio_en="")
    settle(app)
    assert _listed_ids() == set()


def test_a_center_requiring_compliance_lists_only_verified_compliant_mediators(app, unscoped):
    center = listed_center(require_compliance=True)
    plain = listed_mediator(center)
    certified = listed_mediator(center)
    certification = factories.CertificationFactory(profile=certified)
    settle(app)
    assert _listed_ids() == set()  # the certification is not verified yet

    certification.verification_status = VerificationStatus.VERIFIED
    db.session.commit()
    for record in (
        TrainingKind.CONTINUING_EDUCATION,
        TrainingKind.SUPERVISION,
    ):
        factories.TrainingRecordFactory(
            profile=certified, kind=record, verification_status=VerificationStatus.VERIFIED
        )
    settle(app)
    assert _listed_ids() == {certified.id}
    row = db.session.get(MediatorListing, certified.id)
    assert row.compliant and row.badges[0]["scheme_code"] == certification.scheme.code
    assert plain.id not in _listed_ids()


def test_offers_set_the_price_from_and_changes_show_at_once(app, unscoped):
    center = listed_center()
    mediator = listed_mediator(center)
    settle(app)
    assert db.session.get(MediatorListing, mediator.id).price_from_eur == Decimal("300.00")
    factories.OfferFactory(tenant=center, price_excl_vat=Decimal("100.00"))
    settle(app)
    db.session.expire_all()
    assert db.session.get(MediatorListing, mediator.id).price_from_eur == Decimal("120.00")
    assert len(db.session.get(CenterListing, center.id).offers) == 2


def test_a_worker_shows_a_change_on_the_marketplace_within_five_seconds(app, unscoped):
    if app.config["JOBS_INLINE"]:
        missing_service("Redis (set REDIS_URL) for the RQ worker process")
    center = listed_center()
    mediator = listed_mediator(center, display_name="Nom Avant")
    settle(app)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not Worker.all(connection=redis_connection()):  # started and listening
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        mediator.display_name = "Nom Après"
        db.session.commit()
        changed_at = time.monotonic()
        while True:
            db.session.expire_all()
            if db.session.get(MediatorListing, mediator.id).display_name == "Nom Après":
                break
            assert time.monotonic() - changed_at < 5, "not on the marketplace within 5 s"
            time.sleep(0.05)
        assert [m.profile_id for m in search(checked_query(q="après")).items] == [mediator.id]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
