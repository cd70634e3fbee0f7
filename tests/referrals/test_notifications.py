"""Emails on each step of a referred case: who gets which, in which language, once per
step; never a confidential field of the case; nothing for a refused or rolled-back step.

French recipients are recognised by strings the French catalogue already holds (the
greeting, the status labels) and by dates, which Babel writes in the reader's language.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest

from core import jobs
from core.db import db
from core.tenancy import tenant_scope
from referrals import cases
from referrals.models import PartnerRole, ReferralStatus
from tenants.models import Role
from tests.factories import (
    AffiliationFactory,
    MediatorProfileFactory,
    MembershipFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ReferralFactory,
    TenantFactory,
    UserFactory,
)
from tests.oauth import authorization_code_tokens, bearer, register
from tests.referrals.helpers import center_token, partner_token, referral_body
from tests.tenants.helpers import sign_in

BASE, CENTER = "/api/v1/referrals", "/api/v1/center/referrals"
PARTNER_SCOPES = "referrals:read referrals:write"
MEDIATOR = "Marc Lefèvre"


@dataclass
class World:
    center: Any
    partner: Any
    owner: Any  # fr
    admin: Any  # en
    case_manager: Any  # fr
    case_manager_de: Any  # a language the platform lacks: the center's (fr)
    center_mediator: Any  # a member with the mediator role: never told as a manager
    viewer: Any
    partner_admin_en: Any
    partner_admin_fr: Any
    referrer: Any  # fr
    mediator: Any  # the profile; its account reads English
    as_partner: dict[str, str]  # the partner's software (no person behind it)
    as_center: dict[str, str]

    @property
    def managers(self) -> set[str]:
        people = (self.owner, self.admin, self.case_manager, self.case_manager_de)
        return {p.email for p in people}


def subject(message) -> str:
    """The decoded subject (a non-ASCII one travels as RFC 2047 encoded words)."""
    return str(make_header(decode_header(message["Subject"])))


@pytest.fixture
def world(app) -> World:
    center = TenantFactory(legal_name="Centre Horizon", locale="fr", timezone="Europe/Paris")

    def member(role: Role, locale: str) -> Any:
        return MembershipFactory(tenant=center, role=role, user=UserFactory(locale=locale)).user

    partner = PartnerFactory(name="Cabinet Roux")

    def partner_member(role: PartnerRole, locale: str) -> Any:
        user = UserFactory(locale=locale)
        PartnerMembershipFactory(partner=partner, user=user, role=role)
        return user

    mediator_user = UserFactory(locale="en")
    MembershipFactory(tenant=center, role=Role.MEDIATOR, user=mediator_user)
    profile = MediatorProfileFactory(display_name=MEDIATOR, user=mediator_user)
    AffiliationFactory(tenant=center, profile=profile)
    return World(
        center=center,
        partner=partner,
        owner=member(Role.OWNER, "fr"),
        admin=member(Role.ADMIN, "en"),
        case_manager=member(Role.CASE_MANAGER, "fr"),
        case_manager_de=member(Role.CASE_MANAGER, "de"),
        center_mediator=mediator_user,
        viewer=member(Role.VIEWER, "en"),
        partner_admin_en=partner_member(PartnerRole.ADMIN, "en"),
        partner_admin_fr=partner_member(PartnerRole.ADMIN, "fr"),
        referrer=partner_member(PartnerRole.REFERRER, "fr"),
        mediator=profile,
        as_partner=partner_token(app, partner.id),
        as_center=center_token(app, center.id),
    )


def person_token(app, partner: Any, person: Any) -> dict[str, str]:
    """A token of the partner's software acting for `person` (authorization code)."""
    registered = register("partner", partner.id, scopes=PARTNER_SCOPES.split(), name="Cabinet")
    browser = app.test_client()
    sign_in(browser, person)
    return bearer(authorization_code_tokens(browser, registered, PARTNER_SCOPES)["access_token"])


def sent(mailbox) -> dict[str, Message]:
    """The emails since the mailbox was last cleared, by recipient: one each at most."""
    found: dict[str, Message] = {}
    for message in mailbox.messages:
        assert message["To"] not in found, f"two emails to {message['To']} for one step"
        found[message["To"]] = message
    return found


def text(mailbox, message: Message) -> str:
    return f"{subject(message)}\n{mailbox.body(message)}"


def step(client, mailbox, path: str, body: dict, headers: dict) -> tuple[dict, dict]:
    """Take one step through the API: (the emails it sent by recipient, the case)."""
    mailbox.messages.clear()
    answer = client.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.json
    return sent(mailbox), answer.json


def in_french(mailbox, message: Message, status: str) -> None:
    body = mailbox.body(message)
    assert body.startswith("Bonjour ") and status in body, body


def in_english(mailbox, message: Message, status: str) -> None:
    body = mailbox.body(message)
    assert body.startswith("Hello ") and status in body, body


# --- who is told, in which language -------------------------------------------------------


