"""Outgoing mail: rendered in the recipient's language, sent by a job on the mail queue.

With MAIL_SERVER set, mail goes out over SMTP; otherwise (embedded mode) it is written
to the log, links included, so a developer can follow them.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from core.jobs import job

log = logging.getLogger(__name__)


def send_template(to: str, template: str, locale: str, **context: Any) -> None:
    """Render `templates/mail/<template>.txt` (first line: subject) and queue it."""
    with force_locale(locale):
        rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    subject, _, body = rendered.partition("\n")
    send_email.delay(to=to, subject=subject.strip(), body=body.strip() + "\n")


@job("mail")
def send_email(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mediation-hub")
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
