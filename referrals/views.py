"""Partner workspace pages (the referral portal comes with the referrals issue)."""

from __future__ import annotations

from flask import Blueprint, g

from core.access import access

bp = Blueprint("referrals", __name__, template_folder="templates")


@bp.url_value_preprocessor
def _pull_slug(endpoint, values):
    if values and "partner_slug" in values:
        g.workspace_ref = values.pop("partner_slug")


@bp.url_defaults
def _add_slug(endpoint, values):
    workspace = g.get("workspace")
    if "partner_slug" not in values and workspace is not None and workspace.kind == "partner":
        values["partner_slug"] = workspace.slug


@bp.get("/p/<partner_slug>/")
@access("partner")
def dashboard():
    return "partner"
