"""The platform's signing keys: a private JWK set, its public half at
/.well-known/jwks.json, and rotation that never invalidates a live token.

Keys come from `OAUTH_KEYS_FILE` (a mounted secret in production; generated into
`instance/` on first use in the embedded default). Each key carries, besides its JWK
members, `use_from` and `retire_at` (Unix seconds):
- a new key is published at once but signs only from `use_from` (after
  `KEY_PUBLISH_DELAY`), so every process has re-read the set, and can verify its
  tokens, before the first one is issued;
- the previous key stops signing then and stays published until `retire_at`, when the
  last thing it signed (a 15-minute token, or a signed credential valid up to a year,
  MAX_SIGNATURE_LIFETIME) has expired; `flask oauth prune-keys` drops it after that.
Each process re-reads the file when it changes, checking at most every `RELOAD_EVERY`.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

ALGORITHM = "RS256"  # RFC 9068 section 2.1: every resource server supports it
KEY_SIZE = 2048
KEY_PUBLISH_DELAY = 120  # seconds between publishing a key and signing with it
# The longest-lived signature the platform key makes: signed credentials, valid up to a
# year (core.credentials.signed). A retired key stays published that long, so that
# nothing it signed reads as tampered before it has expired.
MAX_SIGNATURE_LIFETIME = 366 * 24 * 3600
RELOAD_EVERY = 30  # seconds between checks of the key file


@dataclass(frozen=True)
class Loaded:
    signing: dict[float, RSAKey]  # use_from -> key
    verifying: KeySet
    public: dict[str, Any]
    mtime: float


def _new_key(use_from: float) -> dict[str, Any]:
    key = RSAKey.generate_key(KEY_SIZE, parameters={"kid": secrets.token_urlsafe(12)})
    data = key.as_dict(private=True)
    # Rounded up: a key never signs before its publish delay has fully passed.
    data.update({"alg": ALGORITHM, "use": "sig", "use_from": math.ceil(use_from)})
    return data


class KeyStore:
    """The key set of one app (one file), re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None
        self._checked_at = 0.0

    # --- file ------------------------------------------------------------------------

    def read_raw(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return list(json.loads(self.path.read_text())["keys"])

    def write_raw(self, keys: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"keys": keys}, indent=2))
        tmp.chmod(0o600)
        os.replace(tmp, self.path)  # atomic: a reader never sees half a file

    def ensure(self, now: float) -> None:
        """Create the first key if there is none (usable at once: nothing to wait for)."""
        if not self.read_raw():
            self.write_raw([_new_key(use_from=now)])

    def rotate(self, now: float, max_token_lifetime: int) -> dict[str, Any]:
        """Publish a new key; it signs after KEY_PUBLISH_DELAY, the current one retires
        once its last token has expired. Returns the new key's public members."""
        keys = self.read_raw()
        new = _new_key(use_from=now + KEY_PUBLISH_DELAY)
        for key in keys:
            if "retire_at" not in key:
                key["retire_at"] = int(new["use_from"] + max_token_lifetime)
        self.write_raw([*keys, new])
        return {k: new[k] for k in ("kid", "use_from")}

    def prune(self, now: float) -> list[str]:
        """Drop keys whose tokens have all expired; returns their kids."""
        keys = self.read_raw()
        keep = [k for k in keys if k.get("retire_at", now + 1) > now]
        if len(keep) != len(keys):
            self.write_raw(keep)
        return [k["kid"] for k in keys if k not in keep]

    # --- in memory -------------------------------------------------------------------

    def loaded(self, now: float) -> Loaded:
        current = self._loaded
        if current is not None and now - self._checked_at < RELOAD_EVERY:
            return current
        with self._lock:
            self._checked_at = now
            mtime = self.path.stat().st_mtime if self.path.exists() else 0.0
            if self._loaded is None or self._loaded.mtime != mtime:
                self._loaded = self._load(mtime)
            return self._loaded

    def _load(self, mtime: float) -> Loaded:
        raw = self.read_raw()
        if not raw:
            raise RuntimeError(f"no signing key in {self.path}; run `flask oauth rotate-key`")
        private = [RSAKey.import_key({k: v for k, v in r.items() if k not in _META}) for r in raw]
        public_keys = [
            {**key.as_dict(private=False), "alg": ALGORITHM, "use": "sig"} for key in private
        ]
        signing = {float(r["use_from"]): key for r, key in zip(raw, private, strict=True)}
        verifying = KeySet([RSAKey.import_key(p) for p in public_keys])
        return Loaded(signing, verifying, {"keys": public_keys}, mtime)

    def signing_key(self, now: float) -> RSAKey:
        """The newest key whose `use_from` has come."""
        signing = self.loaded(now).signing
        usable = [t for t in signing if t <= now] or [min(signing)]
        return signing[max(usable)]

    def verifying_keys(self, now: float) -> KeySet:
        return self.loaded(now).verifying

    def jwks(self, now: float) -> dict[str, Any]:
        return self.loaded(now).public


_META = ("use_from", "retire_at")
