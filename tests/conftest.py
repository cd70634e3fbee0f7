"""Test harness: one migrated database per run, emptied after each test; a real SMTP
server; requests that each get their own app context, as in production.

Runs on the embedded default (SQLite + fake Redis, jobs inline) or, when DATABASE_URL /
REDIS_URL are set, on PostgreSQL (as the RLS-bound app role) and Redis with a real RQ
worker draining the queues after each request. With MH_STRICT_SERVICES=1 (.ci/run), a
test skipped for a missing service or tool fails instead.
"""

from __future__ import annotations

import base64
import contextvars
import os
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from core import jobs, migrate
from core.app import create_app, import_models
from core.clock import FrozenClock
from core.db import Base, db
from core.tenancy import scoped
from tests.factories import DEFAULT_PASSWORD

MISSING = "missing service"

# Encrypts stored secrets in tests (a Fernet key made for the run, never a real one).
TEST_ENCRYPTION_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()

# The Stripe emulators (localstripe): fixtures stripe_platform and stripe_center.
pytest_plugins = ["tests.stripe_emulator"]


def missing_service(what: str) -> None:
    """Skip for a service or tool this machine lacks (a failure under MH_STRICT_SERVICES)."""
    pytest.skip(f"{MISSING}: {what}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("MH_STRICT_SERVICES") == "1":
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if MISSING in reason:
            report.outcome = "failed"
            report.longrepr = f"MH_STRICT_SERVICES=1 and the test was skipped: {reason}"


# --- database ------------------------------------------------------------------------


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    owner = create_engine(url)
    if owner.dialect.name == "postgresql":
        with owner.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    owner.dispose()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def owner_engine(database_url: str) -> Iterator[Engine]:
    """A connection as the migrating user (owner): for cleanup and RLS checks only."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    import_models()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


# --- mail ------------------------------------------------------------------------------


class MailCapture:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def last_to(self, address: str) -> Message:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]

    @staticmethod
    def body(message: Message) -> str:
        return message.get_payload(decode=True).decode()

    def link_in(self, message: Message, path_fragment: str = "") -> str:
        """The first http(s) link in a mail whose path contains `path_fragment`."""
        for url in re.findall(r"https?://[^\s<>\"]+", self.body(message)):
            if path_fragment in url:
                return url
        raise AssertionError(f"no link with {path_fragment!r} in: {self.body(message)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[MailCapture, int]]:
    capture = MailCapture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    yield capture, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[MailCapture, int]) -> MailCapture:
    capture, _port = smtp_server
    capture.messages.clear()
    return capture


# --- app and client --------------------------------------------------------------------


class Client(FlaskClient):
    """Each request runs in a fresh context (its own app context, session and scope);
    on real Redis, a non-forking RQ worker then drains the queues."""

    _csrf: str | None = None

    def csrf_token(self) -> str:
        """The session's CSRF token, read from a page as a browser would."""
        if self._csrf is None:
            page = self.get("/", follow_redirects=True).get_data(as_text=True)
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert match, "no CSRF token on the page"
            self._csrf = match.group(1)
        return self._csrf

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with the session's CSRF token, like the page's own form would."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)

    def forget_csrf(self) -> None:
        self._csrf = None

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD, url: str = "/login"):
        """Post the sign-in form; signing in renews the session, CSRF token included."""
        response = self.post_form(url, {"email": email, "password": password})
        self.forget_csrf()
        return response

    def is_signed_in(self) -> bool:
        return self.get("/account/workspaces").status_code == 200

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if not self.application.config["JOBS_INLINE"]:
            contextvars.Context().run(jobs.run_pending, self.application)
        return response


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def oauth_keys_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One signing key set for the run, out of the project's instance/ folder."""
    return str(tmp_path_factory.mktemp("oauth") / "oauth_keys.json")


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    """Where the app stores uploaded files in a test (never the project's instance/)."""
    return tmp_path / "files"


@pytest.fixture
def app_config(
    database_url: str,
    smtp_server: tuple[MailCapture, int],
    clock: FrozenClock,
    oauth_keys_file: str,
    files_dir: Path,
) -> dict:
    _capture, port = smtp_server
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "JOBS_INLINE": not os.environ.get("REDIS_URL"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "PUBLIC_BASE_URL": "http://localhost",
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": True,
        "OAUTH_KEYS_FILE": oauth_keys_file,
        "FILES_DIR": str(files_dir),
    }


@pytest.fixture
def app(app_config: dict, owner_engine: Engine) -> Iterator[Flask]:
    application = create_app(app_config)
    application.test_client_class = Client
    with application.app_context():
        yield application
        db.session.remove()
    application.extensions["redis"].flushdb()
    db.dispose(application)
    _empty_all_tables(owner_engine)


@pytest.fixture
def page_language() -> str | None:
    """The Accept-Language of `client`; a package's conftest may pin it."""
    return None


@pytest.fixture
def client(app: Flask, page_language: str | None) -> Client:
    test_client = app.test_client()
    if page_language:
        test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = page_language
    return test_client


@pytest.fixture
def unscoped():
    """Let the test body read every tenant's rows (not audited: tests only)."""
    with scoped(platform_reason="test inspection"):
        yield
