"""The public contact forms of the marketplace: a visitor writes to a center, about one of
its mediators or the center itself, and the message becomes an inquiry in that center's
workspace (tenants.services.inquiries).

Spam is kept out by a honeypot field (a filled one is answered as a success, and nothing
is stored or sent) and a rate limit per client address, counted only for posts that
pass the form's checks (a refused post changes nothing). The mediator's own address is
neither shown nor used: the message goes to the center.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from core import ratelimit
from core.db import db
from core.forms import StrictForm, strip
from marketplace.models import CenterListing, MediatorListing
from tenants.services.inquiries import (
    MAX_EMAIL,
    MAX_MESSAGE,
    MAX_NAME,
    MIN_MESSAGE,
    InquiryInvalid,
    receive_inquiry,
)

# Per client address; MARKETPLACE_CONTACT_LIMIT = (count, seconds) overrides it.
DEFAULT_LIMIT = (5, 3600)


class CenterContactForm(StrictForm):
    """Name, email, message, consent; `website` is the honeypot, hidden from people."""

    name = StringField(
        _l("Your name"), filters=[strip], validators=[InputRequired(), Length(max=MAX_NAME)]
    )
    email = EmailField(
        _l("Your email address"),
        filters=[strip],
        validators=[InputRequired(), Length(max=MAX_EMAIL), Email()],
    )
    message = TextAreaField(
        _l("Your message"),
        filters=[strip],
        validators=[InputRequired(), Length(min=MIN_MESSAGE, max=MAX_MESSAGE)],
    )
    consent = BooleanField(
        _l("I agree to be contacted back about my request"),
        validators=[DataRequired(_l("Tick this box so that the center may answer you."))],
    )
    # Bots fill every field; people never see this one (visually hidden, not focusable).
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])


class MediatorContactForm(CenterContactForm):
    """The form of a mediator's page: the visitor picks which of their centers to write to."""

    center = SelectField(_l("Center to contact"), validators=[InputRequired()])

    def __init__(self, *args: Any, centers: list[dict[str, Any]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.center.choices = [
            (c["slug"], f"{c['name']} ({c['city']})" if c.get("city") else c["name"])
            for c in centers or []
        ]
        if self.center.data is None and self.center.choices:
            self.center.data = self.center.choices[0][0]


class TooManyMessages(Exception):
    """The client address sent its share of messages for now."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("too many messages")
        self.headers = headers


def is_spam(form: CenterContactForm) -> bool:
    return bool((form.website.data or "").strip())


def _count_message() -> None:
    limit, window = current_app.config.get("MARKETPLACE_CONTACT_LIMIT", DEFAULT_LIMIT)
    policy = ratelimit.Policy("marketplace-contact", int(limit), int(window))
    verdict = ratelimit.hit(policy, request.remote_addr or "unknown")
    if not verdict.allowed:
        raise TooManyMessages(verdict.headers())


def _center_id(slug: str) -> uuid.UUID | None:
    return db.session.scalar(select(CenterListing.center_id).where(CenterListing.slug == slug))


def send_message(
    form: CenterContactForm, center_slug: str, mediator: MediatorListing | None = None
) -> bool:
    """Hand a validated form to the center as an inquiry. True when sent (or a bot's post
    silently dropped); False with the service's messages set on the form's fields.
    TooManyMessages past the client's limit."""
    _count_message()
    if is_spam(form):
        return True
    center_id = _center_id(center_slug)
    if center_id is None:  # unlisted between the page and the post
        form.form_errors.append(_l("This center no longer takes messages here."))
        return False
    try:
        receive_inquiry(
            center_id,
            profile_id=mediator.profile_id if mediator else None,
            name=form.name.data or "",
            email=form.email.data or "",
            message=form.message.data or "",
            locale=str(get_locale() or "fr"),
        )
    except InquiryInvalid as invalid:
        db.session.rollback()
        for name, message in invalid.errors.items():
            field = getattr(form, "center" if name == "profile_id" else name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
            else:
                form.form_errors.append(message)
        return False
    return True
