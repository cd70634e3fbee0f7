"""Inquiries: a visitor's message received for a center (stored, dated consent, emailed
to the center's contact address or its managers, never the mediator's own address),
bad input refused with nothing written, the center's list and detail pages, status
changes by the roles that handle them, and another center's inquiries out of reach."""

from __future__ import annotations

import contextvars
import uuid
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from flask import current_app
from sqlalchemy import func, select

from core import jobs
from core.db import db
from core.tenancy import current_tenant_id, scoped, tenant_scope
from tenants.models import AffiliationStatus, Role, Tenant, TenantStatus
from tenants.services import inquiries
from tenants.services.inquiries import InquiryInvalid, receive_inquiry
from tenants.services.rules import FieldError, NotFound
from tenants.storefront_models import Inquiry, InquiryStatus
from tests.factories import (
    CenterProfileFactory,
    InquiryFactory,
    MediatorProfileFactory,
    MembershipFactory,
    UserFactory,
)
from tests.tenants.helpers import audit_rows, make_center, sign_in
from tests.tenants.mediator_helpers import affiliated

MESSAGE = "Bonjour, nous souhaitons organiser une médiation familiale à Lyon."


@pytest.fixture
def center(app):
    return make_center(locale="en")


def _inquiries(center) -> list[Inquiry]:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return list(db.session.scalars(select(Inquiry).order_by(Inquiry.created_at)))


def _all_inquiries() -> int:
    db.session.expire_all()
    with scoped(platform_reason="test inspection"):
        return db.session.scalar(select(func.count()).select_from(Inquiry))


def _receive(center, **changes):
    values = {
        "profile_id": None,
        "name": "Marc Lenoir",
        "email": "marc.lenoir@example.org",
        "message": MESSAGE,
        "locale": "fr",
        **changes,
    }
    inquiry = receive_inquiry(center.tenant.id, **values)
    app = current_app._get_current_object()
    if not app.config["JOBS_INLINE"]:  # on Redis, a worker sends the mail
        contextvars.Context().run(jobs.run_pending, app)
    return inquiry


# --- receiving ---------------------------------------------------------------------------------


def test_an_inquiry_is_stored_and_emailed_to_the_center_contact_address(
    app, center, mailbox, clock
):
    CenterProfileFactory(tenant=center.tenant, contact_email="accueil@centre.example")
    mediator = MediatorProfileFactory(display_name="Hélène Martin")
    mediator_email = mediator.user.email
    affiliated(center.tenant, mediator)
    inquiry = _receive(center, profile_id=mediator.id, name="  Marc Lenoir ", locale="en")
    inquiry_id = inquiry.id

    [stored] = _inquiries(center)
    assert stored.id == inquiry_id
    assert (stored.name, stored.email, stored.message, stored.locale) == (
        "Marc Lenoir",
        "marc.lenoir@example.org",
        MESSAGE,
        "en",
    )
    assert stored.status == InquiryStatus.NEW and stored.profile_id == mediator.id
    assert stored.consented_at is not None
    assert abs(stored.consented_at.replace(tzinfo=None) - clock.now().replace(tzinfo=None)) < (
        timedelta(seconds=5)
    )
    assert audit_rows(center.tenant, "inquiry.received")[0].object_id == str(inquiry_id)

    [mail] = mailbox.messages
    assert mail["To"] == "accueil@centre.example"
    assert mail["Reply-To"] == "marc.lenoir@example.org"
    body = mailbox.body(mail)
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == f"{center.tenant.legal_name}: a message from Marc Lenoir about Hélène Martin"
    assert "marc.lenoir@example.org" in body and MESSAGE in body and "Hélène Martin" in body
    link = mailbox.link_in(mail, "/inquiries/")
    assert link == f"http://localhost/c/{center.slug}/inquiries/{inquiry_id}"
    # The mediator's own address appears nowhere, nor is anything sent to it.
    assert mediator_email not in mail.as_string()
    assert mailbox.to(mediator_email) == []


