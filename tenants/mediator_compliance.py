"""The center's compliance dashboard and its CSV export: a route of the `mediators`
blueprint, for owners, administrators and case managers. The filters are GET
parameters checked by a form: a value that is not one of its choices answers 400 (the
page with the filters marked, or a plain-text reason for the export), never a 500.
The export holds no rate and no internal notes (tenants.services.compliance_board).
"""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Response, g, render_template, request, url_for
from flask_babel import gettext as _

from core.access import access
from core.clock import now
from tenants.mediator_forms import (
    AFFILIATION_LABELS,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    ComplianceFilterForm,
)
from tenants.mediators import READERS, Page, _locale, bp
from tenants.models import AffiliationStatus
from tenants.services import compliance_board
from tenants.services.compliance_board import NO_CERTIFICATION, Filters


def _filters() -> tuple[ComplianceFilterForm, Filters | None]:
    """The dashboard's filters from the query string; None when one is not valid."""
    form = ComplianceFilterForm(request.args, schemes=compliance_board.scheme_choices())
    if not form.validate():
        return form, None
    return form, Filters(
        status=form.status.data or None,
        scheme=form.scheme.data or None,
        affiliation=AffiliationStatus(form.affiliation.data) if form.affiliation.data else None,
        search=form.q.data or None,
    )


@bp.get("/compliance")
@access("tenant", roles=READERS)
def compliance() -> Page:
    form, filters = _filters()
    if filters is None:
        return render_template("mediators/compliance.html", form=form, rows=[], invalid=True), 400
    rows = compliance_board.board(now().date(), _locale(), filters)
    query = {k: v for k, v in request.args.items() if k in form._fields and v}
    return render_template(
        "mediators/compliance.html",
        form=form,
        rows=rows,
        invalid=False,
        csv_url=url_for("mediators.compliance_csv", **query),
    )


def _columns(locale: str) -> compliance_board.Columns:
    return compliance_board.Columns(
        headings=[
            _("Mediator"),
            _("Affiliation"),
            _("Account"),
            _("Certification"),
            _("Scheme code"),
            _("Number"),
            _("Valid until"),
            _("Compliance"),
            _("Hours due"),
            _("Hours due, in words"),
            _("Verification"),
        ],
        status_label=lambda s: str(STATUS_LABELS[str(s) if s is not None else NO_CERTIFICATION]),
        verification_label=lambda s: str(VERIFICATION_LABELS[str(s)]) if s else "",
        affiliation_label=lambda s: str(AFFILIATION_LABELS[str(s)]),
        claimed_label=lambda claimed: _("Claimed") if claimed else _("Not claimed yet"),
        hours=lambda value: format_decimal(value, locale=locale),
    )


@bp.get("/compliance.csv")
@access("tenant", roles=READERS)
def compliance_csv() -> Response:
    form, filters = _filters()
    if filters is None:
        problems = "; ".join(
            f"{form[name].label.text}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        return Response(problems + "\n", status=400, mimetype="text/plain")
    locale = _locale()
    rows = compliance_board.board(now().date(), locale, filters)
    # Spreadsheets in French read ";" as the separator (the comma is the decimal mark).
    body = compliance_board.export_csv(
        rows, _columns(locale), ";" if locale.startswith("fr") else ","
    )
    response = Response(body, content_type="text/csv; charset=utf-8")
    name = f"compliance-{g.workspace.slug}-{now().date().isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
