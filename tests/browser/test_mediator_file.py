"""A mediator's professional file in a real browser, in French and in English: the
mediator signs in, opens "My training and certifications", adds a training record with
a PDF certificate as evidence and sees the certification's compliance change from
"hours short" to "awaiting verification"; an administrator of the center the mediator
works with verifies the record from the center's verification queue; the mediator then
sees it verified, by whom, and the certification compliant.

The clock is fixed (2 March 2026), so that the FFCM rule reads the same whenever the
suite runs: 10 h of training and 10 h of supervision a calendar year, 2025 owed and
2026 still open. The mediator's 2025 supervision is verified already; only the 2025
training is missing, which the record added here covers.

Texts are read from the catalogue in the test's language (the French is filled in
core/translations), so a page that falls back to the other language, or a label that
changes, fails the test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from core.credentials.compliance.wording import KINDS
from core.credentials.models import TrainingKind, VerificationStatus
from tenants.models import Role
from tests.factories import (
    DEFAULT_PASSWORD,
    AffiliationFactory,
    CertificationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
    MembershipFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)

TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CENTER = "Centre de Médiation de Lyon"
SLUG = "mediation-lyon"
MEDIATOR = {"name": "Nadia Benali", "email": "nadia.benali@example.org"}
ADMIN = {"name": "Claire Dubois", "email": "claire.dubois@lyon-mediation.example"}
SCHEME = "Médiateur agréé FFCM"
TRAINING = "Médiation familiale : les entretiens d'information"
PROVIDER = "Institut de formation à la médiation de Lyon"
EVIDENCE = "attestation-formation.pdf"
NOTES = "Note interne : ne pas confier de dossiers commerciaux"

# The page texts the test reads, by their catalogue message ids.
MESSAGES = {
    "sign_in": "Sign in",
    "email": "Email address",
    "password": "Password",
    "main_navigation": "Main navigation",
    "my_training": "My training and certifications",
    "add_record": "Add a training record",
    "title": "Title",
    "provider": "Provider",
    "kind": "Kind",
    "continuing_education": "Continuing education",
    "hours": "Hours",
    "start": "Start date",
    "end": "End date",
    "evidence": "Evidence",
    "add_the_record": "Add the record",
    "added": "The training record is added.",
    "hours_short": "Hours short",
    "unverified": "Awaiting verification",
    "compliant": "Compliant",
    "verified": "Verified",
    "records": "Training records",
    "mediators": "Mediators",
    "verification_queue": "Verification queue",
    "verify": "Verify",
    "verified_done": "Verified.",
}


def texts(app: Any, language: str) -> dict[str, str]:
    """The texts of MESSAGES in `language`, as the pages show them."""
    with app.test_request_context(), force_locale(language):
        found = {key: gettext(message) for key, message in MESSAGES.items()}
        found["verified_by"] = gettext(
            "By %(name)s on %(date)s",
            name=ADMIN["name"],
            date=format_date(TODAY.date(), "medium", locale=language),
        )
    found["lang"] = language
    found["of_training"] = KINDS[language][TrainingKind.CONTINUING_EDUCATION]
    return found


@pytest.fixture
def mediator_file(app: Any, clock: Any, language: str) -> None:
    """The center, its administrator, and a mediator who works with it: their profile,
    an FFCM certification (verified) and a verified 2025 supervision. The factories
    commit, so the live server's threads see the rows."""
    clock.advance(TODAY - clock.now())
    center = TenantFactory(slug=SLUG, legal_name=CENTER, locale=language)
    MembershipFactory(tenant=center, role=Role.ADMIN, user=UserFactory(locale=language, **ADMIN))
    mediator = UserFactory(locale=language, **MEDIATOR)
    MembershipFactory(tenant=center, role=Role.MEDIATOR, user=mediator)
    profile = MediatorProfileFactory(user=mediator, display_name=MEDIATOR["name"])
    AffiliationFactory(tenant=center, profile=profile, internal_notes=NOTES, rate_eur=Decimal("95"))
    CertificationFactory(
        profile=profile,
        scheme=CertificationSchemeFactory(code="fr-ffcm-browser", name=SCHEME),
        issued_on=date(2024, 6, 1),
        expires_on=None,
        verification_status=VerificationStatus.VERIFIED,
    )
    TrainingRecordFactory(
        profile=profile,
        title="Analyse de la pratique",
        kind=TrainingKind.SUPERVISION,
        hours=Decimal("10"),
        started_on=date(2025, 9, 12),
        ended_on=date(2025, 9, 12),
        verification_status=VerificationStatus.VERIFIED,
    )


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A real (small) PDF: a one-page training certificate."""
    stream = b"BT /F1 18 Tf 72 720 Td (Attestation de formation - 10 h) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path = tmp_path / EVIDENCE
    path.write_bytes(body)
    return path


def _sign_in(page: Page, base_url: str, person: dict[str, str], t: dict[str, str]) -> None:
    page.goto(f"{base_url}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["sign_in"])
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    page.get_by_label(t["email"], exact=True).fill(person["email"])
    page.get_by_label(t["password"], exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=t["sign_in"], exact=True).click()
    # Both belong to one center: they land on its dashboard.
    expect(page).to_have_url(f"{base_url}/c/{SLUG}/")


def _certification(page: Page) -> Any:
    """The certification's card on "My training and certifications"."""
    return page.get_by_role("region", name=SCHEME, exact=True)


