"""The compliance dashboard: one row per (mediator, certification) and one per mediator
holding none, filtered by status, scheme, affiliation and name; bad filters answer 400,
never 500; the CSV export holds the filtered rows, Excel-ready and formula-safe, and
neither the center's rate nor its internal notes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import event

from core.clock import now
from core.credentials.standing import standing
from core.db import db
from tenants.mediator_forms import STATUS_LABELS
from tenants.models import AffiliationStatus
from tenants.services.compliance_board import safe_cell
from tests.factories import (
    CertificationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
    TrainingRecordFactory,
)
from tests.marketplace.helpers import settle
from tests.tenants.helpers import make_center, sign_in
from tests.tenants.mediator_helpers import affiliated

NOTES, RATE = "SECRET-NOTE-OF-THE-CENTER", Decimal("987.65")
EVERYONE = {"Élodie Fabre", "Zoé Vidal", "Bruno Petit", "formula"}
FORMULA = '=HYPERLINK("http://evil.example","Click")'


@pytest.fixture
def board(app):
    center = make_center(locale="en")
    today = now().date()
    s1 = CertificationSchemeFactory(code="fr-aaa", name="Alpha certification")
    s2 = CertificationSchemeFactory(code="fr-bbb", name="Beta certification")
    elodie = MediatorProfileFactory(display_name="Élodie Fabre")
    affiliated(center.tenant, elodie, internal_notes=NOTES, rate_eur=RATE)
    expired = CertificationFactory(
        profile=elodie,
        scheme=s1,
        number="A-1",
        issued_on=today - timedelta(days=4 * 365),
        expires_on=today - timedelta(days=30),
    )
    current = CertificationFactory(profile=elodie, scheme=s2, number="B-2")
    zoe = MediatorProfileFactory(display_name="Zoé Vidal")
    affiliated(center.tenant, zoe, status=AffiliationStatus.SUSPENDED, internal_notes=NOTES)
    formula = MediatorProfileFactory(display_name=FORMULA)
    affiliated(center.tenant, formula)
    bruno = MediatorProfileFactory(display_name="Bruno Petit", unclaimed=True)
    affiliated(center.tenant, bruno, status=AffiliationStatus.INVITED)
    gone = MediatorProfileFactory(display_name="Gaston Parti")
    affiliated(center.tenant, gone, status=AffiliationStatus.ENDED)
    CertificationFactory(profile=gone)
    other = make_center()
    affiliated(other.tenant, MediatorProfileFactory(display_name="Odile Ailleurs"))
    return {"center": center, "expired": expired, "current": current}


def _page(client, center, query=""):
    return client.get(center.url("mediators/compliance") + query)


def _names(html: str) -> set[str]:
    names = ("Élodie Fabre", "Zoé Vidal", "Bruno Petit", "Gaston Parti", "Odile Ailleurs")
    found = {n for n in names if n in html}
    return found | ({"formula"} if "HYPERLINK" in html else set())


def test_every_mediator_and_certification_has_a_row(app, client, board):
    center = board["center"]
    sign_in(client, center.case_manager)
    response = _page(client, center)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _names(html) == EVERYONE
    assert "Alpha certification" in html and "Beta certification" in html
    assert "5 rows" in html and 'data-status="expired"' in html and 'data-status="none"' in html
    # The rate as any page or export would write it (a bare "987" may be in a random id).
    assert NOTES not in html and "987.65" not in html and "987,65" not in html


@pytest.mark.parametrize(
    ("query", "names", "rows"),
    [
        ("?status=expired", {"Élodie Fabre"}, 1),
        ("?status=none", {"Zoé Vidal", "Bruno Petit", "formula"}, 3),
        ("?scheme=fr-bbb", {"Élodie Fabre"}, 1),
        ("?affiliation=suspended", {"Zoé Vidal"}, 1),
        ("?affiliation=invited&status=none", {"Bruno Petit"}, 1),
        ("?q=+elodie", {"Élodie Fabre"}, 2),
        ("?q=VIDAL", {"Zoé Vidal"}, 1),
        ("?q=nobody", set(), 0),
        (
            "?status=&scheme=&affiliation=&q=",
            {"Élodie Fabre", "Zoé Vidal", "Bruno Petit", "formula"},
            5,
        ),
    ],
)
def test_filters(app, client, board, query, names, rows):
    center = board["center"]
    sign_in(client, center.owner)
    response = _page(client, center, query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _names(html) == names
    if rows:
        assert f"{rows} row" in html
    else:
        assert "No mediator matches these filters." in html


@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?scheme=fr-none",
        "?affiliation=ended",
        "?affiliation=%00",
        "?q=" + "x" * 101,
        "?status=%ff%fe",
        "?status=expired&status=<script>",
    ],
)
def test_bad_filters_answer_400_and_never_500(app, client, board, query):
    center = board["center"]
    sign_in(client, center.owner)
    response = _page(client, center, query)
    if query.startswith("?status=expired&"):  # the first value counts
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "A filter is not valid" in response.get_data(as_text=True)
    exported = client.get(center.url("mediators/compliance.csv") + query)
    assert exported.status_code == 400 and exported.mimetype == "text/plain"


def _csv(response, delimiter=","):
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


def test_the_csv_export_holds_the_filtered_rows_safely(app, client, board):
    center = board["center"]
    sign_in(client, center.owner)
    response = client.get(center.url("mediators/compliance.csv"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"compliance-{center.slug}-" in disposition
    rows = _csv(response)
    assert rows[0][:3] == ["Mediator", "Affiliation", "Account"]
    assert len(rows) == 6
    by_number = {r[5]: r for r in rows[1:]}
    expired, current = by_number["A-1"], by_number["B-2"]
    assert expired[0] == "Élodie Fabre" and expired[3:5] == ["Alpha certification", "fr-aaa"]
    assert expired[6] == board["expired"].expires_on.isoformat() and expired[7] == "Expired"
    assessment = standing(board["current"], now().date())
    with force_locale("en"):
        assert current[7] == str(STATUS_LABELS[assessment.status])
    assert current[10] == "Awaiting verification"
    if assessment.hours_due:
        assert Decimal(current[8]) == assessment.hours_due and current[9]
    formula_row = next(r for r in rows if "HYPERLINK" in r[0])
    assert formula_row[0] == "'" + FORMULA
    zoe = next(r for r in rows if r[0] == "Zoé Vidal")
    assert zoe[1] == "Suspended" and zoe[7] == "No certification" and zoe[3] == ""
    text = response.data.decode("utf-8-sig")
    assert NOTES not in text and "987.65" not in text and "987,65" not in text
    assert "Gaston" not in text

    filtered = _csv(client.get(center.url("mediators/compliance.csv?status=none&q=zo")))
    assert [r[0] for r in filtered[1:]] == ["Zoé Vidal"]


def test_the_csv_uses_semicolons_for_french_spreadsheets(app, client, board):
    center = board["center"]
    center.owner.locale = "fr"  # the page's language is the signed-in person's
    db.session.commit()
    sign_in(client, center.owner)
    rows = _csv(client.get(center.url("mediators/compliance.csv?status=expired")), ";")
    assert len(rows) == 2 and rows[1][0] == "Élodie Fabre"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Anne = Marie", "Anne = Marie"),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(value, cell):
    assert safe_cell(value) == cell


def test_the_board_reads_the_same_number_of_statements_whatever_its_size(app, client):
    """Every listed mediator's records are read in one query, not one per certification."""
    center = make_center(locale="en")
    sign_in(client, center.owner)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    def statements_for(mediators: int) -> int:
        for _ in range(mediators):
            profile = MediatorProfileFactory()
            affiliated(center.tenant, profile)
            for _ in range(2):
                CertificationFactory(profile=profile)
                TrainingRecordFactory(profile=profile)
        db.session.commit()
        settle(app)  # the marketplace's refresh jobs, queued by the seeding, run first
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert _page(client, center).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert statements_for(1) == statements_for(4)  # 2 certifications, then 10
