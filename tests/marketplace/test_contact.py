"""A visitor contacts a center, or a mediator through one of their centers: an inquiry in
the center's workspace and an email to the center; the honeypot and the rate limit keep
spam out, and nothing is written without the visitor's consent."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from marketplace.models import MediatorListing
from tenants.storefront_models import Inquiry
from tests import factories
from tests.marketplace.helpers import listed_center, listed_mediator, settle

MESSAGE = "Bonjour, nous cherchons une médiation familiale à Paris en juin."


def _slug(profile) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(MediatorListing.slug).where(MediatorListing.profile_id == profile.id)
    )


def _post(client, url: str, **changes: str):
    data = {
        "name": "Paul Martin",
        "email": "paul.martin@example.net",
        "message": MESSAGE,
        "consent": "y",
        "website": "",
        **changes,
    }
    return client.post_form(url, {k: v for k, v in data.items() if v is not None})


def _inquiries() -> list[Inquiry]:
    db.session.expire_all()
    return list(db.session.scalars(select(Inquiry)))


def test_contacting_a_mediator_creates_an_inquiry_for_their_center_and_mails_it(
    app, client, mailbox, unscoped
):
    center = listed_center(contact_email="accueil@centre-test.example")
    mediator = listed_mediator(center, display_name="Lucie Girard")
    settle(app)
    url = f"/marketplace/mediators/{_slug(mediator)}"
    response = _post(client, f"{url}/contact", center=center.slug)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(url)
    (inquiry,) = _inquiries()
    assert inquiry.tenant_id == center.id and inquiry.profile_id == mediator.id
    assert inquiry.email == "paul.martin@example.net" and inquiry.message == MESSAGE
    assert inquiry.locale == "en" and inquiry.consented_at is not None
    mail = mailbox.last_to("accueil@centre-test.example")
    assert MESSAGE in mailbox.body(mail) and "Lucie Girard" in mailbox.body(mail)
    assert mediator.user.email not in [m["To"] for m in mailbox.messages]
    assert "your message was sent" in client.get(url).get_data(as_text=True)


def test_a_mediator_of_several_centers_is_contacted_through_the_chosen_one(
    app, client, mailbox, unscoped
):
    first, second = listed_center(), listed_center()
    mediator = listed_mediator(first)
    factories.AffiliationFactory(tenant=second, profile=mediator, published=True)
    settle(app)
    url = f"/marketplace/mediators/{_slug(mediator)}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{first.slug}"' in page and f'value="{second.slug}"' in page
    assert _post(client, f"{url}/contact", center=second.slug).status_code == 303
    (inquiry,) = _inquiries()
    assert inquiry.tenant_id == second.id and inquiry.profile_id == mediator.id
    # A center the mediator is not listed by is no choice.
    other = listed_center()
    settle(app)
    response = _post(client, f"{url}/contact", center=other.slug)
    assert response.status_code == 422
    assert len(_inquiries()) == 1


def test_contacting_a_center_creates_an_inquiry_about_no_mediator(app, client, mailbox, unscoped):
    center = listed_center(contact_email="contact@centre-b.example")
    settle(app)
    response = _post(client, f"/marketplace/centers/{center.slug}/contact")
    assert response.status_code == 303
    (inquiry,) = _inquiries()
    assert inquiry.tenant_id == center.id and inquiry.profile_id is None
    assert MESSAGE in mailbox.body(mailbox.last_to("contact@centre-b.example"))


def test_without_consent_or_with_bad_fields_nothing_is_written(app, client, mailbox, unscoped):
    center = listed_center()
    settle(app)
    url = f"/marketplace/centers/{center.slug}/contact"
    response = _post(client, url, consent=None)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="consent"' in page and "is-invalid" in page
    assert "Tick this box so that the center may answer you." in page
    for bad in ({"email": "not-an-address"}, {"message": "Short"}, {"name": ""}):
        assert _post(client, url, **bad).status_code == 422, bad
    assert _inquiries() == [] and mailbox.messages == []


def test_a_filled_honeypot_looks_sent_but_stores_and_sends_nothing(app, client, mailbox, unscoped):
    center = listed_center()
    settle(app)
    response = _post(
        client, f"/marketplace/centers/{center.slug}/contact", website="http://spam.example"
    )
    assert response.status_code == 303
    assert _inquiries() == [] and mailbox.messages == []


def test_a_client_address_sends_five_messages_an_hour(app, client, mailbox, unscoped):
    center = listed_center()
    settle(app)
    url = f"/marketplace/centers/{center.slug}/contact"
    for _ in range(5):
        assert _post(client, url).status_code == 303
    response = _post(client, url)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many messages" in response.get_data(as_text=True)
    assert len(_inquiries()) == 5
    # Another address is not held back.
    other = app.test_client()
    other.environ_base.update(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")
    assert _post(other, url).status_code == 303


def test_contact_forms_of_unlisted_pages_are_404(app, client, unscoped):
    assert _post(client, "/marketplace/centers/nowhere/contact").status_code == 404
    assert _post(client, "/marketplace/mediators/nobody-0123456789ab/contact").status_code == 404
    assert _inquiries() == []


def test_the_contact_form_needs_the_csrf_token(app, client, unscoped):
    center = listed_center()
    settle(app)
    response = client.post(
        f"/marketplace/centers/{center.slug}/contact",
        data={"name": "Paul", "email": "p@example.net", "message": MESSAGE, "consent": "y"},
    )
    assert response.status_code == 400
    assert _inquiries() == []