def test_without_a_contact_address_the_owners_and_admins_receive_it(app, center, mailbox):
    CenterProfileFactory(tenant=center.tenant, contact_email="")
    _receive(center)
    recipients = sorted(m["To"] for m in mailbox.messages)
    assert recipients == sorted([center.owner.email, center.admin.email])
    assert mailbox.to(center.case_manager.email) == []
    # No center page at all: the same.
    other = make_center()
    mailbox.messages.clear()
    _receive(other)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(
        [other.owner.email, other.admin.email]
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 121),
        ("name", "Marc\nBcc: everyone@example.org"),
        ("email", ""),
        ("email", "not-an-email"),
        ("email", "marc@"),
        ("email", "a" * 250 + "@example.org"),
        ("email", "marc@example.org\nBcc: x@example.org"),
        ("message", ""),
        ("message", "Trop court"[:9]),
        ("message", "x" * 5001),
    ],
)
def test_bad_input_is_refused_per_field_and_writes_nothing(app, center, mailbox, field, value):
    with pytest.raises(InquiryInvalid) as refused:
        _receive(center, **{field: value})
    assert set(refused.value.errors) == {field}
    assert refused.value.status == 422
    assert _all_inquiries() == 0
    assert mailbox.messages == []
    assert audit_rows(center.tenant, "inquiry.received") == []


def test_every_bad_field_is_reported_at_once(app, center):
    with pytest.raises(InquiryInvalid) as refused:
        _receive(center, name="", email="nope", message="short")
    assert set(refused.value.errors) == {"name", "email", "message"}


def test_a_mediator_the_center_does_not_work_with_is_refused(app, center, mailbox):
    stranger = MediatorProfileFactory()
    other = make_center()
    theirs = MediatorProfileFactory()
    affiliated(other.tenant, theirs)
    former = MediatorProfileFactory()
    affiliated(center.tenant, former, status=AffiliationStatus.ENDED)
    for profile_id in (stranger.id, theirs.id, former.id, uuid.uuid4()):
        with pytest.raises(InquiryInvalid) as refused:
            _receive(center, profile_id=profile_id)
        assert set(refused.value.errors) == {"profile_id"}
    assert _all_inquiries() == 0 and mailbox.messages == []


def test_an_unknown_or_suspended_center_is_not_found(app, center, mailbox):
    with pytest.raises(NotFound):
        receive_inquiry(
            uuid.uuid4(),
            profile_id=None,
            name="Marc",
            email="marc@example.org",
            message=MESSAGE,
            locale="fr",
        )
    with tenant_scope(center.tenant.id):  # RLS: a center is changed in its own scope
        db.session.get(Tenant, center.tenant.id).status = TenantStatus.SUSPENDED
        db.session.commit()
    with pytest.raises(NotFound):
        _receive(center)
    assert _all_inquiries() == 0 and mailbox.messages == []


def test_the_caller_needs_no_scope_and_keeps_its_own(app, center):
    with scoped(tenant_id=None):
        _receive(center)
    assert current_tenant_id() is None
    assert len(_inquiries(center)) == 1


# --- the center's pages ----------------------------------------------------------------------


def test_the_list_shows_the_newest_first_with_a_status_filter(app, client, center, clock):
    older = InquiryFactory(tenant=center.tenant, name="Alice Ancienne")
    clock.advance(timedelta(hours=1))
    InquiryFactory(tenant=center.tenant, name="Bruno Récent")
    clock.advance(timedelta(hours=1))
    InquiryFactory(tenant=center.tenant, name="Chloé Close", status=InquiryStatus.CLOSED)
    InquiryFactory(tenant=make_center().tenant, name="Denis Ailleurs")
    older_id = older.id
    sign_in(client, center.case_manager)

    html = client.get(center.url("inquiries")).get_data(as_text=True)
    assert html.index("Chloé Close") < html.index("Bruno Récent") < html.index("Alice Ancienne")
    assert "Denis Ailleurs" not in html
    assert f'href="/c/{center.slug}/inquiries/{older_id}"' in html
    # The navigation counts the new ones.
    assert "Inquiries <span" in html and ">2<span" in html

    closed = client.get(center.url("inquiries?status=closed")).get_data(as_text=True)
    assert "Chloé Close" in closed and "Bruno Récent" not in closed
    assert client.get(center.url("inquiries?status=archived")).status_code == 422
    assert client.get(center.url("inquiries?page=zero")).status_code == 422


def test_the_list_is_paginated(app, client, center, clock):
    for n in range(inquiries.PAGE_SIZE + 2):
        InquiryFactory(tenant=center.tenant, name=f"Visiteur {n:02d}")
        clock.advance(timedelta(minutes=1))
    sign_in(client, center.owner)
    first = client.get(center.url("inquiries")).get_data(as_text=True)
    assert "Page 1 of 2" in first and "Visiteur 26" in first and "Visiteur 01" not in first
    second = client.get(center.url("inquiries?page=2")).get_data(as_text=True)
    assert "Visiteur 01" in second and "Visiteur 00" in second and "Visiteur 26" not in second


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.VIEWER])
def test_only_those_who_answer_inquiries_read_them(app, client, center, role):
    inquiry = InquiryFactory(tenant=center.tenant, message=MESSAGE)
    inquiry_id = inquiry.id
    member = MembershipFactory(tenant=center.tenant, role=role, user=UserFactory()).user
    sign_in(client, member)
    assert client.get(center.url("inquiries")).status_code == 403
    page = client.get(center.url(f"inquiries/{inquiry_id}"))
    assert page.status_code == 403 and MESSAGE not in page.get_data(as_text=True)
    dashboard = client.get(center.url("")).get_data(as_text=True)
    assert "/inquiries" not in dashboard  # no link in the navigation either
    response = client.post_form(center.url(f"inquiries/{inquiry_id}"), {"status": "closed"})
    assert response.status_code == 403
    assert _inquiries(center)[0].status == InquiryStatus.NEW


