"""The mediators' reminders, end to end on the SMTP capture: what is due is recorded,
then sent once; revoked, unclaimed and renewed certifications get nothing; opt-outs
are honoured per kind."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from core.accounts.models import User
from core.clock import now
from core.credentials.reminders import service, unsubscribe
from core.credentials.reminders.jobs import send_reminders
from core.credentials.reminders.models import Reminder, ReminderKind, ReminderOptOut
from core.db import db
from tests.core.credentials.reminder_helpers import TEN_HOURS_A_YEAR, certification
from tests.factories import (
    CertificationFactory,
    MediatorProfileFactory,
    ReminderFactory,
    ReminderOptOutFactory,
    UserFactory,
)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.fixture
def on(app):
    return service.today()


def rows() -> list[tuple[str, ReminderKind, bool]]:
    """(recipient, kind, sent) of every recorded reminder."""
    db.session.expire_all()
    found = db.session.execute(
        select(User.email, Reminder.kind, Reminder.sent_at).join(User, User.id == Reminder.user_id)
    )
    return [(email, kind, sent_at is not None) for email, kind, sent_at in found]


def test_run_twice_on_one_day_each_reminder_is_sent_once(app, mailbox, on):
    c90 = certification(on, 90)
    c30 = certification(on, 30)
    c7 = certification(on, 7)
    certification(on, 91)  # nothing due yet
    short = certification(on, 400, rules=TEN_HOURS_A_YEAR)

    send_reminders()
    send_reminders()

    to = Counter(m["To"] for m in mailbox.messages)
    expected = [c.profile.user.email for c in (c90, c30, c7, short)]
    assert sorted(to) == sorted(expected)
    assert set(to.values()) == {1}
    assert sorted(rows()) == sorted(
        [
            (c90.profile.user.email, ReminderKind.EXPIRY_90, True),
            (c30.profile.user.email, ReminderKind.EXPIRY_30, True),
            (c7.profile.user.email, ReminderKind.EXPIRY_7, True),
            (short.profile.user.email, ReminderKind.HOURS_SHORT, True),
        ]
    )


def test_revoked_unclaimed_disabled_and_renewed_certifications_get_none(app, mailbox, on):
    certification(on, 30, revoked_at=now(), revoked_reason="Retirée par l'organisme")
    certification(on, 30, profile=MediatorProfileFactory(unclaimed=True))
    certification(on, 30, profile=MediatorProfileFactory(user=UserFactory(is_disabled=True)))
    renewed = certification(on, 30)
    CertificationFactory(
        profile=renewed.profile,
        scheme=renewed.scheme,
        issued_on=on - timedelta(days=10),
        expires_on=on + timedelta(days=3 * 365),
    )
    revoked_short = certification(on, 400, rules=TEN_HOURS_A_YEAR)
    revoked_short.revoked_at = now()
    db.session.commit()

    assert service.run(on) == (0, 0)
    assert mailbox.messages == []
    assert rows() == []


def test_a_reminder_missed_on_its_first_day_is_sent_later_never_a_90_after_the_30(app, mailbox, on):
    late = certification(on, 29)  # the job did not run during the whole 90-day band
    followed = certification(on, 85)
    valid_until = followed.expires_on

    assert service.run(on) == (2, 2)
    assert sorted(rows()) == sorted(
        [
            (late.profile.user.email, ReminderKind.EXPIRY_30, True),
            (followed.profile.user.email, ReminderKind.EXPIRY_90, True),
        ]
    )
    # 60 days later the 30-day band of `followed` has begun (no 90-day one again);
    # `late` has expired since: nothing more for it.
    later = valid_until - timedelta(days=25)
    assert service.run(later) == (1, 1)
    assert sorted(rows()) == sorted(
        [
            (late.profile.user.email, ReminderKind.EXPIRY_30, True),
            (followed.profile.user.email, ReminderKind.EXPIRY_90, True),
            (followed.profile.user.email, ReminderKind.EXPIRY_30, True),
        ]
    )
    assert len(mailbox.messages) == 3
    assert len(mailbox.to(followed.profile.user.email)) == 2


def test_a_recorded_reminder_no_longer_due_is_withdrawn_not_sent(app, mailbox, on):
    # Recorded by a run that crashed before sending; since then the 30-day band began.
    held = certification(on, 20)
    stale = ReminderFactory(certification=held, kind=ReminderKind.EXPIRY_90)

    assert service.run(on) == (1, 1)
    db.session.expunge_all()
    assert db.session.get(Reminder, stale.id) is None
    assert [kind_of(m) for m in mailbox.messages] == [ReminderKind.EXPIRY_30]
    assert rows() == [(held.profile.user.email, ReminderKind.EXPIRY_30, True)]


def test_hours_short_is_sent_at_most_once_a_month_with_the_hours_due_in_words(app, mailbox, on):
    short = certification(on, 900, rules=TEN_HOURS_A_YEAR, locale="en")
    email = short.profile.user.email

    first = (on.replace(day=1) + timedelta(days=40)).replace(day=1)  # a month's first day
    assert service.run(first)[1] == 1
    assert service.run(first + timedelta(days=1))[1] == 0
    assert service.run(first + timedelta(days=20))[1] == 0
    next_month = (first + timedelta(days=32)).replace(day=1)
    assert service.run(next_month)[1] == 1

    message = mailbox.to(email)[0]
    body = mailbox.body(message)
    assert subject(message) == (
        f"Training hours are missing for your certification {short.scheme.name}"
    )
    assert "10 h of continuing education needed by" in body
    assert len(mailbox.to(email)) == 2


def test_emails_are_in_the_mediator_s_language_with_dates_in_it(app, mailbox, on):
    french = certification(on, 30, locale="fr")
    english = certification(on, 30, locale="en")
    day = french.expires_on

    service.run(on)

    fr = mailbox.last_to(french.profile.user.email)
    en = mailbox.last_to(english.profile.user.email)
    fr_date = format_date(day, "long", locale="fr")
    en_date = format_date(day, "long", locale="en")
    assert fr_date in subject(fr) and fr_date in mailbox.body(fr)
    assert subject(en) == (f"Your certification {english.scheme.name} is valid until {en_date}")
    body = mailbox.body(en)
    assert f"number {english.number}" in body and "That is 30 days from now." in body
    assert en_date not in mailbox.body(fr)


def test_opting_out_of_one_kind_stops_that_kind_only(app, mailbox, on):
    short = certification(on, 30, rules=TEN_HOURS_A_YEAR)
    user = short.profile.user
    ReminderOptOutFactory(user=user, kind=ReminderKind.EXPIRY_30)

    assert service.run(on) == (1, 1)
    assert rows() == [(user.email, ReminderKind.HOURS_SHORT, True)]
    assert [kind_of(m) for m in mailbox.messages] == [ReminderKind.HOURS_SHORT]


def test_an_opt_out_between_recording_and_sending_withdraws_the_reminder(app, mailbox, on):
    recorded = ReminderFactory(certification=certification(on, 25))
    ReminderOptOutFactory(user_id=recorded.user_id, kind=ReminderKind.EXPIRY_30)

    assert service.run(on) == (0, 0)
    assert mailbox.messages == []
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0


# --- one-click unsubscribe (RFC 8058) ----------------------------------------------------


def _unsubscribe_url(message) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://localhost/unsubscribe/") and header.endswith(">")
    return header[1:-1]


def kind_of(message) -> ReminderKind:
    """The reminder kind an email is about, read from its signed unsubscribe link."""
    return unsubscribe.read_token(_unsubscribe_url(message).rsplit("/", 1)[1])[1]


def test_every_reminder_carries_one_click_unsubscribe_headers(app, mailbox, on):
    certification(on, 30, rules=TEN_HOURS_A_YEAR)
    service.run(on)
    assert len(mailbox.messages) == 2
    for message in mailbox.messages:
        url = _unsubscribe_url(message)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url in mailbox.body(message)  # and in the text, for any mail client
    links = {_unsubscribe_url(m) for m in mailbox.messages}
    assert len(links) == 2  # one per kind


def test_a_one_click_post_stops_that_kind_only(app, client, mailbox, on):
    short = certification(on, 30, rules=TEN_HOURS_A_YEAR)
    user = short.profile.user
    service.run(on)
    expiry = next(m for m in mailbox.messages if kind_of(m) == ReminderKind.EXPIRY_30)
    url = _unsubscribe_url(expiry)

    # What a mail client sends: a bare POST, no cookie, no CSRF token.
    response = client.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    opted = db.session.execute(select(ReminderOptOut.user_id, ReminderOptOut.kind)).all()
    assert opted == [(user.id, ReminderKind.EXPIRY_30)]
    # Clicking twice is harmless.
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    # The expiry date moves on (a longer validity recorded): its 30-day reminder is not
    # even recorded, while hours short, another kind, still goes out in a later month.
    mailbox.messages.clear()
    short.expires_on = short.expires_on + timedelta(days=60)
    db.session.commit()
    assert service.run(short.expires_on - timedelta(days=30)) == (1, 1)
    assert [kind_of(m) for m in mailbox.messages] == [ReminderKind.HOURS_SHORT]
    assert [k for _e, k, _s in rows()].count(ReminderKind.EXPIRY_30) == 1


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_link_opens_a_confirmation_page_that_writes_nothing(app, client, language):
    user = UserFactory()
    url = unsubscribe.link_for(user.id, ReminderKind.HOURS_SHORT)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in page
    # A button that posts what a mail client would: List-Unsubscribe=One-Click.
    assert '<form method="post"' in page
    assert 'name="List-Unsubscribe" type="hidden" value="One-Click"' in page
    if language == "en":
        assert "Stop receiving monthly reminders about missing training hours?" in page
    assert db.session.scalar(select(func.count()).select_from(ReminderOptOut)) == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_link_is_refused_and_writes_nothing(app, client, method):
    user = UserFactory()
    token = unsubscribe.token_for(user.id, ReminderKind.EXPIRY_7)
    other = UserFactory()
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
        unsubscribe.token_for(other.id, ReminderKind.EXPIRY_7).split(".")[0]
        + "."
        + token.split(".")[1],  # someone else's payload, this signature
        "not-a-token",
    ]
    for bad in forged:
        response = client.open(
            f"/unsubscribe/{bad}",
            method=method,
            data={"List-Unsubscribe": "One-Click"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 404, bad
        assert "unsubscribe link is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReminderOptOut)) == 0


def test_a_post_that_is_not_a_one_click_request_is_refused(app, client):
    user = UserFactory()
    url = unsubscribe.link_for(user.id, ReminderKind.EXPIRY_7)
    for data in ({}, {"List-Unsubscribe": "Two-Clicks"}):
        response = client.post(url, data=data)
        assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ReminderOptOut)) == 0


def test_a_scheme_whose_rules_do_not_read_stops_no_one_else_s_reminders(app, mailbox, on):
    broken = certification(on, 30)
    broken.scheme.rules = {"initial": "not a list"}
    fine = certification(on, 30)
    db.session.commit()

    assert service.run(on) == (1, 1)
    assert [m["To"] for m in mailbox.messages] == [fine.profile.user.email]
