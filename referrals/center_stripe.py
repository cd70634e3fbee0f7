"""A center's own Stripe account, where the parties' card payments go.

The platform never holds the parties' money: payments are made on the center's account,
reached with the key the center entered (a restricted key, `rk_...`, is advised; a
secret key `sk_...` works too), stored Fernet-encrypted. `CENTER_STRIPE_API_BASE` points
every center's client at another host (the tests' second localstripe).
"""

from __future__ import annotations

import re

import stripe
from flask import current_app

from core.billing.client import stripe_client
from core.encryption import decrypt, encrypt
from referrals.fee_models import CenterBillingProfile

SECRET_KEY = re.compile(r"^(rk|sk)_(test|live)_[A-Za-z0-9_]{1,200}$")
PUBLISHABLE_KEY = re.compile(r"^pk_(test|live)_[A-Za-z0-9_]{1,200}$")


class StripeAccountError(Exception):
    """The center's Stripe account refused a call, or could not be reached."""


def client_for_key(key: str) -> stripe.StripeClient:
    return stripe_client(key, current_app.config.get("CENTER_STRIPE_API_BASE"))


def check_key(key: str) -> None:
    """One call to the account (its balance) proves the key works; raises otherwise."""
    try:
        client_for_key(key).v1.balance.retrieve()
    except stripe.StripeError as exc:
        raise StripeAccountError(str(exc.user_message or exc.__class__.__name__)) from exc


def store_key(profile: CenterBillingProfile, key: str, publishable: str) -> None:
    profile.stripe_key_encrypted = encrypt(key)
    profile.stripe_publishable_key = publishable


def center_client(profile: CenterBillingProfile) -> stripe.StripeClient:
    if not profile.stripe_key_encrypted:
        raise StripeAccountError("the center has not connected a Stripe account")
    return client_for_key(decrypt(profile.stripe_key_encrypted))
