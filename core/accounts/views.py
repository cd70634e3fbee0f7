"""Sign-in, sign-out, password reset, email verification, two-factor, account settings.

Views parse a form, call one service, commit and answer. Invalid forms are re-rendered
with their errors and status 422; refused sign-ins keep their audit row (committed)
before answering.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from core import audit, tenancy
from core.access import Workspace, access, workspaces_of
from core.accounts import services, sessions
from core.accounts.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EmailForm,
    EnableTwoFactorForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    TwoFactorLoginForm,
)
from core.accounts.models import User
from core.accounts.services import LoginOutcome, TokenPurpose
from core.clock import now
from core.db import db
from core.forms import ButtonForm
from core.views import safe_next

bp = Blueprint("accounts", __name__, template_folder="templates")

# Session keys. The pending sign-in only proves the password, never signs anyone in.
PENDING_LOGIN = "pending_login"
PENDING_LOGIN_TTL = timedelta(minutes=5)
TOTP_SETUP = "totp_setup"
MAX_TOKEN_LENGTH = 100  # ours are 43 characters; anything far longer is not a link of ours


def _render(template: str, status: int | None = None, **context: Any) -> tuple[str, int]:
    """A page; a submitted form that comes back is invalid, hence 422."""
    if status is None:
        status = 422 if request.method == "POST" else 200
    return render_template(template, **context), status


def _see_other(location: str) -> Response:
    return redirect(location, code=303)


def _next_target() -> str | None:
    return safe_next(request.args.get("next"), "") or None


def workspace_url(workspace: Workspace) -> str:
    """Where a workspace lives: a center's dashboard or a partner's portal."""
    if workspace.kind == "tenant":
        return url_for("tenants.dashboard", slug=workspace.slug)
    return url_for("referrals.dashboard", partner_slug=workspace.slug)


def landing_url(user: User, target: str | None) -> str:
    """After sign-in: the page asked for, else the only workspace, else the list."""
    if target:
        return target
    # The request's scope was opened before the sign-in, without this user.
    with tenancy.scoped(user_id=user.id):
        spaces = workspaces_of(user)
    return workspace_url(spaces[0]) if len(spaces) == 1 else url_for("accounts.workspaces")


def _sign_in(user: User) -> None:
    if current_user.is_authenticated:
        # Signing in over another session replaces it rather than leaving it alive.
        sessions.end_session("replaced")
    sessions.start_session(user)


def _throttled_page(form: LoginForm, email: str) -> Response:
    retry_after = services.throttle_retry_after(email)
    minutes = max(1, -(-retry_after // 60))
    body, _status = _render(
        "accounts/login.html", form=form, throttled=True, minutes=minutes, target=None
    )
    response = Response(body, status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(retry_after)
    return response


def _link_invalid(kind: str) -> tuple[str, int]:
    return _render("accounts/link_invalid.html", status=400, kind=kind)


# --- sign-in and sign-out ------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@access("public")
def login():
    target = _next_target()
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(landing_url(current_user, target))
    form = LoginForm()
    if not form.validate_on_submit():
        return _render("accounts/login.html", form=form, target=target)
    result = services.authenticate(form.email.data, form.password.data)
    if result.outcome == LoginOutcome.OK:
        _sign_in(result.user)
        db.session.commit()
        return _see_other(landing_url(result.user, target))
    db.session.commit()  # the audit row of a refusal, or a password rehash
    if result.outcome == LoginOutcome.NEEDS_TOTP:
        session[PENDING_LOGIN] = {"user_id": str(result.user.id), "at": now().timestamp()}
        return _see_other(url_for("accounts.login_two_factor", next=target))
    if result.outcome == LoginOutcome.THROTTLED:
        return _throttled_page(form, form.email.data)
    if result.outcome == LoginOutcome.UNVERIFIED:
        return _render("accounts/login.html", status=403, form=form, target=target, unverified=True)
    if result.outcome == LoginOutcome.DISABLED:
        form.form_errors.append(_("This account has been disabled. Please contact support."))
        return _render("accounts/login.html", status=403, form=form, target=target)
    form.form_errors.append(_("Invalid email or password."))
    return _render("accounts/login.html", form=form, target=target)


def _pending_login() -> uuid.UUID | None:
    marker = session.get(PENDING_LOGIN)
    try:
        started = float(marker["at"])
        user_id = uuid.UUID(str(marker["user_id"]))
    except (TypeError, KeyError, ValueError):
        return None
    age = now().timestamp() - started
    if not 0 <= age <= PENDING_LOGIN_TTL.total_seconds():
        session.pop(PENDING_LOGIN, None)
        return None
    return user_id


@bp.route("/login/two-factor", methods=["GET", "POST"])
@access("public")
def login_two_factor():
    target = _next_target()
    user_id = _pending_login()
    if user_id is None:
        flash(_("Your sign-in took too long or was not started. Please sign in again."), "info")
        return _see_other(url_for("accounts.login", next=target))
    form = TwoFactorLoginForm()
    if not form.validate_on_submit():
        return _render("accounts/login_two_factor.html", form=form, target=target)
    result = services.authenticate_second_factor(user_id, form.code.data)
    if result.outcome == LoginOutcome.OK:
        _sign_in(result.user)  # also drops the pending marker
        db.session.commit()
        return _see_other(landing_url(result.user, target))
    db.session.commit()
    if result.outcome == LoginOutcome.THROTTLED:
        session.pop(PENDING_LOGIN, None)
        user = services.get_user(user_id)
        return _throttled_page(LoginForm(formdata=None), user.email if user else "")
    form.code.errors.append(_("This code is not valid. Enter the code your app shows now."))
    return _render("accounts/login_two_factor.html", form=form, target=target)


@bp.post("/logout")
@access("public")
def logout():
    if not ButtonForm().validate():
        abort(400)  # the sign-out button posts its CSRF token and nothing else
    if current_user.is_authenticated:
        audit.record_security("logout", user_id=current_user.id)
        sessions.end_session("logout")
        db.session.commit()
    # Nothing of the signed-in visit (pending sign-in, 2FA set-up) outlives it.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have been signed out."), "success")
    return _see_other(url_for("core.home"))


# --- workspaces and settings -------------------------------------------------------


@bp.get("/account/workspaces")
@access("own")
def workspaces():
    spaces = workspaces_of(current_user)
    return render_template(
        "accounts/workspaces.html",
        centers=[w for w in spaces if w.kind == "tenant"],
        partners=[w for w in spaces if w.kind == "partner"],
        workspace_url=workspace_url,
    )


def _settings_page(profile: ProfileForm, password: ChangePasswordForm) -> tuple[str, int]:
    return _render("accounts/settings.html", profile=profile, password=password)


@bp.route("/account/settings", methods=["GET", "POST"])
@access("own")
def settings():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        changed = services.update_profile(user, name=form.name.data, locale=form.locale.data)
        db.session.commit()
        session["locale"] = user.locale
        flash(_("Your settings were saved.") if changed else _("Nothing has changed."), "success")
        return _see_other(url_for("accounts.settings"))
    return _settings_page(form, ChangePasswordForm(formdata=None))


@bp.post("/account/password")
@access("own")
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        changed = services.change_password(
            user, form.current_password.data, form.password.data, session.get("sid")
        )
        db.session.commit()  # the new password, or the audit row of a failed check
        if changed:
            flash(_("Your password was changed. Your other sessions were signed out."), "success")
            return _see_other(url_for("accounts.settings"))
        form.current_password.errors.append(_("This is not your current password."))
    return _settings_page(ProfileForm(formdata=None, obj=user), form)


def _qr_svg(uri: str) -> Markup:
    # Inline SVG: the CSP allows no inline script, and the secret never leaves the page.
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )
    return Markup(svg)  # noqa: S704 - segno's own markup; the title is escaped by segno


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access("own")
def two_factor():
    user = current_user._get_current_object()
    target = _next_target()
    if user.totp_enabled:
        form = DisableTwoFactorForm()
        if form.validate_on_submit():
            disabled = services.disable_totp(user, form.password.data, form.code.data)
            db.session.commit()
            if disabled:
                flash(_("Two-factor authentication is now off."), "success")
                return _see_other(url_for("accounts.two_factor"))
            form.form_errors.append(_("The password or the code is not correct."))
        return _render("accounts/two_factor.html", form=form, enabled=True, target=target)
    # The secret waits in the (signed) session until the user proves their app has it.
    secret = session.get(TOTP_SETUP) or services.new_totp_secret()
    session[TOTP_SETUP] = secret
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        if services.enable_totp(user, secret, form.code.data):
            session.pop(TOTP_SETUP, None)
            db.session.commit()
            flash(_("Two-factor authentication is now on."), "success")
            return _see_other(target or url_for("accounts.two_factor"))
        form.code.errors.append(_("This code is not valid. Enter the code your app shows now."))
    return _render(
        "accounts/two_factor.html",
        form=form,
        enabled=False,
        target=target,
        qr=_qr_svg(services.totp_uri(user, secret)),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


# --- password reset and email verification -----------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@access("public")
def forgot_password():
    form = EmailForm()
    if not form.validate_on_submit():
        return _render("accounts/forgot_password.html", form=form)
    if not services.request_password_reset(form.email.data, request.remote_addr):
        return _render("accounts/forgot_password.html", status=429, form=form, limited=True)
    db.session.commit()
    # The same answer whether or not the account exists.
    return _render("accounts/email_sent.html", status=200, kind="reset")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access("public")
def reset_password(token: str):
    if len(token) > MAX_TOKEN_LENGTH or not services.peek_token(token, TokenPurpose.RESET_PASSWORD):
        return _link_invalid("reset")
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return _render("accounts/reset_password.html", form=form, token=token)
    if services.reset_password(token, form.password.data) is None:
        return _link_invalid("reset")  # used in the meantime
    db.session.commit()
    flash(_("Your password was changed. Please sign in with the new one."), "success")
    return _see_other(url_for("accounts.login"))


@bp.get("/verify-email/<token>")
@access("public")
def verify_email(token: str):
    user = services.verify_email(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if user is None:
        return _link_invalid("verify")
    if user.totp_enabled or not user.is_active:
        # A link in a mailbox must not bypass the second factor.
        db.session.commit()
        flash(_("Your email address is confirmed. Please sign in."), "success")
        return _see_other(url_for("accounts.login"))
    _sign_in(user)
    db.session.commit()
    flash(_("Thank you, your email address is confirmed."), "success")
    return _see_other(landing_url(user, None))


@bp.route("/verify-email/resend", methods=["GET", "POST"])
@access("public")
def resend_verification():
    form = EmailForm()
    if not form.validate_on_submit():
        return _render("accounts/resend_verification.html", form=form)
    if not services.resend_email_verification(form.email.data, request.remote_addr):
        return _render("accounts/resend_verification.html", status=429, form=form, limited=True)
    db.session.commit()
    return _render("accounts/email_sent.html", status=200, kind="verify")


# The connected applications' pages are routes of this blueprint, kept in their own
# module; they must be added at import, before the blueprint is registered.
from core.accounts import applications  # noqa: E402, F401
