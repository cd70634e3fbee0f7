"""Outgoing webhooks on the wire (Standard Webhooks): signing, the destination check,
one delivery attempt and the retry schedule.

Pure functions without a database: the service that stores endpoints and attempts
calls them. A receiver's URL is typed in by a user, so it is treated as hostile: it is
checked against internal addresses at each attempt, the connection goes to the very
address that passed the check, redirects are never followed, and a receiver can
neither hold a worker past the timeout nor fill its memory.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from secrets import SystemRandom, token_bytes
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from standardwebhooks import Webhook

USER_AGENT = "MediationHub-Webhooks/1.0"
MAX_URL_LENGTH = 2000
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 1000
_MAX_LOCATION_CHARS = 300  # a redirect target is shown to the user, not trusted

# Delay in seconds before each attempt, per Standard Webhooks' recommendation: the
# first at once, then retries spanning more than a day, so a receiver that is down
# overnight still gets the message.
DEFAULT_SCHEDULE: tuple[float, ...] = (
    0,
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services hand out the instance's credentials to whoever asks: refused
# even where private destinations are allowed, since no receiver lives there.
_METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
# NAT64's well-known prefix: the last 32 bits are an IPv4 address that a gateway
# connects to on our behalf, so that address is what must be judged.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_KINDS = (
    ("is_loopback", _l("a loopback address")),
    ("is_unspecified", _l("an unspecified address")),
    ("is_link_local", _l("a link-local address")),
    ("is_multicast", _l("a multicast address")),
    ("is_reserved", _l("a reserved address")),
    ("is_private", _l("a private address")),
)


class DestinationRefused(Exception):
    """A webhook URL that must not be requested; the message says why, for the user."""


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt, as it is recorded."""

    status_code: int | None
    ok: bool  # a 2xx answer: delivered
    gone: bool  # a 410 answer: the receiver asks us to stop sending to this endpoint
    error: str | None
    duration_ms: int
    response_excerpt: str = ""


@dataclass(frozen=True)
class _Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[tuple[int, tuple[Any, ...]], ...]  # (family, sockaddr), all checked


def new_secret() -> str:
    """A new signing secret: `whsec_` and 32 random bytes in base64, the form the
    spec's libraries take (they strip the prefix and decode the rest)."""
    return "whsec_" + base64.b64encode(token_bytes(32)).decode("ascii")