def _open_my_training(page: Page, t: dict[str, str]) -> None:
    navigation = page.get_by_role("navigation", name=t["main_navigation"])
    # The bar's own link (the account menu holds the same one, hidden until opened, and
    # counted by a strict locator while the page's styles are still loading).
    navigation.get_by_role("link", name=t["my_training"], exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["my_training"])
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])


def _add_record(page: Page, certificate: Path, t: dict[str, str]) -> None:
    page.get_by_role("link", name=t["add_record"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["add_record"])
    page.get_by_label(t["title"], exact=True).fill(TRAINING)
    page.get_by_label(t["provider"], exact=True).fill(PROVIDER)
    page.get_by_label(t["kind"], exact=True).select_option(label=t["continuing_education"])
    page.get_by_label(t["hours"], exact=True).fill("10")
    page.get_by_label(t["start"], exact=True).fill("2025-05-19")
    page.get_by_label(t["end"], exact=True).fill("2025-05-20")
    page.get_by_label(t["evidence"], exact=True).set_input_files(certificate)
    page.get_by_role("button", name=t["add_the_record"], exact=True).click()


def _record_row(page: Page) -> Any:
    return page.get_by_role("row").filter(has_text=TRAINING)


def test_a_mediator_adds_a_record_with_evidence_and_a_center_admin_verifies_it(
    app: Any,
    live_server: str,
    new_context: Any,
    language: str,
    mediator_file: None,
    certificate: Path,
) -> None:
    t = texts(app, language)

    # 1. The mediator opens their file: the 2025 training hours are missing.
    mediator = new_context()
    _sign_in(mediator, live_server, MEDIATOR, t)
    _open_my_training(mediator, t)
    card = _certification(mediator)
    expect(card.locator(".badge[data-status]")).to_have_text(t["hours_short"])
    expect(card.get_by_role("listitem").filter(has_text=t["of_training"]).first).to_be_visible()
    expect(mediator.get_by_text(NOTES)).to_have_count(0)  # the center's notes stay there

    # 2. They add the training with its certificate: the hours are there, to be verified.
    _add_record(mediator, certificate, t)
    expect(mediator).to_have_url(f"{live_server}/me/training")
    expect(mediator.get_by_role("alert").filter(has_text=t["added"])).to_be_visible()
    row = _record_row(mediator)
    expect(row).to_contain_text(PROVIDER)
    expect(row).to_contain_text(t["unverified"])
    expect(_certification(mediator).locator(".badge[data-status]")).to_have_text(t["unverified"])
    with mediator.expect_download() as download:
        row.get_by_role("link", name=EVIDENCE, exact=True).click()
    assert download.value.suggested_filename == EVIDENCE
    assert Path(download.value.path()).read_bytes() == certificate.read_bytes()

    # 3. An administrator of the center verifies it from the center's queue.
    admin = new_context()
    _sign_in(admin, live_server, ADMIN, t)
    _verify_from_the_queue(admin, t)

    # 4. The mediator sees it verified, by whom and when, and the certification compliant.
    mediator.reload()
    row = _record_row(mediator)
    expect(row).to_contain_text(t["verified"])
    expect(row).to_contain_text(t["verified_by"])
    expect(_certification(mediator).locator(".badge[data-status]")).to_have_text(t["compliant"])


def _verify_from_the_queue(page: Page, t: dict[str, str]) -> None:
    """Through the navigation to the center's verification queue (tenants/mediators.py):
    the record waits there, its evidence at hand; the administrator verifies it."""
    navigation = page.get_by_role("navigation", name=t["main_navigation"])
    navigation.get_by_role("link", name=t["mediators"], exact=True).click()
    page.get_by_role("main").get_by_role("link", name=t["verification_queue"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["verification_queue"])
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    # Each item is a region named after the record and its mediator.
    item = page.get_by_role("region", name=TRAINING)
    expect(item).to_contain_text(MEDIATOR["name"])
    expect(item).to_contain_text(PROVIDER)
    with page.expect_download() as download:
        item.get_by_role("link", name=EVIDENCE, exact=True).click()
    assert download.value.suggested_filename == EVIDENCE
    item.get_by_role("button", name=t["verify"], exact=True).click()
    expect(page.get_by_role("alert").filter(has_text=t["verified_done"])).to_be_visible()
    expect(item).to_have_count(0)
