"""The platform staff area: every center at a glance.

Staff are not members of the centers they look at, so each read goes through
`platform_scope`, which records who looked at what and why.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.access import access
from core.db import db
from core.tenancy import platform_scope
from tenants.models import Invitation, Membership, Tenant, TenantStatus

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")

STATUS_LABELS = {
    TenantStatus.PENDING: _l("Pending (email not confirmed)"),
    TenantStatus.ACTIVE: _l("Active"),
    TenantStatus.SUSPENDED: _l("Suspended"),
}


@bp.context_processor
def _labels() -> dict:
    return {"status_label": lambda status: STATUS_LABELS.get(status, status)}


@bp.get("/")
@access("own", staff=True)
def tenants():
    with platform_scope("staff: list of centers"):
        counts = dict(
            db.session.execute(
                select(Membership.tenant_id, func.count()).group_by(Membership.tenant_id)
            ).all()
        )
        centers = db.session.scalars(select(Tenant).order_by(Tenant.created_at.desc())).all()
    db.session.commit()  # keeps the audit row of the platform scope
    return render_template("staff/tenants.html", centers=centers, counts=counts)


@bp.get("/tenants/<uuid:tenant_id>")
@access("own", staff=True)
def tenant(tenant_id: uuid.UUID):
    center = db.session.get(Tenant, tenant_id)
    if center is None:
        abort(404)
    with platform_scope(f"staff: view center {center.slug}", tenant_id=center.id):
        members = db.session.scalars(
            select(Membership)
            .where(Membership.tenant_id == center.id)
            .order_by(Membership.created_at)
        ).all()
        pending = db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.tenant_id == center.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        )
    db.session.commit()
    return render_template("staff/tenant.html", center=center, members=members, pending=pending)
