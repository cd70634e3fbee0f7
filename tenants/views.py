"""Center pages: sign-up, dashboard, members, invitations, settings, audit log."""

from __future__ import annotations

from flask import Blueprint, Flask, g

from core.access import access

bp = Blueprint("tenants", __name__, template_folder="templates")


@bp.url_value_preprocessor
def _pull_slug(endpoint, values):
    if values and "slug" in values:
        g.workspace_ref = values.pop("slug")


@bp.url_defaults
def _add_slug(endpoint, values):
    workspace = g.get("workspace")
    if "slug" not in values and workspace is not None and workspace.kind == "tenant":
        values["slug"] = workspace.slug


@bp.route("/signup", methods=["GET", "POST"])
@access("public")
def signup():
    return "signup"


@bp.get("/c/<slug>/")
@access("tenant")
def dashboard():
    return "dashboard"


@bp.get("/c/<slug>/members")
@access("tenant", roles=("owner", "admin"))
def members():
    return "members"


@bp.get("/c/<slug>/audit")
@access("tenant", roles=("owner", "admin"))
def audit_log():
    return "audit"


@bp.route("/c/<slug>/settings", methods=["GET", "POST"])
@access("tenant", roles=("owner", "admin"))
def settings():
    return "settings"


def init_app(app: Flask) -> None:
    """Register the center workspace resolver and demo seeder."""
