"""Configuration from the environment (twelve-factor), with safe embedded defaults.

Nothing here touches the file system or the network: `load_config` only reads the
environment; `ensure_instance_secrets` (called by the app factory) generates the
embedded-mode secret key into `instance/` the first time it is needed.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _rate(value: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """A rate limit written "requests/seconds", e.g. "600/60"."""
    if not value:
        return default
    count, _, window = value.partition("/")
    return int(count), int(window or 60)


def load_config(instance_path: str) -> dict[str, Any]:
    """Read the configuration from the environment."""
    env = os.environ
    database_url = (
        env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'mediation_hub.db'}"
    )
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = env.get("REDIS_URL") or None
    https = _bool(env.get("HTTPS"), default=False)
    return {
        "SECRET_KEY": env.get("SECRET_KEY"),
        "DATABASE_URL": database_url,
        # Role the app switches to in each transaction when it logs in as the tables'
        # owner or a superuser (see core.db). "auto" detects it; "" never switches.
        "DATABASE_APP_ROLE": env.get("DATABASE_APP_ROLE", "auto"),
        "DATABASE_APP_ROLE_NAME": env.get("DATABASE_APP_ROLE_NAME", "mediation_hub_app"),
        "REDIS_URL": redis_url,
        # Without Redis, jobs run inline on an in-process fake Redis.
        "JOBS_INLINE": _bool(env.get("JOBS_INLINE"), default=redis_url is None),
        # With inline jobs, run the workers' periodic tasks in a thread of the app's own
        # process (`make run` sets it: the embedded mode has no worker process).
        "EMBEDDED_WORKER": _bool(env.get("EMBEDDED_WORKER"), default=False),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_STARTTLS": _bool(env.get("MAIL_USE_STARTTLS")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "Mediation Hub <no-reply@mediation-hub.localhost>"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "HTTPS": https,
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "mh_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT": timedelta(minutes=15),
        "INVITATION_TTL": timedelta(days=7),
        "EMAIL_TOKEN_TTL": timedelta(hours=24),
        "RESET_TOKEN_TTL": timedelta(hours=1),
        # Any request body above 1 MB is refused with 413 before a view sees it.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "API_TITLE": "Mediation Hub API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "PLATFORM_NAME": "Mediation Hub",
        # OAuth 2.0: the private signing keys (a mounted secret in production; generated
        # into instance/ otherwise), the issuer and audience (default: PUBLIC_BASE_URL).
        "OAUTH_KEYS_FILE": env.get("OAUTH_KEYS_FILE") or None,
        "OAUTH_ISSUER": env.get("OAUTH_ISSUER") or None,
        "OAUTH_AUDIENCE": env.get("OAUTH_AUDIENCE") or None,
        # Uploaded files: a folder under instance/ unless an S3-compatible bucket is set.
        "FILES_DIR": env.get("FILES_DIR") or None,
        "S3_BUCKET": env.get("S3_BUCKET") or None,
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": env.get("S3_REGION") or None,
        "S3_ACCESS_KEY_ID": env.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": env.get("S3_SECRET_ACCESS_KEY") or None,
        # Rate limits as (requests, window in seconds).
        "OAUTH_TOKEN_RATE_PER_CLIENT": _rate(env.get("OAUTH_TOKEN_RATE_PER_CLIENT"), (60, 60)),
        "OAUTH_TOKEN_RATE_PER_IP": _rate(env.get("OAUTH_TOKEN_RATE_PER_IP"), (300, 60)),
        "API_RATE_PER_CLIENT": _rate(env.get("API_RATE_PER_CLIENT"), (600, 60)),
        "API_RATE_ANONYMOUS": _rate(env.get("API_RATE_ANONYMOUS"), (60, 60)),
        # Outgoing webhooks (referrals.webhook_jobs). Receivers must be public https
        # addresses; development and tests may allow http and private addresses
        # (loopback included; cloud metadata addresses never).
        "WEBHOOKS_ALLOW_PRIVATE": _bool(env.get("WEBHOOKS_ALLOW_PRIVATE"), default=False),
        # Multiplies the retry schedule (tests run it in milliseconds), the timeout of one
        # attempt, and how often the workers look for due retries and stranded events.
        "WEBHOOK_SCHEDULE_SCALE": float(env.get("WEBHOOK_SCHEDULE_SCALE") or 1.0),
        "WEBHOOK_TIMEOUT_SECONDS": float(env.get("WEBHOOK_TIMEOUT_SECONDS") or 10),
        "WEBHOOK_SWEEP_SECONDS": float(env.get("WEBHOOK_SWEEP_SECONDS") or 5),
        # Platform billing (core.billing): off unless the platform's Stripe secret key is
        # set; then every tenant is on an unlimited internal plan. STRIPE_API_BASE points
        # the client at another API host (an emulator in tests); STRIPE_JS_URL likewise.
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/",
        # The platform's legal mentions printed on Stripe's subscription invoices
        # (company name, SIREN, VAT number, address, late-payment penalties).
        "BILLING_INVOICE_FOOTER": env.get("BILLING_INVOICE_FOOTER") or None,
        # Days a past-due tenant keeps full access before it turns read-only.
        "BILLING_GRACE_DAYS": int(env.get("BILLING_GRACE_DAYS") or 7),
        # How often the workers send due dunning emails and bill ended periods' overage.
        "BILLING_SWEEP_SECONDS": float(env.get("BILLING_SWEEP_SECONDS") or 300),
        # Another API host for the centers' own Stripe accounts (party fees; tests: a
        # second emulator). Unset: Stripe.
        "CENTER_STRIPE_API_BASE": env.get("CENTER_STRIPE_API_BASE") or None,
        # Key (Fernet, urlsafe base64 of 32 bytes) that encrypts secrets stored in the
        # database, e.g. a center's own Stripe key; generated into instance/ if unset.
        "ENCRYPTION_KEY": env.get("ENCRYPTION_KEY") or None,
    }


def ensure_instance_secrets(instance_path: str, config: dict[str, Any]) -> None:
    """Generate the embedded-mode secrets into `instance/` once; never in the repo."""
    generators = {
        "SECRET_KEY": ("secret_key", lambda: secrets.token_urlsafe(48)),
        # A Fernet key: urlsafe base64 of 32 random bytes.
        "ENCRYPTION_KEY": (
            "encryption_key",
            lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ),
    }
    for name, (file_name, generate) in generators.items():
        if config.get(name):
            continue
        path = Path(instance_path)
        path.mkdir(parents=True, exist_ok=True)
        key_file = path / file_name
        if not key_file.exists():
            key_file.write_text(generate())
            key_file.chmod(0o600)
        config[name] = key_file.read_text().strip()
