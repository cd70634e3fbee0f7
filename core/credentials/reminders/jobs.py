"""The daily reminders job (declared in core.jobs.RECURRING)."""

from __future__ import annotations

import logging

from core.credentials.reminders import service
from core.jobs import job

log = logging.getLogger(__name__)


@job("default", timeout=3600)
def send_reminders() -> None:
    """Record and send the mediators' reminders due today. Safe to run again: only
    what is not recorded is recorded, only what is unsent is sent."""
    recorded, sent = service.run(service.today())
    log.info("reminders", extra={"recorded": recorded, "sent": sent})
