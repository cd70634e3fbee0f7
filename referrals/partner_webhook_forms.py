"""Web forms of a partner's webhook endpoints and of their delivery log, and the labels
their pages show. The limits are the API's (referrals.webhook_schemas): the URL's length
(webhook_transport) and the description's and event types' (webhooks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest
from wtforms import SelectField, SelectMultipleField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.api import decode_cursor
from core.forms import StrictForm, strip
from referrals.forms import EVENT_LABELS
from referrals.webhook_jobs import GONE_REASON
from referrals.webhook_models import DeliveryStatus
from referrals.webhook_schemas import DELIVERY_STATUSES
from referrals.webhook_transport import MAX_URL_LENGTH, DestinationRefused, check_url
from referrals.webhooks import DISABLED_BY_PARTNER, EVENT_TYPES, MAX_DESCRIPTION, EndpointInput

# An event type is `referral.<new status>`: it is labelled like the case's timeline step
# that leads to that status (referrals.forms.EVENT_LABELS, by the event's kind).
_STEP_OF_STATUS = {
    "submitted": "created",
    "acknowledged": "acknowledge",
    "accepted": "accept",
    "declined": "decline",
    "cancelled": "cancel",
    "assigned": "assign",
    "scheduled": "schedule",
    "concluded": "record_outcome",
    "closed": "close",
}
# The reasons are stored in English (the API returns them as they are): the pages
# translate the known ones.
DISABLED_REASON_LABELS: dict[str, Any] = {
    DISABLED_BY_PARTNER: _l("Disabled by your organisation."),
    GONE_REASON: _l("The receiver answered 410 Gone: it asked for no more deliveries."),
}
DELIVERY_STATUS_LABELS: dict[str, Any] = {
    DeliveryStatus.PENDING: _l("Pending"),
    DeliveryStatus.SUCCEEDED: _l("Succeeded"),
    DeliveryStatus.FAILED: _l("Failed"),
    DeliveryStatus.ABANDONED: _l("Abandoned"),
}
MAX_CURSOR = 200  # an encoded (time, id) pair is about 100 characters


def event_type_label(event_type: str) -> str:
    step = _STEP_OF_STATUS.get(event_type.removeprefix("referral."))
    return str(EVENT_LABELS[step]) if step in EVENT_LABELS else event_type


def disabled_reason_label(reason: str | None) -> str:
    return str(DISABLED_REASON_LABELS.get(reason or "", reason or ""))


def delivery_status_label(status: str) -> str:
    return str(DELIVERY_STATUS_LABELS.get(status, status))


class WebhookEndpointForm(StrictForm):
    """An endpoint's URL, description and events; referrals.webhooks holds the rules."""

    url = URLField(
        _l("Endpoint URL"),
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_URL_LENGTH)],
        description=_l(
            "An https URL of a server of yours. Redirects are not followed, and "
            "addresses of private networks are refused."
        ),
    )
    description = StringField(
        _l("Description (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_DESCRIPTION)],
        description=_l("What receives the events, for your team: “Case software”."),
    )
    event_types = SelectMultipleField(
        _l("Events to send"),
        choices=list(EVENT_TYPES),  # labelled at each instance, in the page's language
        validators=[Optional()],
        description=_l("Choose none to receive every event, those added later included."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_types.choices = [SelectChoice(t, event_type_label(t)) for t in EVENT_TYPES]

    def validate_url(self, field: URLField) -> None:
        """The service's check of the URL's shape, here too so that every mistake of
        the form shows at once."""
        if field.errors or not field.data:
            return
        try:
            check_url(field.data, allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
        except DestinationRefused as refused:
            raise ValidationError(
                str(_l("This URL cannot receive webhooks: %(reason)s", reason=str(refused)))
            ) from None

    def validate_event_types(self, field: SelectMultipleField) -> None:
        if len(field.data or []) > len(EVENT_TYPES):
            raise ValidationError(_l("Choose each event at most once."))

    def endpoint_input(self) -> EndpointInput:
        return EndpointInput(**self.changes())

    def changes(self) -> dict[str, Any]:
        return {
            "url": self.url.data or "",
            "description": self.description.data or None,
            "event_types": list(self.event_types.data or []),
        }


class DeliveryFilterForm(FlaskForm):
    """The delivery log's filter and page (a GET form: no CSRF, it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Any status")),
            *(SelectChoice(s, DELIVERY_STATUS_LABELS[s]) for s in DELIVERY_STATUSES),
        ],
        validators=[Optional()],
    )
    # The service's cursor: the sort key of the previous page's last delivery.
    cursor = StringField(validators=[Optional(), Length(max=MAX_CURSOR)])

    def validate_cursor(self, field: StringField) -> None:
        if field.data and not field.errors and _after(field.data) is None:
            raise ValidationError(_l("This page link is not valid: start again from the newest."))

    def after(self) -> tuple[datetime, uuid.UUID] | None:
        """The cursor, once the form is valid, as referrals.webhooks.deliveries takes it."""
        return _after(self.cursor.data) if self.cursor.data else None


def _after(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    """A cursor's (created_at, id), or None for one that was not made by the log."""
    try:
        created_at, last_id = decode_cursor(cursor, 2)
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except (BadRequest, ValueError):
        return None
