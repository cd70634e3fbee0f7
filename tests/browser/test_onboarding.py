"""Onboarding in a real browser: a center signs up, its owner invites a member, and the
member accepts and lands on the center's dashboard, in French and in English.

The language is chosen the way a visitor's browser chooses it: the context's locale sets
Accept-Language. Every assertion reads text in that language, so a page that falls back
to the other language fails the test.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import TIMEOUT_MS

CENTER = "Centre de Médiation d'Écully"
SLUG = "mediation-ecully"
OWNER = {"name": "Louise Martin", "email": "louise.martin@ecully-mediation.example"}
INVITEE = {"name": "Paul Renard", "email": "paul.renard@example.org"}
PASSWORD = "a long enough password"

# What each page says, in each language (the French from core/translations/fr).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "lang": "en",
        "signup_heading": "Register your mediation center",
        "legal_name": "Center legal name",
        "web_address": "Web address",
        "registration_number": "Registration number (SIRET)",
        "city": "City",
        "center_language": "Language of the center",
        "owner_name": "Your full name",
        "email": "Your work email",
        "password": "Password",
        "password_confirm": "Confirm the password",
        "accept_terms": "I accept the terms of service and the data processing agreement",
        "create_center": "Create my center",
        "check_email": "Check your email",
        "email_confirmed": "Thank you, your email address is confirmed.",
        "team": "Team",
        "members": "Members",
        "members_table": "Members of the center and their roles",
        "invite_heading": "Invite someone",
        "invite_email": "Email",
        "invite_role": "Role",
        "pending_heading": "Pending invitations",
        "case_manager": "Case manager",
        "send_invitation": "Send the invitation",
        "invitation_sent": "Invitation sent to {email}.",
        "join_heading": "Join {center}",
        "invitee_name": "Your full name",
        "choose_password": "Choose a password",
        "join": "Create my account and join",
        "welcome": "Welcome to {center}!",
        "role_of": "Role of {name}",
    },
    "fr": {
        "lang": "fr",
        "signup_heading": "Inscrivez votre centre de médiation",
        "legal_name": "Raison sociale du centre",
        "web_address": "Adresse web",
        "registration_number": "Numéro d'immatriculation (SIRET)",
        "city": "Ville",
        "center_language": "Langue du centre",
        "owner_name": "Vos nom et prénom",
        "email": "Votre adresse e-mail professionnelle",
        "password": "Mot de passe",
        "password_confirm": "Confirmez le mot de passe",
        "accept_terms": (
            "J'accepte les conditions d'utilisation et l'accord de traitement des données"
        ),
        "create_center": "Créer mon centre",
        "check_email": "Consultez votre messagerie",
        "email_confirmed": "Merci, votre adresse e-mail est confirmée.",
        "team": "Équipe",
        "members": "Membres",
        "members_table": "Membres du centre et leurs rôles",
        "invite_heading": "Inviter une personne",
        "invite_email": "Adresse e-mail",
        "invite_role": "Rôle",
        "pending_heading": "Invitations en attente",
        "case_manager": "Chargé de dossiers",
        "send_invitation": "Envoyer l'invitation",
        "invitation_sent": "Invitation envoyée à {email}.",
        "join_heading": "Rejoindre {center}",
        "invitee_name": "Vos nom et prénom",
        "choose_password": "Choisissez un mot de passe",
        "join": "Créer mon compte et rejoindre",
        "welcome": "Bienvenue chez {center}\u00a0!",
        "role_of": "Rôle de {name}",
    },
}


def _link_from_mail(mailbox: Any, address: str, path_fragment: str) -> str:
    """The link in the latest mail to `address`; on Redis a worker sends it a moment after
    the page answered, so wait for it (up to the same timeout as the page assertions)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not mailbox.to(address):
        assert time.monotonic() < deadline, f"no mail to {address} after {TIMEOUT_MS} ms"
        time.sleep(0.05)
    return mailbox.link_in(mailbox.last_to(address), path_fragment)


