"""The signing key set (core.oauth.keys) and its CLI, on a key file of the test's own
(the session's shared file is never rotated):

- `flask oauth rotate-key` publishes a new key in the JWKS at once (within the
  reload interval) while the current key keeps signing until KEY_PUBLISH_DELAY has
  passed; the old key stays published and its tokens keep verifying after the switch;
- `flask oauth prune-keys` drops a retired key only once its retire time (the last
  token it signed has expired) has come, and its tokens are refused after.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.credentials.signed import MAX_VALIDITY
from core.oauth.keys import KEY_PUBLISH_DELAY, MAX_SIGNATURE_LIFETIME, RELOAD_EVERY
from tests.factories import PartnerFactory
from tests.oauth import Registered, bearer, client_credentials_token, register

ORGANISATION = "/api/v1/organisation"


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return tmp_path / "keys.json"


@pytest.fixture
def app_config(app_config: dict, keys_file: Path) -> dict:
    return {**app_config, "OAUTH_KEYS_FILE": str(keys_file)}


@pytest.fixture
def registered(app) -> Registered:
    return register("partner", PartnerFactory().id)


def published(client: Any) -> list[str]:
    return [key["kid"] for key in client.get("/.well-known/jwks.json").json["keys"]]


def on_file(app: Any) -> list[str]:
    return [k["kid"] for k in json.loads(Path(app.config["OAUTH_KEYS_FILE"]).read_text())["keys"]]


def _segment(token: str, index: int) -> dict[str, Any]:
    raw = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def kid_of(token: str) -> str:
    return _segment(token, 0)["kid"]


def claims_of(token: str) -> dict[str, Any]:
    return _segment(token, 1)


def raw_key(app: Any, kid: str) -> dict[str, Any]:
    keys = json.loads(Path(app.config["OAUTH_KEYS_FILE"]).read_text())["keys"]
    return next(key for key in keys if key["kid"] == kid)


def cli(app: Any, command: str) -> str:
    result = app.test_cli_runner().invoke(args=["oauth", command])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_app_uses_the_tests_own_key_file(app, client, keys_file):
    assert app.config["OAUTH_KEYS_FILE"] == str(keys_file)
    assert published(client) == on_file(app)
    assert len(on_file(app)) == 1
    assert keys_file.stat().st_mode & 0o777 == 0o600  # private keys: owner only


def half_second(clock: Any) -> float:
    """Move the clock to the middle of a second (rotation times are whole seconds: the
    boundaries below are then exact); returns the new time."""
    moment = clock.now().timestamp()
    clock.advance(timedelta(seconds=math.floor(moment) + 1.5 - moment))
    return clock.now().timestamp()


def test_rotate_key_publishes_a_new_key_that_signs_after_the_publish_delay(
    app, client, clock, registered
):
    old = published(client)[0]
    before = client_credentials_token(client, registered)
    assert kid_of(before) == old
    half_second(clock)

    output = cli(app, "rotate-key")

    keys = on_file(app)
    assert len(keys) == 2 and keys[0] == old
    added = keys[1]
    assert f"new key {added} published" in output
    # Every process re-reads the file within RELOAD_EVERY: the key is published then,
    # and no token it signed can yet be met by a process that does not know it...
    clock.advance(timedelta(seconds=RELOAD_EVERY))
    assert published(client) == [old, added]
    assert kid_of(client_credentials_token(client, registered)) == old
    # ...the old key signs until KEY_PUBLISH_DELAY has passed since the rotation...
    clock.advance(timedelta(seconds=KEY_PUBLISH_DELAY - RELOAD_EVERY - 0.1))
    assert kid_of(client_credentials_token(client, registered)) == old
    # ...and the new one within the second after.
    clock.advance(timedelta(seconds=1.1))
    after = client_credentials_token(client, registered)
    assert kid_of(after) == added

    # Both keys stay published, and tokens of both verify.
    assert published(client) == [old, added]
    assert client.get(ORGANISATION, headers=bearer(before)).status_code == 200
    assert client.get(ORGANISATION, headers=bearer(after)).status_code == 200


def test_prune_keys_drops_a_key_only_after_its_retire_time(app, client, clock, registered):
    old = published(client)[0]
    rotated_at = half_second(clock)
    cli(app, "rotate-key")
    # The last token the old key signs, just before the new key takes over.
    clock.advance(timedelta(seconds=KEY_PUBLISH_DELAY - 0.1))
    last_old = client_credentials_token(client, registered)
    assert kid_of(last_old) == old
    clock.advance(timedelta(seconds=1.1))
    new_token = client_credentials_token(client, registered)
    added = kid_of(new_token)
    assert added != old
    retire_at = raw_key(app, old)["retire_at"]
    # Retired once the last token it signed has expired, and not much later.
    assert retire_at >= claims_of(last_old)["exp"]
    assert retire_at <= rotated_at + KEY_PUBLISH_DELAY + MAX_SIGNATURE_LIFETIME + 1
    assert retire_at >= rotated_at + KEY_PUBLISH_DELAY + MAX_VALIDITY.total_seconds()
    assert "retire_at" not in raw_key(app, added)

    # Until then, pruning keeps it, and its tokens verify.
    clock.advance(timedelta(seconds=claims_of(last_old)["exp"] - clock.now().timestamp() - 0.5))
    assert client.get(ORGANISATION, headers=bearer(last_old)).status_code == 200
    clock.advance(timedelta(seconds=retire_at - clock.now().timestamp() - 0.1))
    assert "dropped 0 key(s)" in cli(app, "prune-keys")
    assert on_file(app) == [old, added]
    assert published(client) == [old, added]

    clock.advance(timedelta(seconds=0.1))  # the old key's retire time
    output = cli(app, "prune-keys")

    assert f"dropped 1 key(s): {old}" in output
    assert on_file(app) == [added]
    clock.advance(timedelta(seconds=RELOAD_EVERY))
    assert published(client) == [added]
    fresh = client_credentials_token(client, registered)
    assert kid_of(fresh) == added
    assert client.get(ORGANISATION, headers=bearer(fresh)).status_code == 200
    assert client.get(ORGANISATION, headers=bearer(last_old)).status_code == 401
    # Pruning again drops nothing: the current key has no retire time.
    assert "dropped 0 key(s)" in cli(app, "prune-keys")
    assert on_file(app) == [added]
