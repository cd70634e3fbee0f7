"""Benchmark: the center's compliance dashboard, `GET /c/<slug>/mediators/compliance`
(the HTML page) and its CSV export, `GET /c/<slug>/mediators/compliance.csv`.

Seeds one active center with N mediators (each an active affiliation, an FFCM
certification, a cour d'appel one for a third of them, and 12 training records spread
over the last 3 years), signs its owner in through the real /login form (CSRF token
included), then requests each URL through the Flask test client: 2 warm-up requests,
then R timed ones (time.perf_counter_ns around the whole request: routing, session and
access checks, the board, the template or the CSV). Each request runs in a fresh
context, as the test suite's client does: its own app context, database session and
tenant scope, so nothing is memoised between requests that a real one would not find.
Counts the SQL statements of each request (a `before_cursor_execute` listener on the
engine). No target is set: it prints the figures and exits 0. See bench/README.md.

    .venv/bin/python bench/compliance_board.py [--mediators 200] [--runs 20]

Runs on a throwaway app: a temporary migrated SQLite database, a temporary key file
and files folder, no Redis.
"""

from __future__ import annotations

import argparse
import collections
import contextvars
import os
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient
from sqlalchemy import event, select

from core import migrate
from core.accounts.models import User
from core.accounts.services import hash_password
from core.app import create_app
from core.clock import now
from core.credentials.models import (
    Certification,
    CertificationScheme,
    CertificationStage,
    MediatorProfile,
    TrainingKind,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.schemes import seed_catalogue
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation, AffiliationStatus, Membership, Role, Tenant, TenantStatus

PASSWORD = secrets.token_urlsafe(16)  # the owner's, for this run only
OWNER_EMAIL = "owner@bench.example.org"
SLUG = "centre-bench"
RECORDS_PER_MEDIATOR = 12
WARM_UP = 2
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STATUS = re.compile(r'data-status="([^"]+)"')  # the page's compliance badges
FIRST = "Hélène Zoé Élodie Chloé Inès Amélie Noémie Loïc Jérôme François Gaëlle Cécile Maël"
FIRST += " Anaïs Benoît Thérèse Raphaël Océane Sébastien Léa Étienne Joël Mathéo Agnès"
LAST = "Lefèvre Dubois Müller Garçon Bénard Éluard Moreau Rivière Château Besançon Lemaître"
LAST += " Pérez Goëtz Laurent Fontaine Girard Bonnet Dupré Leclerc Mercier Noël Faure Brunet"
# Training kinds, weighted as a mediator's file tends to hold them.
KINDS = [
    (TrainingKind.CONTINUING_EDUCATION, 4),
    (TrainingKind.SUPERVISION, 4),
    (TrainingKind.CONFERENCE, 1),
    (TrainingKind.TEACHING, 1),
    (TrainingKind.MEDIATIONS_CONDUCTED, 1),
    (TrainingKind.INITIAL_TRAINING, 1),
]
RECORD_CHECKS = [
    (VerificationStatus.VERIFIED, 6),
    (VerificationStatus.PENDING, 3),
    (VerificationStatus.REJECTED, 1),
]
CERTIFICATION_CHECKS = [
    (VerificationStatus.VERIFIED, 7),
    (VerificationStatus.PENDING, 2),
    (VerificationStatus.REJECTED, 1),
]
HOURS = [Decimal(h) for h in ("2", "3.5", "7", "10", "14", "21")]


class Client(FlaskClient):
    """Each request in a fresh context, as tests/conftest.py's client: its own app
    context (hence its own database session) and tenant scope, as in production."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def pick(rng: random.Random, weighted: list[tuple[object, int]]):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def seed(count: int) -> Tenant:
    """The center, its owner, and `count` mediators with their files (in an app context)."""
    rng = random.Random(2026)  # noqa: S311 (reproducible test data, not a secret)
    firsts, lasts = FIRST.split(), LAST.split()
    today = now().date()
    password_hash = hash_password(PASSWORD)
    seed_catalogue()
    db.session.commit()
    schemes = {
        s.code: s
        for s in db.session.scalars(
            select(CertificationScheme).where(
                CertificationScheme.code.in_(["fr-ffcm", "fr-cour-appel"])
            )
        )
    }
    owner = User(
        email=OWNER_EMAIL,
        name="Propriétaire du centre",
        password_hash=password_hash,
        locale="fr",
        email_verified_at=now(),
    )
    db.session.add(owner)
    db.session.flush()
    tenant = Tenant(
        id=uuid.uuid4(),
        slug=SLUG,
        legal_name="Centre de médiation du banc d'essai",
        registration_number="81234567800017",
        city="Lyon",
        status=TenantStatus.ACTIVE,
        activated_at=now(),
    )
    with tenant_scope(tenant.id):
        db.session.add(tenant)
        db.session.add(Membership(tenant_id=tenant.id, user_id=owner.id, role=Role.OWNER))
        for i in range(count):
            user = None
            if i % 2 == 0:  # half of the profiles are claimed by their mediator
                user = User(
                    email=f"mediator{i:05d}@bench.example.org",
                    name=f"Médiateur {i}",
                    password_hash=password_hash,
                    locale="fr",
                    email_verified_at=now(),
                )
                db.session.add(user)
            profile = MediatorProfile(
                id=uuid.uuid4(),
                user=user,
                display_name=f"{rng.choice(firsts)} {rng.choice(lasts)}",
                title="Médiatrice",
                languages=["fr"],
                specialties=["family", "civil"],
                regions=["FR-69"],
                modes=["in_person"],
                created_by_tenant_id=None if user else tenant.id,
            )
            db.session.add(profile)
            db.session.add(
                Affiliation(
                    tenant_id=tenant.id,
                    profile_id=profile.id,
                    status=AffiliationStatus.ACTIVE,
                    rate_eur=Decimal("150.00"),
                    internal_notes="Disponible le mardi.",
                    published=i % 4 == 0,
                )
            )
            db.session.add(
                Certification(
                    profile_id=profile.id,
                    scheme_id=schemes["fr-ffcm"].id,
                    number=f"FFCM-{i:05d}",
                    issued_on=today - timedelta(days=rng.randint(365, 8 * 365)),
                    expires_on=None,  # permanent while the yearly hours are done
                    stage=CertificationStage.DEFINITIVE,
                    verification_status=pick(rng, CERTIFICATION_CHECKS),
                )
            )
            if i % 3 == 0:
                db.session.add(
                    Certification(
                        profile_id=profile.id,
                        scheme_id=schemes["fr-cour-appel"].id,
                        number=f"CA-LYON-{i:05d}",
                        # on the lists published on 1 January 2024, ending with them
                        issued_on=date(2024, 1, 1) + timedelta(days=rng.randint(0, 600)),
                        expires_on=None,
                        verification_status=pick(rng, CERTIFICATION_CHECKS),
                    )
                )
            for _ in range(RECORDS_PER_MEDIATOR):
                kind = pick(rng, KINDS)
                started = today - timedelta(days=rng.randint(0, 3 * 365 - 1))
                db.session.add(
                    TrainingRecord(
                        profile_id=profile.id,
                        title=f"{kind.value.replace('_', ' ').capitalize()} : la médiation",
                        provider="Institut de formation à la médiation",
                        kind=kind,
                        hours=rng.choice(HOURS),
                        mediations=rng.randint(1, 10)
                        if kind == TrainingKind.MEDIATIONS_CONDUCTED
                        else None,
                        started_on=started,
                        ended_on=min(today, started + timedelta(days=rng.randint(0, 2))),
                        verification_status=pick(rng, RECORD_CHECKS),
                    )
                )
        db.session.commit()
    return tenant


def sign_in(client: Client) -> None:
    """The owner signs in through the real /login form, with the page's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    match = CSRF.search(page)
    assert match, "no CSRF token on the sign-in page"
    response = client.post(
        "/login", data={"csrf_token": match.group(1), "email": OWNER_EMAIL, "password": PASSWORD}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]


class StatementCounter:
    """SQL statements sent to the database, and which table each reads first."""

    FROM = re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE)

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        self.statements.append(statement)

    def tables(self) -> collections.Counter[str]:
        found = (self.FROM.search(s) for s in self.statements)
        return collections.Counter(m.group(1) if m else "(other)" for m in found)


