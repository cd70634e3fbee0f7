"""A partner organisation's sign-up, members and invitations: the centers' pages
(tenants.views) for partners. Views are thin: parse the form, call one service, answer.

A rule refusal re-renders the page with HTTP 422; a missing or foreign id is a 404 from
the service (every lookup filters on the acting partner). Administrators manage
members and invitations; referrers read the member list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
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

from core.access import access, bind_workspace_slug
from core.accounts import sessions
from core.accounts.models import User
from core.accounts.signals import email_verified
from core.clock import now
from core.db import db
from referrals import partner_invitations as invitations
from referrals import partner_members, partner_signup, services
from referrals.models import Partner, PartnerRole
from referrals.partner_forms import (
    PartnerInviteForm,
    PartnerRoleForm,
    PartnerSignupForm,
    PartnerSignupSignedInForm,
)
from tenants.forms import ConfirmForm, JoinForm
from tenants.services.rules import FieldError, RuleError

bp = Blueprint("partners", __name__, template_folder="templates")
ADMINS = (PartnerRole.ADMIN.value,)
# A partner has no time zone of its own: its pages show Paris time, like the portal.
PARTNER_ZONE = "Europe/Paris"
Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "partner", "partner_slug")


def partner_time(moment: datetime | None) -> str:
    """A UTC moment in Paris time and the page's language."""
    if moment is None:
        return ""
    locale = str(get_locale() or "fr")
    return format_datetime(moment, "medium", tzinfo=ZoneInfo(PARTNER_ZONE), locale=locale)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"partner_time": partner_time}


def _partner() -> Partner:
    return g.workspace.obj


def _field_error(form: Any, error: FieldError) -> None:
    getattr(form, error.field).errors = [*getattr(form, error.field).errors, error.message]


def _back(endpoint: str, message: str, category: str = "success", **values: Any) -> Response:
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


# --- sign-up --------------------------------------------------------------------------


