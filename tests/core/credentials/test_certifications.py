"""A certification is held under an active scheme of the catalogue, with dates in order;
editing one sends it back to pending verification; revoking keeps the row (and its
history) for good."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.clock import now
from core.credentials.certifications import (
    CertificationInput,
    CertificationInvalid,
    CertificationNotFound,
    active_schemes,
    add_certification,
    certification_of,
    certifications_of,
    revoke_certification,
    update_certification,
)
from core.credentials.models import Certification, CertificationStage, VerificationStatus
from core.db import db
from tests.factories import (
    CertificationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
)


def _input(scheme, **changes) -> CertificationInput:
    values = {"scheme_code": scheme.code, "issued_on": date(2024, 6, 1), "number": " A-1 "}
    return CertificationInput(**{**values, **changes})


def test_a_certification_is_added_under_an_active_scheme(app):
    profile = MediatorProfileFactory()
    scheme = CertificationSchemeFactory(name="B scheme")
    retired = CertificationSchemeFactory(name="A retired scheme", active=False)
    assert scheme in active_schemes() and retired not in active_schemes()

    held = add_certification(profile, _input(scheme, stage="provisional"))
    db.session.commit()
    assert (held.number, held.stage) == ("A-1", CertificationStage.PROVISIONAL)
    assert held.verification_status == VerificationStatus.PENDING
    assert certifications_of(profile.id) == [held]

    with pytest.raises(CertificationInvalid) as refused:
        add_certification(profile, _input(retired))
    assert set(refused.value.errors) == {"scheme_code"}
    with pytest.raises(CertificationInvalid) as refused:
        add_certification(profile, _input(scheme, scheme_code="no-such-scheme"))
    assert set(refused.value.errors) == {"scheme_code"}


def test_dates_stage_and_number_are_checked_all_at_once(app):
    profile = MediatorProfileFactory()
    scheme = CertificationSchemeFactory()
    tomorrow = now().date() + timedelta(days=1)
    with pytest.raises(CertificationInvalid) as refused:
        add_certification(
            profile,
            _input(scheme, issued_on=tomorrow, number="9" * 65, stage="permanent"),
        )
    assert set(refused.value.errors) == {"issued_on", "number", "stage"}
    with pytest.raises(CertificationInvalid) as refused:
        add_certification(profile, _input(scheme, expires_on=date(2024, 5, 31)))
    assert set(refused.value.errors) == {"expires_on"}
    db.session.rollback()
    assert certifications_of(profile.id) == []


def test_an_edit_sends_it_back_to_pending_and_a_retired_scheme_stays_valid(app):
    scheme = CertificationSchemeFactory()
    held = CertificationFactory(scheme=scheme, verification_status=VerificationStatus.VERIFIED)
    scheme.active = False  # retired from the catalogue since
    db.session.commit()
    update_certification(held, _input(scheme, expires_on=date(2027, 6, 1)))
    db.session.commit()
    assert held.expires_on == date(2027, 6, 1)
    assert held.verification_status == VerificationStatus.PENDING
    # But no other certification can move to it.
    other = CertificationFactory(profile=held.profile)
    with pytest.raises(CertificationInvalid):
        update_certification(other, _input(scheme))


def test_a_revoked_certification_is_kept_as_it_is(app, clock):
    held = CertificationFactory()
    with pytest.raises(CertificationInvalid):
        revoke_certification(held, "   ")
    revoke_certification(held, "Agrément retiré par la commission")
    db.session.commit()
    revoked_at = held.revoked_at
    assert held.is_revoked and held.revoked_reason == "Agrément retiré par la commission"

    clock.advance(timedelta(days=1))
    revoke_certification(held, "Une autre raison")  # once revoked, for good
    with pytest.raises(CertificationInvalid):
        update_certification(held, _input(held.scheme))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Certification, held.id)
    assert (kept.revoked_at, kept.revoked_reason) == (
        revoked_at,
        "Agrément retiré par la commission",
    )
    assert certification_of(kept.profile_id, kept.id) is kept


def test_another_profiles_certification_is_not_found(app):
    held = CertificationFactory()
    with pytest.raises(CertificationNotFound):
        certification_of(MediatorProfileFactory().id, held.id)
