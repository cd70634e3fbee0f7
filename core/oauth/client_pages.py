"""An organisation's API clients, as web pages: list, register, rotate a secret, disable,
enable. A center's and a partner's are the same pages: each domain adds them to its
workspace blueprint with `add_client_pages`, naming the owner kind, the roles that
manage the clients, its registration form and the few words its pages say of it.

The rules and the audit records are core.oauth.clients'; the views commit. A client is
always reached through the workspace as its owner (`client_of`), so another owner's
client is a 404. A secret is shown once, in the answer to the post that made it: it is
never stored in clear, not even in the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from core.access import access
from core.db import db
from core.errors import DomainError
from core.forms import ButtonForm
from core.oauth import clients as oauth_clients
from core.oauth.clients import ClientInvalid, Owner
from core.oauth.forms import GRANT_TYPE_LABELS
from core.oauth.models import OAuthClient
from core.oauth.scopes import SCOPES

SECRET_GRACE_HOURS = int(oauth_clients.SECRET_GRACE.total_seconds() // 3600)
Page = str | tuple[str, int] | Response

# (path under the workspace's prefix, endpoint, methods); <client> is the client's row id.
ROUTES = (
    ("", "integrations", ["GET"]),
    ("/new", "new_integration", ["GET", "POST"]),
    ("/<client>", "integration", ["GET"]),
    ("/<client>/rotate-secret", "rotate_integration_secret", ["POST"]),
    ("/<client>/disable", "disable_integration", ["POST"]),
    ("/<client>/enable", "enable_integration", ["POST"]),
)


@dataclass(frozen=True)
class ClientPages:
    """How one kind of organisation shows its API clients."""

    kind: Literal["tenant", "partner"]  # the clients' owner kind and the pages' access class
    roles: tuple[str, ...]  # the workspace roles that manage the clients
    form: Callable[[], Any]  # the registration form; its spec() is a ClientSpec
    id_arg: str  # the URL argument that names a client (its row id)
    templates: str  # the folder of the list and registration pages, which extend core's
    local_time: Callable[[datetime | None], str]  # a moment in the workspace's time


def add_client_pages(bp: Blueprint, prefix: str, pages: ClientPages) -> None:
    """Add the pages under `prefix` (e.g. /c/<slug>/integrations) to `bp`, with the
    endpoint names of ROUTES, which the templates and tests call them by."""
    views = _ClientViews(bp.name, pages)
    for path, endpoint, methods in ROUTES:
        rule = prefix + path.replace("<client>", f"<uuid:{pages.id_arg}>")
        view = access(pages.kind, roles=pages.roles)(getattr(views, endpoint))
        bp.add_url_rule(rule, endpoint, view, methods=methods)


class _ClientViews:
    """The pages' views for one blueprint and one kind of owner."""

    def __init__(self, blueprint: str, pages: ClientPages) -> None:
        self.blueprint, self.pages = blueprint, pages

    # --- helpers --------------------------------------------------------------------

    def _owner(self) -> Owner:
        return Owner(self.pages.kind, g.workspace.id)

    def _client_or_404(self, url_args: dict[str, uuid.UUID]) -> OAuthClient:
        client = oauth_clients.client_of(self._owner(), url_args[self.pages.id_arg])
        if client is None:
            abort(404)
        return client

    def _url(self, endpoint: str, client: OAuthClient | None = None) -> str:
        ids = {self.pages.id_arg: client.id} if client is not None else {}
        return url_for(f"{self.blueprint}.{endpoint}", **ids)

    def _back(self, client: OAuthClient, message: str) -> Response:
        flash(message, "success")
        return redirect(self._url("integration", client), code=303)

    def _render(self, template: str, status: int = 200, **context: Any) -> Page:
        return render_template(
            template,
            page_url=self._url,
            local_time=self.pages.local_time,
            grant_label=lambda name: GRANT_TYPE_LABELS.get(name, name),
            scope_description=lambda name: SCOPES[name].description if name in SCOPES else name,
            grace_hours=SECRET_GRACE_HOURS,
            **context,
        ), status

    def _render_client(self, client: OAuthClient, status: int = 200, error: Any = None) -> Page:
        secrets = oauth_clients.live_secrets(client)
        return self._render(
            "oauth/integration.html", status, client=client, secrets=secrets, error=error
        )

    def _secret_page(self, client: OAuthClient, secret: str, *, rotated: bool) -> Page:
        """The only time a secret is shown: the answer to the post that made it."""
        return self._render(
            "oauth/integration_secret.html", client=client, secret=secret, rotated=rotated
        )

    def _unreadable(self, client: OAuthClient) -> Page:
        return self._render_client(client, 422, _("This form could not be read. Please try again."))

    # --- the views ------------------------------------------------------------------

    def integrations(self) -> Page:
        clients = oauth_clients.clients_of(self._owner())
        secrets = {c.id: oauth_clients.live_secrets(c) for c in clients}
        return self._render(
            f"{self.pages.templates}/integrations.html", clients=clients, secrets=secrets
        )

    def new_integration(self) -> Page:
        form = self.pages.form()
        if form.validate_on_submit():
            try:
                client, secret = oauth_clients.register_client(
                    self._owner(), form.spec(), current_user.id
                )
            except ClientInvalid as invalid:
                _show_rule_errors(form, invalid.errors)
            except DomainError as error:  # the organisation has too many clients
                form.form_errors.append(error.message)
            else:
                db.session.commit()
                if secret is None:
                    return self._back(client, _("%(name)s is registered.", name=client.name))
                return self._secret_page(client, secret, rotated=False)
        elif form.is_submitted():
            # The registration rules too, so that every mistake shows at once.
            _show_rule_errors(form, oauth_clients.check_spec(self.pages.kind, form.spec()))
        status = 422 if form.is_submitted() else 200
        return self._render(f"{self.pages.templates}/integration_new.html", status, form=form)

    def integration(self, **url_args: uuid.UUID) -> Page:
        return self._render_client(self._client_or_404(url_args))

    def rotate_integration_secret(self, **url_args: uuid.UUID) -> Page:
        client = self._client_or_404(url_args)
        if not ButtonForm().validate():
            return self._unreadable(client)
        try:
            secret = oauth_clients.rotate_secret(client)
        except DomainError as error:  # a public client has no secret
            return self._render_client(client, 422, error.message)
        db.session.commit()
        return self._secret_page(client, secret, rotated=True)

    def disable_integration(self, **url_args: uuid.UUID) -> Page:
        client = self._client_or_404(url_args)
        if not ButtonForm().validate():
            return self._unreadable(client)
        oauth_clients.disable_client(client)
        db.session.commit()
        message = _("%(name)s is disabled: it can no longer get tokens.", name=client.name)
        return self._back(client, message)

    def enable_integration(self, **url_args: uuid.UUID) -> Page:
        client = self._client_or_404(url_args)
        if not ButtonForm().validate():
            return self._unreadable(client)
        oauth_clients.enable_client(client)
        db.session.commit()
        return self._back(client, _("%(name)s is enabled.", name=client.name))


def _show_rule_errors(form: Any, errors: dict[str, str]) -> None:
    """The service's refusals, each on its field unless the form already flagged it."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        elif not field.errors:
            field.errors = [message]
