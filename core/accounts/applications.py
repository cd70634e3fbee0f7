"""Connected applications: what a person has allowed through the OAuth consent page,
and withdrawing it. Routes of the accounts blueprint (imported by views.py).

Only the applications holding a live grant of the signed-in person are reachable here:
any other client id, existing or not, is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import access
from core.accounts.views import _see_other, bp
from core.db import db
from core.forms import ButtonForm
from core.oauth import clients as oauth_clients
from core.oauth.models import OAuthClient
from core.oauth.scopes import SCOPES


def _applications_page(status: int = 200, error: str | None = None) -> tuple[str, int]:
    user_id = current_user.id
    applications: list[dict[str, Any]] = [
        {
            "client": client,
            "owner": oauth_clients.describe_owner(client.owner_kind, client.owner_id) or {},
            "scopes": [SCOPES[name] for name in oauth_clients.granted_scopes(user_id, client)],
        }
        for client in oauth_clients.authorized_clients(user_id)
    ]
    page = render_template("accounts/applications.html", applications=applications, error=error)
    return page, status


def _authorized_or_404(client_id: uuid.UUID) -> OAuthClient:
    for client in oauth_clients.authorized_clients(current_user.id):
        if client.id == client_id:
            return client
    abort(404)


@bp.get("/account/applications")
@access("own")
def applications():
    return _applications_page()


@bp.post("/account/applications/<uuid:client_id>/revoke")
@access("own")
def revoke_application(client_id: uuid.UUID):
    client = _authorized_or_404(client_id)
    if not ButtonForm().validate():
        return _applications_page(422, _("This form could not be read. Please try again."))
    oauth_clients.revoke_user_grants(current_user.id, client)
    db.session.commit()
    flash(_("%(name)s no longer has access to your account.", name=client.name), "success")
    return _see_other(url_for("accounts.applications"))