def test_a_case_sent_by_a_person_tells_them_each_center_step_in_their_language(
    app, client, mailbox, world
):
    w = world
    as_referrer = person_token(app, w.partner, w.referrer)

    created, case = step(client, mailbox, BASE, referral_body(w.center), as_referrer)
    case = case["id"]
    # The center's managers, each in their language; not the partner, nor other members.
    assert set(created) == w.managers
    for person in (w.owner, w.case_manager, w.case_manager_de):
        in_french(mailbox, created[person.email], "Envoyée")
    in_english(mailbox, created[w.admin.email], "Submitted")
    first = created[w.admin.email]
    assert "CAB-2026-0042" in subject(first) and "Cabinet Roux" in subject(first)
    center_link = f"http://localhost/c/{w.center.slug}/referrals/{case}"
    assert mailbox.link_in(first, "/referrals/") == center_link

    path = f"{CENTER}/{case}"
    partner_link = f"http://localhost/p/{w.partner.slug}/referrals/{case}"
    for route, body, status in (
        ("acknowledge", {}, "Reçue"),
        ("accept", {}, "Acceptée"),
        ("assign", {"mediator_id": str(w.mediator.id)}, "Médiateur désigné"),
        ("schedule", {"scheduled_at": "2026-12-10T14:00:00+01:00"}, "Planifiée"),
        ("outcome", {"outcome": "partial_agreement"}, "Issue enregistrée"),
        ("close", {}, "Clôturée"),
    ):
        emails, _ = step(client, mailbox, f"{path}/{route}", body, w.as_center)
        # Only the person who sent it on the partner's side (not its administrators);
        # the mediator too when assigned.
        wanted = {w.referrer.email} | ({w.center_mediator.email} if route == "assign" else set())
        assert set(emails) == wanted, route
        told = emails[w.referrer.email]
        in_french(mailbox, told, status)
        assert "CAB-2026-0042" in subject(told) and "Centre Horizon" in mailbox.body(told)
        assert mailbox.link_in(told, "/referrals/") == partner_link
        if route == "assign":
            assert MEDIATOR in mailbox.body(told)
            to_mediator = emails[w.center_mediator.email]
            assert mailbox.body(to_mediator).startswith("Hello ")
            assert "Centre Horizon" in subject(to_mediator)
            assert mailbox.link_in(to_mediator, "/referrals/") == center_link
        if route == "schedule":  # the center's time, in the reader's language
            assert "jeudi 10 décembre 2026" in mailbox.body(told)
            assert "14:00" in mailbox.body(told)


def test_a_case_sent_by_software_tells_the_partner_admins_and_a_cancel_the_center(
    app, client, mailbox, world
):
    w = world
    body = referral_body(w.center, reference=None)
    created, case = step(client, mailbox, BASE, body, w.as_partner)
    case = case["id"]
    assert set(created) == w.managers
    assert case in subject(created[w.admin.email])  # no reference: the case's id
    assert "urgent" not in mailbox.body(created[w.admin.email])

    reason = "Aucun médiateur disponible avant mars."
    declined, _ = step(client, mailbox, f"{CENTER}/{case}/decline", {"reason": reason}, w.as_center)
    # No person sent it: the partner's administrators, not its referrers.
    assert set(declined) == {w.partner_admin_en.email, w.partner_admin_fr.email}
    in_english(mailbox, declined[w.partner_admin_en.email], "Declined")
    in_french(mailbox, declined[w.partner_admin_fr.email], "Refusée")
    for message in declined.values():
        assert reason in mailbox.body(message)  # the partner may read the reason

    other, second = step(
        client,
        mailbox,
        BASE,
        referral_body(w.center, reference="R-2", urgency="urgent"),
        w.as_partner,
    )
    assert set(other) == w.managers
    assert "urgent" in mailbox.body(other[w.admin.email])
    cancelled, _ = step(client, mailbox, f"{BASE}/{second['id']}/cancel", {}, w.as_partner)
    # The center hears of the partner's step; the partner gets nothing of its own.
    assert set(cancelled) == w.managers
    in_english(mailbox, cancelled[w.admin.email], "Cancelled")
    in_french(mailbox, cancelled[w.owner.email], "Annulée")
    assert "R-2" in subject(cancelled[w.owner.email])


def test_a_person_is_not_told_of_their_own_step_and_an_account_less_mediator_is_not(
    app, client, mailbox, world
):
    w = world
    unclaimed = MediatorProfileFactory(display_name="Sans Compte", unclaimed=True)
    AffiliationFactory(tenant=w.center, profile=unclaimed)
    as_referrer = person_token(app, w.partner, w.referrer)
    case = client.post(BASE, json=referral_body(w.center), headers=as_referrer).json["id"]
    for route in ("acknowledge", "accept"):
        client.post(f"{CENTER}/{case}/{route}", json={}, headers=w.as_center)

    assign = {"mediator_id": str(unclaimed.id)}
    emails, _ = step(client, mailbox, f"{CENTER}/{case}/assign", assign, w.as_center)
    assert set(emails) == {w.referrer.email}
    assert "Sans Compte" in mailbox.body(emails[w.referrer.email])

    second = client.post(BASE, json=referral_body(w.center, reference="R-3"), headers=as_referrer)
    mailbox.messages.clear()
    client.post(f"{BASE}/{second.json['id']}/cancel", json={}, headers=as_referrer)
    assert w.referrer.email not in sent(mailbox)  # they cancelled it themselves


