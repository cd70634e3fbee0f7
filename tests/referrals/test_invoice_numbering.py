"""Gapless invoice numbers per center (referrals.invoice_numbering).

French invoices are numbered in one continuous sequence: 20 invoices created at once
from 20 processes get 1..20, and a creation that fails after taking its number gives it
back (it rolls back with the invoice), so the next invoice takes it.
"""

from __future__ import annotations

import multiprocessing
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.app import create_app
from core.clock import now
from core.db import db
from core.tenancy import tenant_scope
from referrals import invoice_rules, party_fees
from referrals.fee_models import InvoiceKind, InvoiceSequence, PartyInvoice
from referrals.invoice_numbering import take_number
from referrals.invoice_rules import Buyer
from referrals.models import ReferralStatus
from tests.conftest import missing_service
from tests.factories import (
    CenterBillingProfileFactory,
    FeeQuoteFactory,
    ReferralFactory,
    TenantFactory,
)

PROCESSES = 20
# What a worker process needs to build its own app and engine (picklable values only).
WORKER_CONFIG = ("SECRET_KEY", "ENCRYPTION_KEY", "DATABASE_URL", "OAUTH_KEYS_FILE", "FILES_DIR")


def _invoice(number: int, referral_id: uuid.UUID) -> PartyInvoice:
    line = invoice_rules.line("Médiation", 10000, Decimal("20"))
    return PartyInvoice(
        number=number,
        kind=InvoiceKind.INVOICE,
        referral_id=referral_id,
        issued_on=now().date(),
        due_on=now().date(),
        seller={"legal_name": "Centre"},
        buyer_name="Partie",
        buyer_address="1 rue",
        buyer_postal_code="75001",
        buyer_city="Paris",
        buyer_country="FR",
        lines=[line],
        net_cents=10000,
        vat_cents=2000,
        total_cents=12000,
    )


def _issue_in_own_process(
    config: dict[str, Any], tenant_id: str, referral_id: str, start: Any, out: Any
) -> None:
    """A separate process: its own app, engine and connection; all start together."""
    app = create_app({**config, "TESTING": True, "JOBS_INLINE": True, "REDIS_URL": None})
    with app.app_context(), tenant_scope(uuid.UUID(tenant_id)):
        start.wait(timeout=60)
        number = take_number(uuid.UUID(tenant_id))
        db.session.add(_invoice(number, uuid.UUID(referral_id)))
        db.session.commit()
        out.put(number)
    db.dispose(app)


def _numbers(tenant_id: uuid.UUID) -> list[int]:
    with tenant_scope(tenant_id):
        return sorted(db.session.scalars(select(PartyInvoice.number)))


def test_twenty_concurrent_processes_get_twenty_consecutive_numbers(app):
    if db.engine.dialect.name != "postgresql":
        missing_service("PostgreSQL (DATABASE_URL) for concurrent invoice numbering")
    center, other = TenantFactory(), TenantFactory()
    referral = ReferralFactory(tenant=center, status=ReferralStatus.ACCEPTED)
    with tenant_scope(other.id):  # another center's sequence is its own
        db.session.add(_invoice(take_number(other.id), ReferralFactory(tenant=other).id))
        db.session.commit()
    config = {key: app.config[key] for key in WORKER_CONFIG}
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(
            target=_issue_in_own_process,
            args=(config, str(center.id), str(referral.id), start, out),
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    numbers = sorted(out.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert numbers == list(range(1, PROCESSES + 1))
    assert _numbers(center.id) == list(range(1, PROCESSES + 1))
    assert _numbers(other.id) == [1]


def test_a_failed_creation_leaves_no_gap(app, monkeypatch):
    center = TenantFactory()
    CenterBillingProfileFactory(tenant=center)
    quote = FeeQuoteFactory(tenant=center)
    buyers = [Buyer(name=n, address="1 rue", postal_code="75001", city="Paris") for n in "AB"]
    real_totals = invoice_rules.totals
    calls = {"n": 0}

    def broken_second(lines):
        # The second invoice's insert fails (its total does not add up: a CHECK refuses
        # it) after the first invoice and both numbers were taken.
        calls["n"] += 1
        net, tax, total = real_totals(lines)
        return (net, tax, total + 1) if calls["n"] == 2 else (net, tax, total)

    with tenant_scope(center.id):
        monkeypatch.setattr(invoice_rules, "totals", broken_second)
        with pytest.raises(IntegrityError):
            party_fees.issue_invoices(quote.referral_id, buyers)
        db.session.rollback()
        assert db.session.scalars(select(PartyInvoice)).all() == []
        monkeypatch.setattr(invoice_rules, "totals", real_totals)
        issued = party_fees.issue_invoices(quote.referral_id, buyers)
        assert [i.number for i in issued] == [1, 2]
        note = party_fees.credit(issued[0].id)
        assert note.number == 3 and note.reference == "AV-000003"
        assert db.session.scalars(select(InvoiceSequence.last_number)).one() == 3