def sign_headers(
    secrets: Sequence[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers of `body`.

    With several secrets (during a rotation, the new one and the previous one) the
    signature header carries one `v1,<signature>` per secret, separated by spaces, so a
    receiver verifies with whichever secret it holds.
    """
    if isinstance(secrets, str) or not secrets:
        raise ValueError("secrets must be a non-empty sequence of secrets")
    if not msg_id or not msg_id.isascii() or not msg_id.isprintable() or " " in msg_id:
        raise ValueError("a message id must be printable ASCII without spaces")
    if timestamp.tzinfo is None:
        raise ValueError("the timestamp must be timezone-aware")
    # The library replaces the time zone with UTC rather than converting to it.
    utc = timestamp.astimezone(UTC)
    data = body.decode("utf-8")
    signatures = [Webhook(secret).sign(msg_id, utc, data) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(utc.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def envelope(event_type: str, payload: dict[str, Any], timestamp: datetime) -> bytes:
    """The body of a message, in the shape the spec recommends, as compact JSON."""
    when = timestamp.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    document = {"type": event_type, "timestamp": when, "data": payload}
    return json.dumps(document, separators=(",", ":"), allow_nan=False).encode("ascii")


def check_destination(url: str, *, allow_private: bool) -> None:
    """Raise DestinationRefused unless `url` may receive webhooks.

    The host is resolved at each call: what it resolved to when the endpoint was saved
    says nothing about what it resolves to now.
    """
    _resolve(url, allow_private=allow_private)


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise DestinationRefused unless `url` has the shape of a webhook URL, without
    resolving its host (an endpoint being saved: the host is resolved at each delivery).
    An address written in the URL itself is judged at once."""
    _scheme, host, _port, _parts = _parse(url, allow_private=allow_private)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a host name
    reason = _refusal(address, allow_private=allow_private)
    if reason:
        raise DestinationRefused(
            _l(
                "%(address)s is %(reason)s: webhooks are only sent to public addresses.",
                address=str(address),
                reason=reason,
            )
        )


def _resolve(url: str, *, allow_private: bool) -> _Destination:
    scheme, host, port, parts = _parse(url, allow_private=allow_private)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationRefused(_unresolved(host)) from None
    addresses: list[tuple[int, tuple[Any, ...]]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        reason = _refusal(address, allow_private=allow_private)
        if reason:
            raise DestinationRefused(
                _l(
                    "The host %(host)s resolves to %(address)s, %(reason)s: "
                    "webhooks are only sent to public addresses.",
                    host=host,
                    address=str(address),
                    reason=reason,
                )
            )
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise DestinationRefused(_unresolved(host))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Destination(scheme, host, port, target, tuple(addresses))


def _parse(url: str, *, allow_private: bool) -> tuple[str, str, int, SplitResult]:
    """(scheme, host, port, parts) of a well-formed webhook URL, else DestinationRefused."""
    if len(url) > MAX_URL_LENGTH:
        raise DestinationRefused(
            _l("The URL is longer than %(max)d characters.", max=MAX_URL_LENGTH)
        )
    if any(c <= " " or c == "\x7f" for c in url):
        raise DestinationRefused(_l("The URL contains spaces or control characters."))
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ around an IPv6 address
        raise DestinationRefused(_l("The URL is not valid.")) from None
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise DestinationRefused(_l("The URL must start with https://."))
    if "@" in parts.netloc:
        raise DestinationRefused(_l("The URL must not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise DestinationRefused(_l("The URL has no host name."))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not 0 < port < 65536:
        raise DestinationRefused(_l("The URL's port is not valid."))
    return parts.scheme, host, port, parts


def _unresolved(host: str) -> LazyString:
    return _l("The host %(host)s could not be resolved.", host=host)


def _refusal(address: IPAddress, *, allow_private: bool) -> LazyString | None:
    """Why `address` must not be connected to, or None."""
    if address in _METADATA:
        return _l("a cloud metadata address")
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        # What counts is the IPv4 address the packets end up at (::ffff:127.0.0.1 is
        # the loopback to a dual-stack socket).
        reason = _refusal(embedded, allow_private=allow_private)
        if reason is None:
            return None
        return _l("which stands for %(address)s, %(reason)s", address=str(embedded), reason=reason)
    if allow_private:
        return None
    for flag, kind in _KINDS:
        if getattr(address, flag):
            return kind
    if not address.is_global:  # e.g. 100.64.0.0/10, shared by carrier-grade NAT
        return _l("a non-public address")
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def deliver(
    url: str,
    *,
    secrets: Sequence[str],
    msg_id: str,
    event_type: str,
    payload: dict[str, Any],
    timeout: float = 10,
    allow_private: bool,
    now: datetime | None = None,
) -> Attempt:
    """Make one attempt to POST one message to `url`, signed with `secrets`.

    A refused destination or a network failure does not raise: it is reported in
    `Attempt.error`. `timeout` bounds the whole attempt, connection to last byte.
    Arguments that cannot make a message (an unserialisable payload, a naive `now`)
    raise, since retrying would not help.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    body = envelope(event_type, payload, now)
    headers = {
        **sign_headers(secrets, msg_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    try:
        destination = _resolve(url, allow_private=allow_private)
        status, location, content = _post(destination, headers, body, started + timeout)
    except DestinationRefused as refused:
        with force_locale("en"):  # the delivery log is in English, like the other errors
            error = str(refused)
        return Attempt(None, False, False, error, _ms_since(started))
    except TimeoutError:
        return Attempt(None, False, False, f"timed out after {timeout:g} s", _ms_since(started))
    except ssl.SSLCertVerificationError as exc:
        error = f"TLS certificate not accepted: {exc.verify_message}"
        return Attempt(None, False, False, error, _ms_since(started))
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}".removesuffix(": ")
        return Attempt(None, False, False, error, _ms_since(started))
    excerpt = content[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    ok = 200 <= status < 300
    error = None
    if 300 <= status < 400:
        target = (location or "nowhere")[:_MAX_LOCATION_CHARS]
        error = f"redirected (HTTP {status}) to {target}; redirects are not followed"
    elif not ok:
        error = f"HTTP {status}"
    return Attempt(status, ok, status == 410, error, _ms_since(started), excerpt)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _post(
    destination: _Destination, headers: dict[str, str], body: bytes, deadline: float
) -> tuple[int, str | None, bytes]:
    """POST `body`; (status, Location header, up to MAX_RESPONSE_BYTES of the body).
    Raises TimeoutError once `deadline` (a time.monotonic() value) has passed."""
    connection = _PinnedConnection(destination, deadline)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        connection.abort()

    # Socket timeouts bound each wait, not their sum: a receiver trickling one byte
    # at a time would hold the worker indefinitely without this watchdog.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), cut)
    watchdog.daemon = True
    watchdog.start()
    response = None
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise TimeoutError from exc
        raise
    finally:
        watchdog.cancel()
        if response is not None:
            response.close()
        connection.close()
    if expired.is_set():  # the body may have been cut short without an error
        raise TimeoutError
    return response.status, response.getheader("location"), content


class _PinnedConnection(http.client.HTTPConnection):
    """A connection to the addresses `_resolve` checked, never to a fresh lookup of
    the host name: a DNS answer that changes between the check and the connection
    (DNS rebinding) cannot send the request inside. The Host header, SNI and the
    certificate check still use the host name of the URL."""

    def __init__(self, destination: _Destination, deadline: float) -> None:
        super().__init__(destination.host, destination.port)
        self._addresses = destination.addresses
        self._deadline = deadline
        # `self.sock` is let go once a response that ends the connection arrives (the
        # response reads on); the watchdog needs the socket until the very end.
        self._socket: socket.socket | None = None
        self._tls = ssl.create_default_context() if destination.scheme == "https" else None
        if self._tls is not None:
            self.default_port = 443  # so the Host header omits the default port

    def connect(self) -> None:
        error: OSError = TimeoutError()
        for family, sockaddr in self._addresses:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(remaining)
            try:
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            break
        else:
            raise error
        if self._tls is None:
            self.sock = self._socket = sock
            return
        self.sock = self._socket = self._tls.wrap_socket(
            sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        self.sock.do_handshake()

    def abort(self) -> None:
        """End the connection from another thread, waking a blocked read."""
        sock = self._socket
        if sock is None:
            return
        # The plain socket's shutdown, also on a TLS socket: SSLSocket.shutdown would
        # drop its TLS state under the reading thread, this only ends the connection.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


_RANDOM = SystemRandom()


def next_delay(
    attempt_number: int,
    *,
    schedule: Sequence[float] = DEFAULT_SCHEDULE,
    scale: float = 1.0,
    jitter: float = 0.1,
    rng: _Random = _RANDOM,
) -> float | None:
    """Seconds to wait before attempt `attempt_number` (1 is the first attempt), or
    None once the schedule is exhausted.

    `scale` shrinks the schedule (tests run it in milliseconds). The jitter, ± that
    proportion, spreads the retries of messages that failed together, so a receiver
    coming back up is not hit by all of them in the same instant.
    """
    if attempt_number < 1:
        raise ValueError("attempts are numbered from 1")
    if attempt_number > len(schedule):
        return None
    return _jittered(schedule[attempt_number - 1] * scale, jitter, rng)


def retry_delays(
    schedule: Sequence[float] = DEFAULT_SCHEDULE,
    *,
    scale: float = 1.0,
    jitter: float = 0.1,
    rng: _Random = _RANDOM,
) -> list[float]:
    """The delay before each attempt of `schedule`, scaled and jittered."""
    return [_jittered(delay * scale, jitter, rng) for delay in schedule]


def _jittered(delay: float, jitter: float, rng: _Random) -> float:
    if not 0 <= jitter < 1:
        raise ValueError("jitter is a proportion between 0 and 1")
    return delay * rng.uniform(1 - jitter, 1 + jitter)
