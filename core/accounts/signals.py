"""Account signals that domains subscribe to at start-up (core imports no domain)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the User once they follow their email verification link; tenants activates
# the centers that user signed up.
email_verified = _signals.signal("email-verified")