@bp.route("/partners/signup", methods=["GET", "POST"])
@access("public")
def signup() -> Page:
    """Someone signed in registers the organisation with their own account; anyone else
    creates their account along with it."""
    signed_in = current_user.is_authenticated
    form = PartnerSignupSignedInForm() if signed_in else PartnerSignupForm()
    if form.validate_on_submit():
        try:
            if signed_in:
                user = current_user._get_current_object()
                partner = partner_signup.sign_up(form.organisation(), user=user)
            else:
                account = form.account(str(get_locale() or "fr"))
                partner = partner_signup.sign_up(form.organisation(), account)
        except FieldError as error:
            _field_error(form, error)
        else:
            if partner.is_live:
                message = _("Welcome to %(center)s!", center=partner.name)
                return _back("referrals.dashboard", message, partner_slug=partner.slug)
            session["signup_email"] = current_user.email if signed_in else form.email.data
            return redirect(url_for("partners.signup_done"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("referrals/partners/signup.html", form=form, signed_in=signed_in), status


@bp.get("/partners/signup/check-email")
@access("public")
def signup_done() -> Page:
    hours = int(current_app.config["EMAIL_TOKEN_TTL"].total_seconds() // 3600)
    email = session.get("signup_email")
    return render_template("referrals/partners/signup_done.html", email=email, hours=hours)


# --- members and invitations ---------------------------------------------------------------


def _render_members(status: int = 200, **forms: Any) -> Page:
    partner = _partner()
    is_admin = g.workspace.role in ADMINS
    forms.setdefault("invite_form", PartnerInviteForm(formdata=None))
    return render_template(
        "referrals/partners/members.html",
        partner=partner,
        members=services.members(partner.id),
        invitations=invitations.pending_invitations(partner.id) if is_admin else [],
        role_form=PartnerRoleForm(formdata=None),
        now=now(),
        is_admin=is_admin,
        **forms,
    ), status


def _button_action(act: Callable[[], str]) -> Page:
    """A members-page button (remove, revoke, resend): it posts nothing but its CSRF
    token; `act` runs the service and returns the confirmation."""
    if not ConfirmForm().validate():
        return _render_members(422, error=_("This form could not be read. Please try again."))
    try:
        message = act()
    except RuleError as error:
        return _render_members(422, error=error.message)
    return _back("partners.members", message)


@bp.get("/p/<partner_slug>/members")
@access("partner")
def members() -> Page:
    return _render_members()


@bp.post("/p/<partner_slug>/members/<uuid:partner_membership_id>/role")
@access("partner", roles=ADMINS)
def change_role(partner_membership_id: uuid.UUID) -> Page:
    form = PartnerRoleForm()
    if not form.validate():
        return _render_members(422, error=_("Choose a role from the list."))
    try:
        member = partner_members.change_role(
            _partner().id, current_user.id, partner_membership_id, PartnerRole(form.role.data)
        )
    except RuleError as error:
        return _render_members(422, error=error.message)
    return _back("partners.members", _("%(name)s's role is saved.", name=member.user.name))


@bp.post("/p/<partner_slug>/members/<uuid:partner_membership_id>/remove")
@access("partner", roles=ADMINS)
def remove_member(partner_membership_id: uuid.UUID) -> Page:
    def act() -> str:
        name = partner_members.remove_member(_partner().id, current_user.id, partner_membership_id)
        return _("%(name)s no longer has access to the organisation.", name=name)

    return _button_action(act)


@bp.post("/p/<partner_slug>/invitations")
@access("partner", roles=ADMINS)
def invite() -> Page:
    form = PartnerInviteForm()
    if form.validate():
        try:
            invitation = invitations.invite(
                _partner(), current_user, form.email.data, PartnerRole(form.role.data)
            )
        except FieldError as error:
            _field_error(form, error)
        except RuleError as error:
            return _render_members(422, invite_form=form, error=error.message)
        else:
            message = _("Invitation sent to %(email)s.", email=invitation.email)
            return _back("partners.members", message)
    return _render_members(422, invite_form=form)


@bp.post("/p/<partner_slug>/invitations/<uuid:partner_invitation_id>/revoke")
@access("partner", roles=ADMINS)
def revoke_invitation(partner_invitation_id: uuid.UUID) -> Page:
    def act() -> str:
        invitation = invitations.revoke_invitation(_partner().id, partner_invitation_id)
        return _("The invitation to %(email)s is revoked.", email=invitation.email)

    return _button_action(act)


@bp.post("/p/<partner_slug>/invitations/<uuid:partner_invitation_id>/resend")
@access("partner", roles=ADMINS)
def resend_invitation(partner_invitation_id: uuid.UUID) -> Page:
    def act() -> str:
        invitation = invitations.resend_invitation(_partner(), current_user, partner_invitation_id)
        return _("A new invitation link was sent to %(email)s.", email=invitation.email)

    return _button_action(act)


# --- joining through an invitation ---------------------------------------------------------


@bp.route("/p/<partner_slug>/join/<token>", methods=["GET", "POST"])
@access("public")  # the token is the credential; the service resolves the partner itself
def join(token: str) -> Page:
    slug = g.workspace_ref
    try:
        found = invitations.open_invitation(slug, token)
        if current_user.is_authenticated:
            # The signed-in invitee followed their own single-use link: nothing to ask.
            invitations.accept_invitation(slug, token, current_user)
            return _joined(found.partner)
        if found.account_exists:
            return _sign_in_first(found.partner)
        form = JoinForm()
        if form.validate_on_submit():
            account = {k: form[k].data for k in ("name", "password", "locale")}
            user, partner = invitations.accept_invitation(slug, token, new_account=account)
            sessions.start_session(user)
            db.session.commit()
            return _joined(partner)
    except invitations.InvitationUnavailable as error:
        template = "referrals/partners/invitation_unavailable.html"
        return render_template(template, reason=error.reason), error.status
    except invitations.WrongAccount:
        template = "referrals/partners/invitation_unavailable.html"
        return render_template(template, reason="other_account"), 403
    except invitations.AccountExists:
        # Created between showing the form and posting it.
        return _sign_in_first(found.partner)
    if not form.is_submitted():
        form.locale.data = str(get_locale() or "fr")
    page = render_template("referrals/partners/join.html", form=form, found=found)
    return page, 422 if form.is_submitted() else 200


def _sign_in_first(partner: Partner) -> Response:
    flash(_("You already have an account: sign in to join %(center)s.", center=partner.name))
    return redirect(url_for("accounts.login", next=request.path), code=303)


def _joined(partner: Partner) -> Response:
    flash(_("Welcome to %(center)s!", center=partner.name), "success")
    return redirect(url_for("referrals.dashboard", partner_slug=partner.slug), code=303)


# --- start-up wiring --------------------------------------------------------------------


def _on_email_verified(_app: Any, *, user: User, **_extra: Any) -> None:
    partner_signup.activate_pending_partners(user)


def init_app(app: Flask) -> None:
    """Put a partner live when its administrator verifies their email."""
    email_verified.connect(_on_email_verified)


# The API clients' and the webhooks' pages are routes of this blueprint, kept in their
# own modules; they must be added at import, before the blueprint is registered.
from referrals import partner_integrations, partner_webhooks  # noqa: E402, F401
