"""A partner's webhook endpoints and their delivery log, in the partner's portal: the
web side of /api/v1/webhooks (referrals.webhooks_api).

Routes of the `partners` blueprint, for the organisation's administrators, built like
its API clients' pages (partner_integrations). The rules are referrals.webhooks', which
acts for the partner of the request's scope (core.access sets it from the URL's slug):
another partner's endpoint or delivery is missing there, so a 404 here. The views
commit. A signing secret is shown once, in the answer to the post that made it
(creating the endpoint, rotating its secret).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from core.access import access
from core.api import encode_cursor
from core.db import db, utcnow
from referrals import webhooks
from referrals.partner_views import ADMINS, Page, _back, _field_error, bp
from referrals.partner_webhook_forms import (
    DeliveryFilterForm,
    WebhookEndpointForm,
    delivery_status_label,
    disabled_reason_label,
    event_type_label,
)
from referrals.webhook_models import WebhookDelivery, WebhookEndpoint
from tenants.forms import ConfirmForm
from tenants.services.rules import FieldError

TEMPLATES = "referrals/partners"
PAGE_SIZE = 25
RECENT = 10  # deliveries on an endpoint's own page
HEALTH_WINDOW = timedelta(days=7)
PREVIOUS_SECRET_HOURS = int(webhooks.PREVIOUS_SECRET_KEPT.total_seconds() // 3600)


def _render(template: str, status: int = 200, **values: Any) -> Page:
    return render_template(
        f"{TEMPLATES}/{template}",
        event_type_label=event_type_label,
        disabled_reason_label=disabled_reason_label,
        delivery_status_label=delivery_status_label,
        max_endpoints=webhooks.MAX_ENDPOINTS,
        **values,
    ), status


def _shortened(url: str, size: int = 80) -> str:
    """A URL short enough for a flash message, which the session cookie carries."""
    return url if len(url) <= size else url[: size - 1] + "…"


def _unreadable() -> str:
    return _("This form could not be read. Please try again.")


# --- endpoints ----------------------------------------------------------------------------


@bp.get("/p/<partner_slug>/webhooks")
@access("partner", roles=ADMINS)
def webhook_endpoints() -> Page:
    return _render(
        "webhooks.html",
        endpoints=webhooks.endpoints(),
        health=webhooks.delivery_counts(utcnow() - HEALTH_WINDOW),
        health_days=HEALTH_WINDOW.days,
    )


def _secret_page(endpoint: WebhookEndpoint, *, rotated: bool) -> Page:
    """The only time a secret is shown: the answer to the post that made it."""
    return _render(
        "webhook_secret.html",
        endpoint=endpoint,
        secret=endpoint.secret,
        rotated=rotated,
        previous_until=webhooks.previous_secret_expires_at(endpoint),
    )


@bp.route("/p/<partner_slug>/webhooks/new", methods=["GET", "POST"])
@access("partner", roles=ADMINS)
def new_webhook_endpoint() -> Page:
    form = WebhookEndpointForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            endpoint = webhooks.create_endpoint(form.endpoint_input())
        except FieldError as error:
            _field_error(form, error)
        except webhooks.TooManyEndpoints as error:
            form.form_errors.append(error.message)
            status = 409
        else:
            db.session.commit()
            return _secret_page(endpoint, rotated=False)
    full = len(webhooks.endpoints()) >= webhooks.MAX_ENDPOINTS
    return _render("webhook_new.html", status, form=form, full=full)


def _render_endpoint(
    endpoint: WebhookEndpoint, status: int = 200, error: str | None = None
) -> Page:
    recent = webhooks.deliveries(endpoint_id=endpoint.id, status=None, limit=RECENT, after=None)
    return _render(
        "webhook.html",
        status,
        endpoint=endpoint,
        recent=recent,
        health=webhooks.delivery_counts(utcnow() - HEALTH_WINDOW).get(endpoint.id, {}),
        health_days=HEALTH_WINDOW.days,
        previous_until=webhooks.previous_secret_expires_at(endpoint),
        previous_hours=PREVIOUS_SECRET_HOURS,
        error=error,
    )


@bp.get("/p/<partner_slug>/webhooks/<uuid:endpoint_id>")
@access("partner", roles=ADMINS)
def webhook_endpoint(endpoint_id: uuid.UUID) -> Page:
    return _render_endpoint(webhooks.endpoint(endpoint_id))


@bp.route("/p/<partner_slug>/webhooks/<uuid:endpoint_id>/edit", methods=["GET", "POST"])
@access("partner", roles=ADMINS)
def edit_webhook_endpoint(endpoint_id: uuid.UUID) -> Page:
    endpoint = webhooks.endpoint(endpoint_id)
    # Filled from the endpoint on GET only: a field missing from a post is an error,
    # never the current value.
    form = WebhookEndpointForm(obj=endpoint) if request.method == "GET" else WebhookEndpointForm()
    if form.validate_on_submit():
        try:
            webhooks.update_endpoint(endpoint.id, form.changes())
        except FieldError as error:
            db.session.rollback()  # the fields set before the refused one
            _field_error(form, error)
        else:
            db.session.commit()
            return _back(
                "partners.webhook_endpoint", _("The endpoint is saved."), endpoint_id=endpoint.id
            )
    status = 422 if form.is_submitted() else 200
    return _render("webhook_edit.html", status, form=form, endpoint=endpoint)


def _switch(endpoint_id: uuid.UUID, *, enabled: bool) -> Page:
    endpoint = webhooks.endpoint(endpoint_id)
    if not ConfirmForm().validate():
        return _render_endpoint(endpoint, 422, _unreadable())
    webhooks.update_endpoint(endpoint.id, {"enabled": enabled})
    db.session.commit()
    if enabled:
        message = _("The endpoint is enabled: the next events are sent to it.")
    else:
        message = _("The endpoint is disabled: no event is sent to it until it is enabled again.")
    return _back("partners.webhook_endpoint", message, endpoint_id=endpoint.id)


@bp.post("/p/<partner_slug>/webhooks/<uuid:endpoint_id>/disable")
@access("partner", roles=ADMINS)
def disable_webhook_endpoint(endpoint_id: uuid.UUID) -> Page:
    return _switch(endpoint_id, enabled=False)


@bp.post("/p/<partner_slug>/webhooks/<uuid:endpoint_id>/enable")
@access("partner", roles=ADMINS)
def enable_webhook_endpoint(endpoint_id: uuid.UUID) -> Page:
    return _switch(endpoint_id, enabled=True)


@bp.post("/p/<partner_slug>/webhooks/<uuid:endpoint_id>/rotate-secret")
@access("partner", roles=ADMINS)
def rotate_webhook_secret(endpoint_id: uuid.UUID) -> Page:
    endpoint = webhooks.endpoint(endpoint_id)
    if not ConfirmForm().validate():
        return _render_endpoint(endpoint, 422, _unreadable())
    webhooks.rotate_secret(endpoint.id)
    db.session.commit()
    return _secret_page(endpoint, rotated=True)


@bp.route("/p/<partner_slug>/webhooks/<uuid:endpoint_id>/delete", methods=["GET", "POST"])
@access("partner", roles=ADMINS)
def delete_webhook_endpoint(endpoint_id: uuid.UUID) -> Page:
    """GET asks for confirmation; POST deletes the endpoint with its delivery log."""
    endpoint = webhooks.endpoint(endpoint_id)
    error = None
    if request.method == "POST":
        if ConfirmForm().validate():
            url = _shortened(endpoint.url)
            webhooks.delete_endpoint(endpoint.id)
            db.session.commit()
            message = _("The endpoint %(url)s is deleted, with its delivery log.", url=url)
            return _back("partners.webhook_endpoints", message)
        error = _unreadable()
    return _render("webhook_delete.html", 422 if error else 200, endpoint=endpoint, error=error)


# --- deliveries ---------------------------------------------------------------------------


@bp.get("/p/<partner_slug>/webhooks/deliveries")
@bp.get("/p/<partner_slug>/webhooks/<uuid:endpoint_id>/deliveries")
@access("partner", roles=ADMINS)
def webhook_deliveries(endpoint_id: uuid.UUID | None = None) -> Page:
    """The delivery log, newest first: every endpoint's, or one's; by status; in pages
    that follow the service's cursor."""
    endpoint = webhooks.endpoint(endpoint_id) if endpoint_id is not None else None
    form = DeliveryFilterForm(request.args)
    if not form.validate():
        return _render("webhook_deliveries.html", 422, form=form, endpoint=endpoint, found=None)
    found = webhooks.deliveries(
        endpoint_id=endpoint_id,
        status=form.status.data or None,
        limit=PAGE_SIZE,
        after=form.after(),
    )
    next_cursor = None
    if found.last is not None:
        next_cursor = encode_cursor(found.last[0].isoformat(), str(found.last[1]))
    return _render(
        "webhook_deliveries.html",
        form=form,
        endpoint=endpoint,
        found=found,
        next_cursor=next_cursor,
    )


