"""Signals of the case lifecycle, which the outbox of webhooks and the notifications
subscribe to at start-up (blinker, as Flask uses).

`case_moved` is sent inside the transaction that writes the step (`sender` is the
`Referral`, `event` the new `ReferralEvent`): a subscriber that writes rows (the webhook
outbox) writes them in that same transaction; one that sends mail queues it for after
the commit (core.jobs), so nothing leaves before the step is saved.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

case_moved = _signals.signal("referral-case-moved")
