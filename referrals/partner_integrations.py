"""A partner's API clients (the partner side of the OAuth server): list, register, rotate
a secret, disable, enable. The centers' pages (tenants.integrations) for partners.

Routes of the `partners` blueprint, for the organisation's administrators. The rules
and the security-log records are core.oauth.clients'; the views commit. A client is
always reached through the partner as its owner (`client_of`), so another partner's
client, or a center's, is a 404. A secret is shown once, in the answer to the post that
made it: it is never stored in clear, not even in the session.
"""

from __future__ import annotations

import uuid

from flask import abort, g, render_template
from flask_babel import gettext as _
from flask_login import current_user

from core.access import access
from core.db import db
from core.errors import DomainError
from core.oauth import clients as oauth_clients
from core.oauth.clients import ClientInvalid, Owner
from core.oauth.models import OAuthClient
from referrals.partner_forms import PartnerClientForm
from referrals.partner_views import ADMINS, Page, _back, bp
from tenants.forms import ConfirmForm

SECRET_GRACE_HOURS = int(oauth_clients.SECRET_GRACE.total_seconds() // 3600)
TEMPLATES = "referrals/partners"


def _owner() -> Owner:
    return Owner("partner", g.workspace.id)


def _client_or_404(client_pk: uuid.UUID) -> OAuthClient:
    client = oauth_clients.client_of(_owner(), client_pk)
    if client is None:
        abort(404)
    return client


def _render_client(client: OAuthClient, status: int = 200, error: str | None = None) -> Page:
    return render_template(
        f"{TEMPLATES}/integration.html",
        client=client,
        secrets=oauth_clients.live_secrets(client),
        grace_hours=SECRET_GRACE_HOURS,
        error=error,
    ), status


def _secret_page(client: OAuthClient, secret: str, *, rotated: bool) -> Page:
    """The only time a secret is shown: the answer to the post that made it."""
    return render_template(
        f"{TEMPLATES}/integration_secret.html",
        client=client,
        secret=secret,
        rotated=rotated,
        grace_hours=SECRET_GRACE_HOURS,
    )


def _show_rule_errors(form: PartnerClientForm, errors: dict[str, str]) -> None:
    """The service's refusals, each on its field unless the form already flagged it."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        elif not field.errors:
            field.errors = [message]


@bp.get("/p/<partner_slug>/integrations")
@access("partner", roles=ADMINS)
def integrations() -> Page:
    clients = oauth_clients.clients_of(_owner())
    return render_template(
        f"{TEMPLATES}/integrations.html",
        clients=clients,
        secrets={c.id: oauth_clients.live_secrets(c) for c in clients},
    )


@bp.route("/p/<partner_slug>/integrations/new", methods=["GET", "POST"])
@access("partner", roles=ADMINS)
def new_integration() -> Page:
    form = PartnerClientForm()
    if form.validate_on_submit():
        try:
            client, secret = oauth_clients.register_client(_owner(), form.spec(), current_user.id)
        except ClientInvalid as invalid:
            _show_rule_errors(form, invalid.errors)
        except DomainError as error:  # the organisation has too many clients
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            if secret is None:
                message = _("%(name)s is registered.", name=client.name)
                return _back("partners.integration", message, partner_client_id=client.id)
            return _secret_page(client, secret, rotated=False)
    elif form.is_submitted():
        # The registration rules too, so that every mistake shows at once.
        _show_rule_errors(form, oauth_clients.check_spec("partner", form.spec()))
    status = 422 if form.is_submitted() else 200
    return render_template(f"{TEMPLATES}/integration_new.html", form=form), status


@bp.get("/p/<partner_slug>/integrations/<uuid:partner_client_id>")
@access("partner", roles=ADMINS)
def integration(partner_client_id: uuid.UUID) -> Page:
    return _render_client(_client_or_404(partner_client_id))


def _unreadable(client: OAuthClient) -> Page:
    return _render_client(client, 422, _("This form could not be read. Please try again."))


@bp.post("/p/<partner_slug>/integrations/<uuid:partner_client_id>/rotate-secret")
@access("partner", roles=ADMINS)
def rotate_integration_secret(partner_client_id: uuid.UUID) -> Page:
    client = _client_or_404(partner_client_id)
    if not ConfirmForm().validate():
        return _unreadable(client)
    try:
        secret = oauth_clients.rotate_secret(client)
    except DomainError as error:  # a public client has no secret
        return _render_client(client, 422, error.message)
    db.session.commit()
    return _secret_page(client, secret, rotated=True)


@bp.post("/p/<partner_slug>/integrations/<uuid:partner_client_id>/disable")
@access("partner", roles=ADMINS)
def disable_integration(partner_client_id: uuid.UUID) -> Page:
    client = _client_or_404(partner_client_id)
    if not ConfirmForm().validate():
        return _unreadable(client)
    oauth_clients.disable_client(client)
    db.session.commit()
    message = _("%(name)s is disabled: it can no longer get tokens.", name=client.name)
    return _back("partners.integration", message, partner_client_id=client.id)


@bp.post("/p/<partner_slug>/integrations/<uuid:partner_client_id>/enable")
@access("partner", roles=ADMINS)
def enable_integration(partner_client_id: uuid.UUID) -> Page:
    client = _client_or_404(partner_client_id)
    if not ConfirmForm().validate():
        return _unreadable(client)
    oauth_clients.enable_client(client)
    db.session.commit()
    message = _("%(name)s is enabled.", name=client.name)
    return _back("partners.integration", message, partner_client_id=client.id)
