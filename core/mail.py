"""Outgoing mail: rendered in the recipient's language, sent by a job on the mail queue.

With MAIL_SERVER set, mail goes out over SMTP; otherwise (embedded mode) it is written
to the log, links included, so a developer can follow them. `send_now` sends in the
calling process, for a sender that must know the server accepted the message.
"""

from __future__ import annotations

import logging
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from core.jobs import job

log = logging.getLogger(__name__)

# Lines up to RFC 5322's limit of 998 characters: folded at 78, a header holding one
# long word (a List-Unsubscribe URL) would be RFC 2047-encoded, which mail clients do
# not decode there, and long links in the text would be cut by quoted-printable.
POLICY = policy.default.clone(max_line_length=998)


def render(template: str, locale: str, **context: Any) -> tuple[str, str]:
    """Render `templates/mail/<template>.txt` in `locale`: (subject, body), the subject
    being the first line."""
    with force_locale(locale):
        rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    subject, _, body = rendered.partition("\n")
    return subject.strip(), body.strip() + "\n"


def send_template(to: str, template: str, locale: str, **context: Any) -> None:
    """Render `templates/mail/<template>.txt` (first line: subject) and queue it."""
    subject, body = render(template, locale, **context)
    send_email.delay(to=to, subject=subject, body=body)


@job("mail")
def send_email(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    send_now(to, subject, body, headers=headers)


def send_now(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send at once, in this process: returns once the SMTP server accepted the message
    and raises if it did not. For senders that must know (reminders mark a row sent
    only then); everyone else queues with `send_email.delay`."""
    config = current_app.config
    message = EmailMessage(policy=POLICY)
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mediation-hub")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        log.info(
            "mail (not sent: no MAIL_SERVER)", extra={"to": to, "subject": subject, "body": body}
        )
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_STARTTLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
