"""Inquiries: a visitor's message to a center, received from the public contact form,
emailed to the center and followed up in its workspace.

`receive_inquiry` is called for an anonymous visitor (no scope): it enters the center's
tenant scope itself. The email goes to the center page's private contact address, or to
its owners and administrators; it names the mediator asked about, never their email.
The rest runs in the request's tenant scope: missing and foreign inquiries are both 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.accounts.services.links import public_url
from core.clock import now
from core.credentials.models import MediatorProfile
from core.db import db
from core.errors import DomainError
from core.mail import render, send_email
from core.tenancy import tenant_scope
from tenants.models import MANAGER_ROLES, Affiliation, AffiliationStatus, Membership, Tenant
from tenants.services.rules import FieldError, NotFound
from tenants.storefront_models import CenterProfile, Inquiry, InquiryStatus

MAX_NAME = 120
MAX_EMAIL = 254
MIN_MESSAGE, MAX_MESSAGE = 10, 5000
PAGE_SIZE = 25

# Where an inquiry may go from each status (back to "in progress" reopens a closed one).
TRANSITIONS: dict[InquiryStatus, tuple[InquiryStatus, ...]] = {
    InquiryStatus.NEW: (InquiryStatus.IN_PROGRESS, InquiryStatus.CLOSED),
    InquiryStatus.IN_PROGRESS: (InquiryStatus.CLOSED,),
    InquiryStatus.CLOSED: (InquiryStatus.IN_PROGRESS,),
}


class InquiryInvalid(DomainError):
    status = 422
    code = "invalid-inquiry"

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _checked(name: str, email: str, message: str) -> tuple[dict[str, object], str]:
    errors: dict[str, object] = {}
    # The name goes into the mail's subject: a line break would forge a header or body.
    if not 1 <= len(name) <= MAX_NAME or _has_control_characters(name):
        errors["name"] = _l("Give a name of 1 to %(max)d characters.", max=MAX_NAME)
    normalized = ""
    if not email or len(email) > MAX_EMAIL or _has_control_characters(email):
        errors["email"] = _l("Give a valid email address.")
    else:
        try:
            normalized = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _l("Give a valid email address.")
    length = len(message)
    if not MIN_MESSAGE <= length <= MAX_MESSAGE:
        errors["message"] = _l(
            "Write a message of %(min)d to %(max)d characters.", min=MIN_MESSAGE, max=MAX_MESSAGE
        )
    return errors, normalized


def _mediator(profile_id: uuid.UUID) -> MediatorProfile | None:
    """The mediator asked about, if the center works with them (in the tenant scope)."""
    return db.session.scalar(
        select(MediatorProfile)
        .join(Affiliation, Affiliation.profile_id == MediatorProfile.id)
        .where(
            MediatorProfile.id == profile_id,
            Affiliation.status.in_((AffiliationStatus.ACTIVE, AffiliationStatus.SUSPENDED)),
        )
    )


def _recipients(tenant: Tenant) -> list[tuple[str, str]]:
    """(address, language) of whoever receives the center's inquiries."""
    page = db.session.scalar(select(CenterProfile))
    if page is not None and page.contact_email:
        return [(page.contact_email, tenant.locale)]
    members = db.session.scalars(
        select(Membership)
        .where(Membership.role.in_(MANAGER_ROLES))
        .order_by(Membership.created_at, Membership.id)
    ).all()
    return [(m.user.email, m.user.locale or tenant.locale) for m in members]


def _mail(tenant: Tenant, inquiry: Inquiry, mediator: MediatorProfile | None) -> None:
    link = public_url("inquiries.show", slug=tenant.slug, inquiry_id=str(inquiry.id))
    for address, locale in _recipients(tenant):
        subject, body = render(
            "inquiry",
            locale,
            center=tenant.legal_name,
            name=inquiry.name,
            email=inquiry.email,
            message=inquiry.message,
            mediator=mediator.display_name if mediator else None,
            link=link,
        )
        # Replying answers the visitor; the center's address stays the recipient only.
        send_email.delay(
            to=address, subject=subject, body=body, headers={"Reply-To": inquiry.email}
        )


