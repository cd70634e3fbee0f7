"""Sign-in, sign-out, password reset, email verification, two-factor, account settings."""

from __future__ import annotations

from flask import Blueprint

from core.access import access

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@access("public")
def login():
    return "login"


@bp.post("/logout")
@access("public")
def logout():
    return "logout"


@bp.get("/account/workspaces")
@access("own")
def workspaces():
    return "workspaces"


@bp.route("/account/settings", methods=["GET", "POST"])
@access("own")
def settings():
    return "settings"


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access("own")
def two_factor():
    return "2fa"
