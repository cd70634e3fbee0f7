"""The platform staff's billing overview: MRR, centers past due, centers per plan."""

from __future__ import annotations

from babel.numbers import format_currency
from flask import Blueprint, render_template
from flask_babel import get_locale
from sqlalchemy import select

from core.access import access
from core.billing import overview
from core.billing.client import billing_enabled
from core.db import db
from tenants.models import Tenant

bp = Blueprint("staff_billing", __name__, url_prefix="/staff/billing", template_folder="templates")


@bp.get("/")
@access("own", staff=True)
def index():
    found = overview.overview()
    ids = [row.tenant_id for row in found.past_due]
    centers = (
        {t.id: t for t in db.session.scalars(select(Tenant).where(Tenant.id.in_(ids)))}
        if ids
        else {}
    )
    locale = str(get_locale() or "fr")
    return render_template(
        "staff/billing.html",
        found=found,
        centers=centers,
        billing_on=billing_enabled(),
        euros=lambda cents: format_currency(cents / 100, "EUR", locale=locale),
    )