# --- what an email never says ---------------------------------------------------------------

MARKERS = {
    "summary": "RESUME-CONFIDENTIEL-Q7X",
    "claimant": "Zorglub Partie-A",
    "claimant_email": "zorglub.q7x@confidentiel.example",
    "respondent": "Quetzal Partie-B",
    "respondent_email": "quetzal.q7x@confidentiel.example",
    "phone": "+33 6 91 82 73 64",
    "lawyer": "Me Xylophe Conseil",
    "amount": "987654",
    "override": "RAISON-DEROGATION-K9 les parties ont accepté",
}


def test_no_email_of_a_whole_case_holds_a_confidential_field(app, client, mailbox, world):
    w = world
    # An earlier case of the mediator with the same party: assigning needs an override.
    ReferralFactory(
        tenant=w.center,
        partner=w.partner,
        status=ReferralStatus.CLOSED,
        mediator_profile_id=w.mediator.id,
        parties=[("Autre nom", "claimant", MARKERS["claimant_email"])],
    )
    body = referral_body(
        w.center,
        summary=f"Litige {MARKERS['summary']} entre deux sociétés.",
        amount_eur=f"{MARKERS['amount']}.31",
        parties=[
            {
                "name": MARKERS["claimant"],
                "role": "claimant",
                "email": MARKERS["claimant_email"],
                "phone": MARKERS["phone"],
                "lawyer": MARKERS["lawyer"],
            },
            {
                "name": MARKERS["respondent"],
                "role": "respondent",
                "email": MARKERS["respondent_email"],
            },
        ],
    )
    as_referrer = person_token(app, w.partner, w.referrer)
    every: list[Message] = []
    created, case = step(client, mailbox, BASE, body, as_referrer)
    every += created.values()
    path = f"{CENTER}/{case['id']}"
    refused = client.post(
        f"{path}/assign", json={"mediator_id": str(w.mediator.id)}, headers=w.as_center
    )
    assert refused.status_code == 409  # the conflict the override answers
    for route, payload in (
        ("acknowledge", {}),
        ("accept", {}),
        ("assign", {"mediator_id": str(w.mediator.id), "override_reason": MARKERS["override"]}),
        ("schedule", {"scheduled_at": "2026-12-10T14:00:00+01:00"}),
        ("outcome", {"outcome": "agreement"}),
        ("close", {}),
    ):
        every += step(client, mailbox, f"{path}/{route}", payload, w.as_center)[0].values()

    assert len(every) == len(w.managers) + 6 + 1  # the mediator's, on assign
    for message in every:
        whole = text(mailbox, message)
        for field, marker in MARKERS.items():
            assert marker not in whole, (field, message["To"], whole)
        assert "987 654" not in whole and "987\u202f654" not in whole and "987\xa0654" not in whole


# --- nothing for a step that did not happen -------------------------------------------------


def drain(app) -> None:
    """Run whatever the worker would (on Redis; jobs run inline otherwise)."""
    if not app.config["JOBS_INLINE"]:
        contextvars.Context().run(jobs.run_pending, app)


def test_a_refused_step_or_a_rolled_back_one_sends_nothing(app, client, mailbox, world):
    w = world
    as_referrer = person_token(app, w.partner, w.referrer)
    case = client.post(BASE, json=referral_body(w.center), headers=as_referrer).json["id"]

    for route, body in (
        ("close", {}),
        ("schedule", {"scheduled_at": "2026-12-10T14:00:00+01:00"}),
        ("assign", {"mediator_id": str(w.mediator.id)}),
        ("outcome", {"outcome": "agreement"}),
    ):
        mailbox.messages.clear()
        refused = client.post(f"{CENTER}/{case}/{route}", json=body, headers=w.as_center)
        assert refused.status_code == 409, (route, refused.json)
        assert mailbox.messages == [], route
    client.post(f"{CENTER}/{case}/accept", json={}, headers=w.as_center)
    mailbox.messages.clear()
    late = client.post(f"{BASE}/{case}/cancel", json={}, headers=as_referrer)
    assert late.status_code == 409 and mailbox.messages == []

    # A step whose transaction is rolled back: its email is dropped with it.
    actor, case = cases.Actor("center"), uuid.UUID(case)
    with tenant_scope(w.center.id):
        cases.assign(case, w.mediator.id, actor, override_reason=None)
        db.session.rollback()
    drain(app)
    assert mailbox.messages == []
    with tenant_scope(w.center.id):  # control: committed, the same step is told
        cases.assign(case, w.mediator.id, actor, override_reason=None)
        db.session.commit()
    drain(app)
    assert set(sent(mailbox)) == {w.referrer.email, w.center_mediator.email}
