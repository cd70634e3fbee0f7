"""The webhook transport against a real HTTP receiver on the loopback interface.

Only name resolution is ever replaced (to play DNS rebinding); every request goes over
a real socket to a real `http.server`, which records what reached it.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from referrals import webhook_transport as wt


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    scheme: str = "http"
    requests: list[Received] = field(default_factory=list)
    connections: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


def _stream(handler: BaseHTTPRequestHandler, chunk: bytes, pause: float) -> None:
    """Write `chunk` again and again until the client goes away (or 10 s pass)."""
    handler.send_response(200)
    handler.end_headers()
    until = time.monotonic() + 10
    try:
        while time.monotonic() < until:
            handler.wfile.write(chunk)
            handler.wfile.flush()
            time.sleep(pause)
    except OSError:
        pass  # the client hung up, as it should


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def _record(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.server.receiver.requests.append(
            Received(
                self.command,
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                self.rfile.read(length),
            )
        )

    def _answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting

    def do_GET(self) -> None:
        self._record()
        self._answer(200, b"followed")

    def do_POST(self) -> None:
        self._record()
        if self.path == "/ok":
            self._answer(200, b"thanks")
        elif self.path == "/accepted":
            self._answer(204)
        elif self.path == "/fail":
            self._answer(500, b"boom")
        elif self.path == "/gone":
            self._answer(410, b"unsubscribed")
        elif self.path == "/redirect":
            self._answer(302, Location="/target")
        elif self.path == "/target":
            self._answer(200, b"followed")
        elif self.path == "/slow":
            time.sleep(2)
            self._answer(200, b"late")
        elif self.path == "/chatty":
            self._answer(200, "é".encode() + b"x" * 5000)
        elif self.path == "/endless":
            _stream(self, b"x" * 16384, 0)
        elif self.path == "/trickle":
            _stream(self, b"x", 0.05)
        else:
            self._answer(404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def verify_request(self, request: object, client_address: object) -> bool:
        self.receiver.connections += 1
        return True


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.receiver = Receiver(server.server_address[1], "https" if tls else "http")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name `localhost` only (not 127.0.0.1)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Receiver]:
    """An HTTPS receiver whose certificate the sender trusts (through SSL_CERT_FILE)."""
    cert_file, key_file = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    yield from _serve(context)


SECRETS = (wt.new_secret(), wt.new_secret())  # the new one, then the previous one


def _deliver(url: str, **kwargs: object) -> wt.Attempt:
    arguments: dict = {
        "secrets": SECRETS,
        "msg_id": "msg_2hG5",
        "event_type": "referral.created",
        "payload": {"referral_id": "r_1", "note": "médiation"},
        "allow_private": True,
        "timeout": 5,
    }
    return wt.deliver(url, **(arguments | kwargs))


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Resolve each name in `answers` to its next list of addresses (the last one
    repeats), anything else for real; returns the names looked up, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        queue = answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses
        ]

    monkeypatch.setattr(wt.socket, "getaddrinfo", getaddrinfo)
    return asked


# Signing


def test_new_secret_is_whsec_and_32_random_bytes() -> None:
    secret = wt.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert wt.new_secret() != secret


def test_signature_verifies_with_each_rotated_secret_and_no_other() -> None:
    body = wt.envelope("referral.created", {"id": 1}, dt.datetime.now(dt.UTC))
    headers = wt.sign_headers(SECRETS, "msg_1", dt.datetime.now(dt.UTC), body)

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in SECRETS:
        assert Webhook(secret).verify(body, headers)["data"] == {"id": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(wt.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRETS[0]).verify(body + b" ", headers)


def test_timestamp_in_another_time_zone_is_signed_as_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    moment = dt.datetime.now(paris)
    headers = wt.sign_headers(SECRETS[:1], "msg_1", moment, b"{}")

    assert headers["webhook-timestamp"] == str(int(moment.timestamp()))
    Webhook(SECRETS[0]).verify(b"{}", headers)


@pytest.mark.parametrize(
    ("secrets", "msg_id", "moment"),
    [
        ([], "msg_1", dt.datetime.now(dt.UTC)),
        (SECRETS[0], "msg_1", dt.datetime.now(dt.UTC)),  # a string, not a list of them
        (SECRETS, "msg_1\r\nx-injected: 1", dt.datetime.now(dt.UTC)),
        (SECRETS, "", dt.datetime.now(dt.UTC)),
        (SECRETS, "msg_1", dt.datetime(2025, 3, 30, 2, 30)),  # naive: in which zone?
    ],
)
def test_sign_headers_refuses_what_cannot_be_signed(
    secrets: object, msg_id: str, moment: dt.datetime
) -> None:
    with pytest.raises(ValueError):
        wt.sign_headers(secrets, msg_id, moment, b"{}")  # type: ignore[arg-type]


# Delivery


def test_delivery_is_signed_with_both_secrets_and_enveloped(receiver: Receiver) -> None:
    now = dt.datetime.now(dt.UTC)
    attempt = _deliver(receiver.url("/ok"), now=now)

    assert attempt == wt.Attempt(200, True, False, None, attempt.duration_ms, "thanks")
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "MediationHub-Webhooks/1.0"
    assert request.headers["webhook-id"] == "msg_2hG5"
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))
    for secret in SECRETS:
        Webhook(secret).verify(request.body, request.headers)
    assert b" " not in request.body  # compact
    assert json.loads(request.body) == {
        "type": "referral.created",
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": {"referral_id": "r_1", "note": "médiation"},
    }


def test_same_message_id_gives_same_webhook_id(receiver: Receiver) -> None:
    _deliver(receiver.url("/ok"), msg_id="msg_A")
    _deliver(receiver.url("/fail"), msg_id="msg_A")
    _deliver(receiver.url("/ok"), msg_id="msg_B")

    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert ids == ["msg_A", "msg_A", "msg_B"]


def test_any_2xx_is_ok(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/accepted"))

    assert (attempt.status_code, attempt.ok, attempt.error) == (204, True, None)


def test_server_error_is_a_failed_attempt(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/fail"))

    assert (attempt.status_code, attempt.ok, attempt.gone) == (500, False, False)
    assert attempt.error == "HTTP 500"
    assert attempt.response_excerpt == "boom"


def test_410_says_the_endpoint_is_gone(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/gone"))

    assert (attempt.status_code, attempt.ok, attempt.gone) == (410, False, True)


def test_redirect_is_reported_and_not_followed(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/redirect"))

    assert (attempt.status_code, attempt.ok) == (302, False)
    assert attempt.error is not None
    assert "redirected" in attempt.error and "/target" in attempt.error
    time.sleep(0.1)  # a followed redirect would have landed by now
    assert receiver.paths == ["/redirect"]


def test_timeout_is_reported_without_raising(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/slow"), timeout=0.3)

    assert attempt.status_code is None and not attempt.ok
    assert attempt.error == "timed out after 0.3 s"
    assert 250 <= attempt.duration_ms < 1500


def test_timeout_bounds_a_receiver_that_trickles_its_answer(receiver: Receiver) -> None:
    # Each byte comes well within a socket timeout; only the overall deadline stops it.
    attempt = _deliver(receiver.url("/trickle"), timeout=0.5)

    assert attempt.error == "timed out after 0.5 s"
    assert attempt.duration_ms < 1500


def test_response_excerpt_is_truncated(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/chatty"))

    assert attempt.ok
    assert attempt.response_excerpt == "é" + "x" * 999


def test_endless_response_is_read_only_up_to_the_limit(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/endless"), timeout=5)

    assert attempt.ok and attempt.error is None
    assert attempt.duration_ms < 2500  # it stopped reading, it did not wait for the end


def test_connection_refused_is_reported(receiver: Receiver) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    attempt = _deliver(f"http://127.0.0.1:{closed_port}/ok")

    assert attempt.status_code is None and not attempt.ok
    assert attempt.error is not None and "refused" in attempt.error


def test_https_goes_to_the_host_name_of_the_url(tls_receiver: Receiver) -> None:
    attempt = _deliver(tls_receiver.url("/ok", host="localhost"))

    assert attempt.ok, attempt.error
    [request] = tls_receiver.requests
    assert request.headers["host"] == f"localhost:{tls_receiver.port}"
    for secret in SECRETS:
        Webhook(secret).verify(request.body, request.headers)


def test_https_certificate_is_checked_against_the_host_name(tls_receiver: Receiver) -> None:
    # Connecting to the resolved address must not weaken the check: the certificate
    # names localhost, so the same server reached as 127.0.0.1 is refused.
    attempt = _deliver(tls_receiver.url("/ok", host="127.0.0.1"))

    assert not attempt.ok
    assert attempt.error is not None and "certificate" in attempt.error
    assert tls_receiver.requests == []


def test_connection_goes_to_the_checked_address_not_a_new_lookup(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the name answers with an acceptable address for the check, then
    # with another one. The request must go where the check looked.
    asked = _fake_dns(monkeypatch, {"hooks.partner.test": [["127.0.0.1"], []]})
    attempt = _deliver(receiver.url("/ok", host="hooks.partner.test"))

    assert attempt.ok, attempt.error
    assert asked == ["hooks.partner.test"]
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.partner.test:{receiver.port}"


# The destination check


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:{port}/ok", "a loopback address"),
        ("https://localhost:{port}/ok", "a loopback address"),
        ("https://[::1]:{port}/ok", "a loopback address"),
        ("https://[::ffff:127.0.0.1]:{port}/ok", "stands for 127.0.0.1, a loopback address"),
        ("https://10.0.0.1/", "a private address"),
        ("https://192.168.1.20/", "a private address"),
        ("https://100.64.0.1/", "a non-public address"),
        ("https://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("https://[fd00:ec2::254]/", "a cloud metadata address"),
        ("https://[::ffff:169.254.169.254]/", "a cloud metadata address"),
        ("https://169.254.1.1/", "a link-local address"),
        ("https://0.0.0.0:{port}/ok", "an unspecified address"),
        ("https://224.0.0.1/", "a multicast address"),
        ("https://[64:ff9b::7f00:1]/", "stands for 127.0.0.1"),
        ("https://240.0.0.1/", "a reserved address"),
    ],
)
def test_internal_addresses_are_refused_and_never_contacted(
    receiver: Receiver, url: str, reason: str
) -> None:
    url = url.format(port=receiver.port)
    with pytest.raises(wt.DestinationRefused, match=re.escape(reason)):
        wt.check_destination(url, allow_private=False)

    attempt = _deliver(url, allow_private=False)

    assert attempt.status_code is None and not attempt.ok
    assert attempt.error is not None and reason in attempt.error
    assert receiver.connections == 0


def test_http_is_refused_unless_private_destinations_are_allowed(receiver: Receiver) -> None:
    attempt = _deliver(receiver.url("/ok"), allow_private=False)

    assert attempt.error == "The URL must start with https://."
    assert receiver.connections == 0
    assert _deliver(receiver.url("/ok"), allow_private=True).ok
    assert receiver.paths == ["/ok"]


def test_metadata_address_is_refused_even_when_private_is_allowed() -> None:
    for url in ("http://169.254.169.254/", "https://[::ffff:169.254.169.254]/"):
        with pytest.raises(wt.DestinationRefused, match="metadata"):
            wt.check_destination(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://no-such-host.invalid/", "could not be resolved"),
        ("ftp://example.com/", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("https://user:secret@93.184.215.14/", "user name or password"),
        ("https://@93.184.215.14/", "user name or password"),
        ("https:///path", "no host name"),
        ("https://93.184.215.14:99999/", "port is not valid"),
        ("https://93.184.215.14/a b", "spaces or control characters"),
        ("https://93.184.215.14/" + "a" * 1980, "longer than 2000 characters"),
    ],
)
def test_malformed_destinations_are_refused(url: str, message: str) -> None:
    with pytest.raises(wt.DestinationRefused, match=re.escape(message)):
        wt.check_destination(url, allow_private=True)


def test_unresolvable_host_is_a_failed_attempt_not_an_exception() -> None:
    attempt = _deliver("https://no-such-host.invalid/", allow_private=False)

    assert attempt == wt.Attempt(
        None,
        False,
        False,
        "The host no-such-host.invalid could not be resolved.",
        attempt.duration_ms,
    )


def test_public_addresses_pass_the_check() -> None:
    wt.check_destination("https://93.184.215.14/hooks?x=1", allow_private=False)
    wt.check_destination("https://[2606:4700::1111]:8443/hooks", allow_private=False)
    wt.check_destination("https://93.184.215.14/" + "a" * 1978, allow_private=False)


def test_host_is_resolved_again_at_each_check(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _fake_dns(monkeypatch, {"hooks.partner.test": [["93.184.215.14"], ["127.0.0.1"]]})

    wt.check_destination("https://hooks.partner.test/", allow_private=False)
    with pytest.raises(wt.DestinationRefused, match=r"127\.0\.0\.1, a loopback address"):
        wt.check_destination("https://hooks.partner.test/", allow_private=False)
    assert asked == ["hooks.partner.test", "hooks.partner.test"]


def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {"hooks.partner.test": [["93.184.215.14", "10.1.2.3"]]})

    with pytest.raises(wt.DestinationRefused, match=r"10\.1\.2\.3, a private address"):
        wt.check_destination("https://hooks.partner.test/", allow_private=False)


# Retry schedule


def test_default_schedule_spans_more_than_a_day_and_grows() -> None:
    schedule = wt.DEFAULT_SCHEDULE

    assert schedule[0] == 0  # the first attempt goes at once
    assert sum(schedule) >= 24 * 3600
    assert all(a <= b for a, b in itertools.pairwise(schedule))
    assert schedule == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


def test_next_delay_follows_the_scaled_schedule_then_stops() -> None:
    delays = [wt.next_delay(n, scale=0.001, jitter=0) for n in range(1, 10)]

    assert delays == [s * 0.001 for s in wt.DEFAULT_SCHEDULE] + [None]
    with pytest.raises(ValueError):
        wt.next_delay(0)


class _Edge:
    """A random source that always draws one end of the range."""

    def __init__(self, high: bool) -> None:
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def test_jitter_stays_within_its_proportion() -> None:
    assert wt.next_delay(3, jitter=0.1, rng=_Edge(high=False)) == pytest.approx(270)
    assert wt.next_delay(3, jitter=0.1, rng=_Edge(high=True)) == pytest.approx(330)
    drawn = {wt.next_delay(3, rng=random.Random(seed)) for seed in range(20)}
    assert len(drawn) > 1
    assert all(270 <= delay <= 330 for delay in drawn)
    with pytest.raises(ValueError):
        wt.next_delay(3, jitter=1.5)


def test_retry_delays_follow_the_schedule_within_the_jitter() -> None:
    exact = wt.retry_delays(scale=0.001, jitter=0)
    jittered = wt.retry_delays(scale=0.001, jitter=0.1, rng=random.Random(7))

    assert exact == [s * 0.001 for s in wt.DEFAULT_SCHEDULE]
    assert exact == sorted(exact)
    assert len(jittered) == len(exact)
    for delay, base in zip(jittered, exact, strict=True):
        assert base * 0.9 <= delay <= base * 1.1
    assert jittered != exact