def measure(client: Client, url: str, runs: int, counter: StatementCounter) -> dict:
    for _ in range(WARM_UP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    durations: list[int] = []
    statements: list[int] = []
    for _ in range(runs):
        counter.statements.clear()
        before = time.perf_counter_ns()
        response = client.get(url)
        durations.append(time.perf_counter_ns() - before)
        assert response.status_code == 200, (url, response.status_code)
        statements.append(len(counter.statements))
    ordered = sorted(durations)
    ms = 1e-6
    return {
        "url": url,
        "runs": runs,
        "median": statistics.median(ordered) * ms,
        "p95": percentile(ordered, 0.95) * ms,
        "max": ordered[-1] * ms,
        "statements": sorted(set(statements)),
        "by_table": counter.tables(),  # the last request's
        "bytes": len(response.get_data()),
        "content_type": response.content_type,
        "rows": response.get_data(as_text=True).count("\r\n") - 1
        if url.endswith(".csv")
        else response.get_data(as_text=True).count("<tr>") - 1,
        "statuses": collections.Counter(STATUS.findall(response.get_data(as_text=True))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mediators", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mh-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        app = create_app(
            {
                "SECRET_KEY": "bench-only",
                "DATABASE_URL": url,
                "REDIS_URL": None,
                "JOBS_INLINE": True,
                "MAIL_SERVER": None,
                "OAUTH_KEYS_FILE": str(Path(tmp) / "oauth_keys.json"),
                "FILES_DIR": str(Path(tmp) / "files"),
                "LOG_LEVEL": "WARNING",
            }
        )
        app.test_client_class = Client
        with app.app_context():
            started = time.perf_counter()
            seed(args.mediators)
            seeding = time.perf_counter() - started
            db.session.remove()
        # No app context is left open: each request below builds its own.

        counter = StatementCounter()
        event.listen(db.engine_for(app), "before_cursor_execute", counter)
        client = app.test_client()
        sign_in(client)
        base = f"/c/{SLUG}/mediators"
        results = [
            measure(client, f"{base}/compliance", args.runs, counter),
            measure(client, f"{base}/compliance.csv", args.runs, counter),
        ]
        event.remove(db.engine_for(app), "before_cursor_execute", counter)
        db.dispose(app)

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"compliance dashboard on {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}, "
        f"SQLite {__import__('sqlite3').sqlite_version}"
        + (f", load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else "")
    )
    certifications = args.mediators + (args.mediators + 2) // 3
    print(
        f"seeded {args.mediators} mediators, {certifications} certifications, "
        f"{args.mediators * RECORDS_PER_MEDIATOR} training records in {seeding:.1f} s"
    )
    for r in results:
        statements = "-".join(str(n) for n in (r["statements"][0], r["statements"][-1]))
        if len(r["statements"]) == 1:
            statements = str(r["statements"][0])
        print(f"GET {r['url']}  ({r['content_type']})")
        print(f"  runs        {r['runs']} (after {WARM_UP} warm-up requests)")
        for name in ("median", "p95", "max"):
            print(f"  {name:<11} {r[name]:.1f} ms")
        print(f"  SQL         {statements} statements per request")
        tables = ", ".join(f"{t} {n}" for t, n in r["by_table"].most_common())
        print(f"              (by first table read: {tables})")
        print(f"  size        {r['bytes']:,} bytes, {r['rows']} table rows")
        if r["statuses"]:
            mix = ", ".join(f"{s} {n}" for s, n in sorted(r["statuses"].items()))
            print(f"              (compliance shown: {mix})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
