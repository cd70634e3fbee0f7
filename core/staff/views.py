"""Staff pages. Staff see tenants only through `platform_scope`, which is audited."""

from __future__ import annotations

from flask import Blueprint

from core.access import access

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


@bp.get("/")
@access("own")
def tenants():
    return "staff"
