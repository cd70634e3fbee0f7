"""`flask oauth ...`: the signing keys' rotation."""

from __future__ import annotations

import click
from flask import Flask, current_app

from core.clock import now
from core.oauth.keys import KEY_PUBLISH_DELAY, MAX_SIGNATURE_LIFETIME
from core.oauth.tokens import key_store


@click.group("oauth")
def oauth_group() -> None:
    """The OAuth server's signing keys."""


@oauth_group.command("rotate-key")
def rotate_key() -> None:
    """Publish a new signing key; it signs after a short delay, and the current key stays
    published until the last thing it signed has expired."""
    added = key_store(current_app).rotate(now().timestamp(), MAX_SIGNATURE_LIFETIME)
    click.echo(
        f"new key {added['kid']} published; it starts signing in {KEY_PUBLISH_DELAY} s. "
        "The current key stays published a year (its tokens and signed credentials "
        "must verify until they expire); `flask oauth prune-keys` drops it then."
    )


@oauth_group.command("prune-keys")
def prune_keys() -> None:
    """Drop the retired keys whose tokens have all expired."""
    dropped = key_store(current_app).prune(now().timestamp())
    click.echo(f"dropped {len(dropped)} key(s): {', '.join(dropped) or '-'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(oauth_group)
