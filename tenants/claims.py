"""The claim page: a mediator follows the link a center emailed them, to take ownership
of the profile the center created for them, or to accept the center's invitation.

Public: the signed token is the credential (tenants.services.mediator_claims). A
visitor with an account for the link's address signs in first and comes back; one
without creates it here (following the link proves the address); a signed-in person
confirms with a button, so that a mail scanner opening the link changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from core.access import access
from core.accounts import services as accounts
from core.accounts import sessions
from core.db import db
from tenants.forms import ConfirmForm, JoinForm
from tenants.services import mediator_claims
from tenants.services.mediator_claims import (
    ClaimAccountExists,
    ClaimUnavailable,
    ClaimWrongAccount,
    HasOwnProfile,
    OpenClaim,
)

bp = Blueprint("mediator_claims", __name__, template_folder="templates")
Page = str | tuple[str, int] | Response


def _unavailable(reason: str, status: int, message: str | None = None) -> Page:
    db.session.rollback()
    page = render_template("mediators/claim_unavailable.html", reason=reason, message=message)
    return page, status


def _sign_in_first(found: OpenClaim) -> Response:
    flash(
        _(
            "You already have an account: sign in to continue with %(center)s.",
            center=found.tenant.legal_name,
        ),
        "info",
    )
    return redirect(url_for("accounts.login", next=request.path), code=303)


def _done(found: OpenClaim) -> Response:
    if found.is_acceptance:
        message = _("You now work with %(center)s.", center=found.tenant.legal_name)
    else:
        message = _(
            "Your profile is yours now: keep it up to date here. %(center)s keeps working "
            "with you.",
            center=found.tenant.legal_name,
        )
    flash(message, "success")
    if "credentials.profile" in current_app.view_functions:
        return redirect(url_for("credentials.profile"), code=303)
    return redirect(url_for("tenants.dashboard", slug=found.tenant.slug), code=303)


def _page(found: OpenClaim, form: Any, status: int = 200) -> Page:
    return render_template("mediators/claim.html", found=found, form=form), status


@bp.route("/claim/<token>", methods=["GET", "POST"])
@access("public")  # the signed token is the credential; the service checks the rest
def claim(token: str) -> Page:
    try:
        found = mediator_claims.open_claim(token)
        if current_user.is_authenticated:
            if accounts.normalize_email(current_user.email) != found.email:
                return _unavailable("other_account", 403)
            form = ConfirmForm()
            if request.method == "GET":
                return _page(found, ConfirmForm(formdata=None))
            if form.validate():
                mediator_claims.claim(token, current_user)
                return _done(found)
            return _page(found, form, 422)
        if found.account_exists:
            return _sign_in_first(found)
        form = JoinForm()
        if form.validate_on_submit():
            account = {k: form[k].data for k in ("name", "password", "locale")}
            user, _center = mediator_claims.claim(token, new_account=account)
            sessions.start_session(user)
            db.session.commit()
            return _done(found)
    except ClaimUnavailable as unavailable:
        return _unavailable(unavailable.reason, unavailable.status)
    except ClaimWrongAccount:
        return _unavailable("other_account", 403)
    except HasOwnProfile as error:
        return _unavailable("has_profile", 409, error.message)
    except ClaimAccountExists:
        db.session.rollback()
        return _sign_in_first(found)
    if not form.is_submitted():
        form.locale.data = str(get_locale() or found.tenant.locale)
        form.name.data = found.profile.display_name
    return _page(found, form, 422 if form.is_submitted() else 200)