def receive_inquiry(
    center_id: uuid.UUID,
    *,
    profile_id: uuid.UUID | None,
    name: str,
    email: str,
    message: str,
    locale: str,
) -> Inquiry:
    """Store a visitor's message to a center (about one of its mediators, or the center)
    and email it to the center; commits. The caller has checked the visitor's consent
    to be contacted back. InquiryInvalid, with a message per field, for bad input;
    NotFound for a center that is not live."""
    name, email, message = (name or "").strip(), (email or "").strip(), (message or "").strip()
    errors, normalized = _checked(name, email, message)
    with tenant_scope(center_id):
        tenant = db.session.get(Tenant, center_id)
        if tenant is None or not tenant.is_live:
            raise NotFound("unknown center")
        mediator = _mediator(profile_id) if profile_id is not None else None
        if profile_id is not None and mediator is None:
            errors["profile_id"] = _l("This mediator does not work with the center.")
        if errors:
            raise InquiryInvalid(errors)
        inquiry = Inquiry(
            tenant_id=center_id,
            profile_id=profile_id,
            name=name,
            email=normalized,
            message=message,
            locale=(locale or "fr")[:5],
            consented_at=now(),
            status=InquiryStatus.NEW,
        )
        db.session.add(inquiry)
        db.session.flush()
        # The visitor's name and address stay out of the audit trail (kept with the row).
        audit.record("inquiry.received", object_type="inquiry", object_id=inquiry.id)
        _mail(tenant, inquiry, mediator)
        db.session.commit()
    return inquiry


# --- the center's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class InquiryPage:
    items: list[Inquiry]
    page: int
    pages: int
    total: int


def list_inquiries(status: InquiryStatus | None = None, page: int = 1) -> InquiryPage:
    """The center's inquiries, newest first, optionally of one status."""
    query = select(Inquiry)
    counting = select(func.count(Inquiry.id))
    if status is not None:
        query = query.where(Inquiry.status == status)
        counting = counting.where(Inquiry.status == status)
    total = db.session.scalar(counting) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    items = db.session.scalars(
        query.order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return InquiryPage(list(items), page, pages, total)


def count_new() -> int:
    return (
        db.session.scalar(select(func.count(Inquiry.id)).where(Inquiry.status == InquiryStatus.NEW))
        or 0
    )


def inquiry_of(inquiry_id: uuid.UUID) -> Inquiry:
    """One of the center's inquiries; NotFound for another center's or a missing one."""
    inquiry = db.session.scalar(select(Inquiry).where(Inquiry.id == inquiry_id))
    if inquiry is None:
        raise NotFound("unknown inquiry")
    return inquiry


def allowed_statuses(inquiry: Inquiry) -> list[InquiryStatus]:
    targets = set(TRANSITIONS[inquiry.status])
    return [s for s in InquiryStatus if s == inquiry.status or s in targets]


def change_status(inquiry_id: uuid.UUID, status: str, actor_id: uuid.UUID | None) -> Inquiry:
    """Move an inquiry along new → in progress → closed; commits. FieldError for a move
    it cannot make."""
    inquiry = inquiry_of(inquiry_id)
    try:
        target = InquiryStatus(status)
    except ValueError:
        raise FieldError("status", _l("Choose a status from the list.")) from None
    if target == inquiry.status:
        return inquiry
    if target not in TRANSITIONS[inquiry.status]:
        raise FieldError("status", _l("The inquiry cannot move to this status."))
    before = inquiry.status
    inquiry.status = target
    inquiry.handled_by_id = actor_id
    audit.record(
        "inquiry.status_changed",
        object_type="inquiry",
        object_id=inquiry.id,
        details={"from": before.value, "to": target.value},
    )
    db.session.commit()
    return inquiry
