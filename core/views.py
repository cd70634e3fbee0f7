"""Platform-wide pages: home and language choice."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.access import access
from core.db import db
from core.forms import LocaleForm

bp = Blueprint("core", __name__)

ROLE_LABELS = {
    "owner": _l("Owner"),
    "admin": _l("Administrator"),
    "case_manager": _l("Case manager"),
    "mediator": _l("Mediator"),
    "viewer": _l("Viewer"),
    "referrer": _l("Referrer"),
}


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths are followed after a form (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@bp.app_context_processor
def _template_globals() -> dict:
    return {
        "current_locale": str(get_locale() or "fr"),
        "role_label": lambda role: ROLE_LABELS.get(str(role), str(role)),
    }


@bp.get("/")
@access("public")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.workspaces"))
    return render_template("core/home.html")


@bp.post("/locale")
@access("public")
def set_locale():
    form = LocaleForm()
    if not form.validate():
        # Two buttons in the navigation bar: only a crafted request gets here.
        abort(400, description=_("Choose a language from the list."))
    locale = form.locale.data
    session["locale"] = locale
    if current_user.is_authenticated and current_user.locale != locale:
        current_user.locale = locale
        db.session.commit()
    return redirect(safe_next(form.next.data, url_for("core.home")), code=303)