def _case_of(delivery: WebhookDelivery) -> dict[str, Any]:
    """The case the event is about, as the payload names it (id and reference)."""
    referral = delivery.message.payload.get("referral")
    if not isinstance(referral, dict):
        return {}
    try:
        referral_id = uuid.UUID(str(referral.get("id")))
    except ValueError:
        return {}
    return {"id": referral_id, "reference": referral.get("reference")}


def _render_delivery(
    delivery: WebhookDelivery, status: int = 200, error: str | None = None
) -> Page:
    return _render(
        "webhook_delivery.html",
        status,
        delivery=delivery,
        attempts=webhooks.attempts(delivery),
        case=_case_of(delivery),
        payload=json.dumps(delivery.message.payload, indent=2, ensure_ascii=False),
        error=error,
    )


@bp.get("/p/<partner_slug>/webhooks/deliveries/<uuid:delivery_id>")
@access("partner", roles=ADMINS)
def webhook_delivery(delivery_id: uuid.UUID) -> Page:
    return _render_delivery(webhooks.delivery(delivery_id))


@bp.post("/p/<partner_slug>/webhooks/deliveries/<uuid:delivery_id>/redeliver")
@access("partner", roles=ADMINS)
def redeliver_webhook(delivery_id: uuid.UUID) -> Page:
    delivery = webhooks.delivery(delivery_id)
    if not ConfirmForm().validate():
        return _render_delivery(delivery, 422, _unreadable())
    try:
        webhooks.redeliver(delivery.id)
    except webhooks.EndpointDisabled as error:
        return _render_delivery(delivery, 409, error.message)
    db.session.commit()  # the attempt is queued once the transaction is committed
    message = _("A new attempt is on its way: it appears in the log below once made.")
    return _back("partners.webhook_delivery", message, delivery_id=delivery.id)