def _sign_up(page: Page, base_url: str, t: dict[str, str]) -> None:
    page.goto(f"{base_url}/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["signup_heading"])
    # Screen readers pick their voice from it.
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    page.get_by_label(t["legal_name"], exact=True).fill(CENTER)
    page.get_by_label(t["web_address"], exact=True).fill(SLUG)
    page.get_by_label(t["registration_number"], exact=True).fill("812 345 676 00017")
    page.get_by_label(t["city"], exact=True).fill("Écully")
    # Offered in the visitor's language, which becomes the owner's and the center's.
    expect(page.get_by_label(t["center_language"], exact=True)).to_have_value(t["lang"])
    page.get_by_label(t["owner_name"], exact=True).fill(OWNER["name"])
    page.get_by_label(t["email"], exact=True).fill(OWNER["email"])
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_label(t["password_confirm"], exact=True).fill(PASSWORD)
    page.get_by_label(t["accept_terms"], exact=True).check()
    page.get_by_role("button", name=t["create_center"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["check_email"])
    expect(page.get_by_text(OWNER["email"])).to_be_visible()


def _expect_dashboard(page: Page, base_url: str, t: dict[str, str], flash: str) -> None:
    expect(page).to_have_url(f"{base_url}/c/{SLUG}/")
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    expect(page.get_by_role("heading", level=1)).to_have_text(CENTER)
    expect(page.get_by_role("heading", name=t["team"], exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(flash)


def _invite(page: Page, t: dict[str, str]) -> None:
    page.get_by_role("navigation").get_by_role("link", name=t["members"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["members"])
    invite = page.get_by_role("region", name=t["invite_heading"])
    invite.get_by_label(t["invite_email"], exact=True).fill(INVITEE["email"])
    invite.get_by_label(t["invite_role"], exact=True).select_option(label=t["case_manager"])
    invite.get_by_role("button", name=t["send_invitation"]).click()
    sent = t["invitation_sent"].format(email=INVITEE["email"])
    expect(page.get_by_role("alert")).to_contain_text(sent)
    pending = page.get_by_role("region", name=t["pending_heading"])
    expect(pending).to_contain_text(INVITEE["email"])
    expect(pending).to_contain_text(t["case_manager"])


def _accept(page: Page, link: str, t: dict[str, str]) -> None:
    page.goto(link)
    heading = t["join_heading"].format(center=CENTER)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.get_by_label(t["invitee_name"], exact=True).fill(INVITEE["name"])
    page.get_by_label(t["choose_password"], exact=True).fill(PASSWORD)
    page.get_by_label(t["password_confirm"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["join"]).click()


def test_a_center_signs_up_invites_a_member_who_joins(live_server, mailbox, new_context, language):
    t = TEXTS[language]

    owner = new_context()
    _sign_up(owner, live_server, t)
    owner.goto(_link_from_mail(mailbox, OWNER["email"], "/verify-email/"))
    _expect_dashboard(owner, live_server, t, t["email_confirmed"])

    _invite(owner, t)
    link = _link_from_mail(mailbox, INVITEE["email"], f"/c/{SLUG}/join/")

    invitee = new_context()
    _accept(invitee, link, t)
    _expect_dashboard(invitee, live_server, t, t["welcome"].format(center=CENTER))
    # The workspace bar names the center and the role the invitation gave.
    expect(invitee.get_by_text(f"{CENTER} · {t['case_manager']}")).to_be_visible()

    owner.reload()
    members = owner.get_by_role("table", name=t["members_table"])
    row = members.get_by_role("row").filter(has_text=INVITEE["email"])
    expect(row).to_contain_text(INVITEE["name"])
    role = row.get_by_label(t["role_of"].format(name=INVITEE["name"]), exact=True)
    expect(role.locator("option:checked")).to_have_text(t["case_manager"])
    pending = owner.get_by_role("region", name=t["pending_heading"])
    expect(pending).not_to_contain_text(INVITEE["email"])
