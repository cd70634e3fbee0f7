"""Partner workspace pages: the dashboard (the referral portal is referrals.portal)."""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template
from flask_babel import lazy_gettext as _l

from core.access import access, bind_workspace_slug, register_lister, register_resolver
from core.oauth.clients import register_owner
from referrals import cases, services
from referrals.forms import status_label

bp = Blueprint("referrals", __name__, template_folder="templates")

KIND_LABELS = {
    "law_firm": _l("Law firm"),
    "association": _l("Association"),
    "legal_platform": _l("Legal platform"),
    "court": _l("Court"),
    "company": _l("Company"),
}


bind_workspace_slug(bp, "partner", "partner_slug")


@bp.get("/p/<partner_slug>/")
@access("partner")
def dashboard() -> str:
    partner = g.workspace.obj
    return render_template(
        "referrals/dashboard.html",
        partner=partner,
        kind_label=KIND_LABELS.get(partner.kind.value, partner.kind.value),
        members=services.members(partner.id),
        referral_counts=cases.status_counts(),
        status_label=status_label,
    )


def init_app(app: Flask) -> None:
    """Register the partner workspace resolver and lister."""
    register_resolver(app, "partner", services.resolve_workspace)
    register_lister(app, services.list_workspaces)
    register_owner(app, "partner", services.describe_partner)
