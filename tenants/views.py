"""Center pages: sign-up, dashboard, members, invitations, settings, audit log.

Views are thin: parse the form, call one service, answer. Rule refusals come back as
service errors: a field error goes on its field, any other re-renders the page with
HTTP 422; a missing or foreign id is a 404 from the service (the ORM guard hides other
centers' rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from core.access import access, bind_workspace_slug, register_lister, register_resolver
from core.accounts import sessions
from core.accounts.models import User
from core.accounts.signals import email_verified
from core.clock import now
from core.db import db
from core.oauth.clients import register_owner
from tenants import services
from tenants.forms import (
    ACTION_LABELS,
    AuditFilterForm,
    ConfirmForm,
    InviteForm,
    JoinForm,
    RoleForm,
    SettingsForm,
    SignupForm,
)
from tenants.models import Role

bp = Blueprint("tenants", __name__, template_folder="templates")
MANAGERS = ("owner", "admin")
Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "tenant", "slug")


def _center():
    return g.workspace.obj


def _local_time(moment: datetime | None, timezone: str | None = None) -> str:
    """A UTC moment shown in the center's time zone and the page's language."""
    if moment is None:
        return ""
    if timezone is None and g.get("workspace") is not None and g.workspace.kind == "tenant":
        timezone = _center().timezone
    zone = ZoneInfo(timezone) if timezone else UTC
    return format_datetime(moment, "medium", tzinfo=zone, locale=str(get_locale() or "fr"))


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"center_time": _local_time, "action_label": lambda a: ACTION_LABELS.get(a, a)}


def _field_error(form: Any, error: services.FieldError) -> None:
    getattr(form, error.field).errors = [*getattr(form, error.field).errors, error.message]


def _button_action(act: Callable[[], str]) -> Page:
    """A members-page button (remove, revoke, resend): it posts nothing but its CSRF
    token (checked app-wide); `act` runs the service and returns the confirmation."""
    if not ConfirmForm().validate():
        return _render_members(422, error=_("This form could not be read. Please try again."))
    try:
        message = act()
    except services.RuleError as error:
        return _render_members(422, error=error.message)
    return _back("tenants.members", message)


def _back(endpoint: str, message: str, category: str = "success", **values: Any) -> Response:
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


# --- sign-up --------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@access("public")
def signup() -> Page:
    form = SignupForm()
    if form.validate_on_submit():
        data = {f.name: form[f.name].data for f in fields(services.SignUp)}
        try:
            services.sign_up(services.SignUp(**{**data, "slug": data["slug"] or None}))
        except services.FieldError as error:
            _field_error(form, error)
        else:
            session["signup_email"] = form.email.data
            return redirect(url_for("tenants.signup_done"), code=303)
    elif form.is_submitted() and not form.slug.data and form.legal_name.data:
        form.slug.data = services.suggest_slug(form.legal_name.data)
    status = 422 if form.is_submitted() else 200
    return render_template("tenants/signup.html", form=form), status


@bp.get("/signup/check-email")
@access("public")
def signup_done() -> Page:
    hours = int(current_app.config["EMAIL_TOKEN_TTL"].total_seconds() // 3600)
    email = session.get("signup_email")
    return render_template("tenants/signup_done.html", email=email, hours=hours)


# --- the center's workspace -------------------------------------------------------------


@bp.get("/c/<slug>/")
@access("tenant")
def dashboard() -> Page:
    summary = services.dashboard_summary(with_events=g.workspace.role in MANAGERS)
    return render_template("tenants/dashboard.html", center=_center(), **summary)


def _render_members(status: int = 200, **forms: Any) -> Page:
    is_owner = g.workspace.role == Role.OWNER
    forms.setdefault("invite_form", InviteForm(formdata=None, include_owner=is_owner))
    return render_template(
        "tenants/members.html",
        members=services.members(),
        invitations=services.pending_invitations(),
        role_form=RoleForm(formdata=None),
        now=now(),
        is_owner=is_owner,
        **forms,
    ), status


@bp.get("/c/<slug>/members")
@access("tenant", roles=MANAGERS)
def members() -> Page:
    return _render_members()


@bp.post("/c/<slug>/members/<uuid:membership_id>/role")
@access("tenant", roles=MANAGERS)
def change_role(membership_id: uuid.UUID) -> Page:
    form = RoleForm()
    if not form.validate():
        return _render_members(422, error=_("Choose a role from the list."))
    try:
        member = services.change_role(current_user.id, membership_id, Role(form.role.data))
    except services.RuleError as error:
        return _render_members(422, error=error.message)
    return _back("tenants.members", _("%(name)s's role is saved.", name=member.user.name))


@bp.post("/c/<slug>/members/<uuid:membership_id>/remove")
@access("tenant", roles=MANAGERS)
def remove_member(membership_id: uuid.UUID) -> Page:
    def act() -> str:
        name = services.remove_member(current_user.id, membership_id)
        return _("%(name)s no longer has access to the center.", name=name)

    return _button_action(act)


@bp.post("/c/<slug>/invitations")
@access("tenant", roles=MANAGERS)
def invite() -> Page:
    form = InviteForm(include_owner=g.workspace.role == Role.OWNER)
    if form.validate():
        try:
            invitation = services.invite(
                _center(), current_user, form.email.data, Role(form.role.data)
            )
        except services.FieldError as error:
            _field_error(form, error)
        else:
            return _back(
                "tenants.members", _("Invitation sent to %(email)s.", email=invitation.email)
            )
    return _render_members(422, invite_form=form)


@bp.post("/c/<slug>/invitations/<uuid:invitation_id>/revoke")
@access("tenant", roles=MANAGERS)
def revoke_invitation(invitation_id: uuid.UUID) -> Page:
    def act() -> str:
        invitation = services.revoke_invitation(invitation_id)
        return _("The invitation to %(email)s is revoked.", email=invitation.email)

    return _button_action(act)


@bp.post("/c/<slug>/invitations/<uuid:invitation_id>/resend")
@access("tenant", roles=MANAGERS)
def resend_invitation(invitation_id: uuid.UUID) -> Page:
    def act() -> str:
        invitation = services.resend_invitation(_center(), current_user, invitation_id)
        return _("A new invitation link was sent to %(email)s.", email=invitation.email)

    return _button_action(act)


@bp.route("/c/<slug>/settings", methods=["GET", "POST"])
@access("tenant", roles=MANAGERS)
def settings() -> Page:
    center = _center()
    form = SettingsForm(obj=center)
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.SETTINGS_FIELDS}
        try:
            changed = services.update_settings(center, **values)
        except services.FieldError as error:
            _field_error(form, error)
        else:
            message = _("Settings saved.") if changed else _("Nothing to change.")
            return _back("tenants.settings", message, "success" if changed else "info")
    status = 422 if form.is_submitted() else 200
    return render_template("tenants/settings.html", form=form, center=center), status


def _day_start(day: Any, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


@bp.get("/c/<slug>/audit")
@access("tenant", roles=MANAGERS)
def audit_log() -> Page:
    people = sorted((str(m.user_id), m.user.name) for m in services.members())
    form = AuditFilterForm(request.args, members=people)
    form.validate()
    if form.errors:
        return render_template("tenants/audit_log.html", form=form, events=[]), 422
    zone = ZoneInfo(_center().timezone)
    try:
        events, older, names = services.audit_page(
            action=form.action.data or None,
            actor_id=uuid.UUID(form.member.data) if form.member.data else None,
            since=_day_start(form.since.data, zone) if form.since.data else None,
            # The end date is inclusive: up to the start of the next day.
            until=_day_start(form.until.data + timedelta(days=1), zone)
            if form.until.data
            else None,
            before=uuid.UUID(form.before.data) if form.before.data else None,
        )
    except LookupError:
        form.before.errors = [_("This page link is broken.")]
        return render_template("tenants/audit_log.html", form=form, events=[]), 422
    older_args = {k: v for k, v in request.args.items() if k != "before" and v}
    older_url = url_for("tenants.audit_log", before=older, **older_args) if older else None
    return render_template(
        "tenants/audit_log.html", form=form, events=events, names=names, older_url=older_url
    )


# --- joining through an invitation ---------------------------------------------------------


@bp.route("/c/<slug>/join/<token>", methods=["GET", "POST"])
@access("public")  # the token is the credential; the service resolves the center itself
def join(token: str) -> Page:
    slug = g.workspace_ref
    try:
        found = services.open_invitation(slug, token)
        if current_user.is_authenticated:
            # The signed-in invitee followed their own single-use link: nothing to ask.
            services.accept_invitation(slug, token, current_user)
            return _joined(found.tenant)
        if found.account_exists:
            return _sign_in_first(found.tenant)
        form = JoinForm()
        if form.validate_on_submit():
            account = {k: form[k].data for k in ("name", "password", "locale")}
            user, center = services.accept_invitation(slug, token, new_account=account)
            sessions.start_session(user)
            db.session.commit()
            return _joined(center)
    except services.InvitationUnavailable as error:
        page = render_template("tenants/invitation_unavailable.html", reason=error.reason)
        return page, error.status
    except services.WrongAccount:
        return render_template("tenants/invitation_unavailable.html", reason="other_account"), 403
    except services.AccountExists:
        # Created between showing the form and posting it.
        return _sign_in_first(found.tenant)
    if not form.is_submitted():
        # The language the invitee is reading this page in, as on sign-up.
        form.locale.data = str(get_locale() or found.tenant.locale)
    page = render_template("tenants/join.html", form=form, found=found)
    return page, 422 if form.is_submitted() else 200


def _sign_in_first(center: Any) -> Response:
    flash(_("You already have an account: sign in to join %(center)s.", center=center.legal_name))
    return redirect(url_for("accounts.login", next=request.path), code=303)


def _joined(center: Any) -> Response:
    flash(_("Welcome to %(center)s!", center=center.legal_name), "success")
    return redirect(url_for("tenants.dashboard", slug=center.slug), code=303)


# --- start-up wiring --------------------------------------------------------------------


def _on_email_verified(_app: Any, *, user: User, **_extra: Any) -> None:
    services.activate_pending_centers(user)


def init_app(app: Flask) -> None:
    """Register the center workspace resolver, its lister and the activation hook."""
    register_resolver(app, "tenant", services.resolve_workspace)
    register_lister(app, services.list_workspaces)
    register_owner(app, "tenant", services.describe_center)
    email_verified.connect(_on_email_verified)


# The API clients' pages are routes of this blueprint, kept in their own module; they
# must be added at import, before the blueprint is registered.
from tenants import integrations  # noqa: E402, F401