@pytest.mark.parametrize("who", ["owner", "admin", "case_manager"])
def test_handlers_move_an_inquiry_along(app, client, center, who):
    inquiry_id = InquiryFactory(tenant=center.tenant).id
    user = getattr(center, who)
    sign_in(client, user)
    url = center.url(f"inquiries/{inquiry_id}")
    response = client.post_form(url, {"status": "in_progress"})
    assert response.status_code == 303 and response.headers["Location"] == url
    [row] = _inquiries(center)
    assert (row.status, row.handled_by_id) == (InquiryStatus.IN_PROGRESS, user.id)
    assert client.post_form(url, {"status": "closed"}).status_code == 303
    assert _inquiries(center)[0].status == InquiryStatus.CLOSED
    events = audit_rows(center.tenant, "inquiry.status_changed")
    assert sorted((e.details["from"], e.details["to"]) for e in events) == [
        ("in_progress", "closed"),
        ("new", "in_progress"),
    ]
    # A closed inquiry may be reopened, never made new again.
    response = client.post_form(url, {"status": "new"})
    assert response.status_code == 422 and "is-invalid" in response.get_data(as_text=True)
    assert _inquiries(center)[0].status == InquiryStatus.CLOSED
    assert client.post_form(url, {"status": "in_progress"}).status_code == 303


def test_a_bad_status_is_shown_on_the_field(app, client, center):
    inquiry_id = InquiryFactory(tenant=center.tenant).id
    sign_in(client, center.admin)
    url = center.url(f"inquiries/{inquiry_id}")
    for data in ({"status": "archived"}, {}, {"status": "closed", "is_admin": "1"}):
        assert client.post_form(url, data).status_code == 422, data
    assert _inquiries(center)[0].status == InquiryStatus.NEW


def test_the_service_refuses_a_move_it_cannot_make(app, center):
    inquiry_id = InquiryFactory(tenant=center.tenant, status=InquiryStatus.IN_PROGRESS).id
    with tenant_scope(center.tenant.id):
        with pytest.raises(FieldError):
            inquiries.change_status(inquiry_id, "new", None)
        with pytest.raises(FieldError):
            inquiries.change_status(inquiry_id, "lost", None)
    assert _inquiries(center)[0].status == InquiryStatus.IN_PROGRESS


# --- another center's inquiries ---------------------------------------------------------------


def test_another_centers_inquiries_are_out_of_reach(app, client, center):
    other = make_center()
    foreign_id = InquiryFactory(tenant=other.tenant, name="Visiteur de B", message=MESSAGE).id
    sign_in(client, center.admin)
    url = center.url(f"inquiries/{foreign_id}")
    assert client.get(url).status_code == 404
    assert client.post_form(url, {"status": "closed"}).status_code == 404
    assert "Visiteur de B" not in client.get(center.url("inquiries")).get_data(as_text=True)
    assert _inquiries(other)[0].status == InquiryStatus.NEW
    # Nor does B's page open to A's admin.
    assert client.get(other.url(f"inquiries/{foreign_id}")).status_code == 404
    assert client.get(other.url("inquiries")).status_code == 404
    with tenant_scope(center.tenant.id), pytest.raises(NotFound):
        inquiries.inquiry_of(foreign_id)


def test_an_inquiry_received_then_handled_in_the_workspace(app, client, center, mailbox):
    """The whole path: received for the center, emailed, followed from the mail's link."""
    _receive(center, name="Sarah Cohen")
    link = mailbox.link_in(mailbox.messages[0], "/inquiries/")
    path = link.removeprefix("http://localhost")
    sign_in(client, center.owner)
    page = client.get(path)
    assert page.status_code == 200 and "Sarah Cohen" in page.get_data(as_text=True)
    assert client.post_form(path, {"status": "closed"}).status_code == 303
    assert _inquiries(center)[0].status == InquiryStatus.CLOSED
