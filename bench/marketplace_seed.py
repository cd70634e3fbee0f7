"""Seeding the marketplace benchmark's database, then building its public listing.

The private tables (tenants, center pages, offers, mediator profiles, affiliations,
certifications, training records) are written with PostgreSQL's COPY, in one
transaction, as the database owner: that is a bulk import, not what the app's forms do,
and it is not timed against the app. The public listing is then built by the real
indexer, `marketplace.indexing.refresh`, in an app context and a platform scope, as the
`refresh_listings` job does; several processes share the work.

Profile i is affiliated with center i // 100 (active, published); one in ten also with
another center of the same block of 10 centers. Each indexer process refreshes whole
blocks (`refresh(center_ids=block)`: the block's mediators, then its centers with their
mediator counts), so no two processes ever write the same center row.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from slugify import slugify

from bench import marketplace_data as data

PER_CENTER = 100
BLOCK = 10  # centers per indexer task
SECOND_AFFILIATION = 0.10
CERTIFIED = 0.30
SEED = 2026


def new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _copy(cur: psycopg.Cursor, table: str, columns: list[str], rows: Any) -> int:
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


class Seeder:
    """The rows of one benchmark database, generated in order from a fixed seed."""

    def __init__(self, profiles: int) -> None:
        self.profiles = profiles
        self.centers = max(1, profiles // PER_CENTER)
        self.rng = random.Random(SEED)  # noqa: S311 (reproducible test data)
        self.now = datetime.now(UTC)
        self.center_ids = [new_id(self.rng) for _ in range(self.centers)]
        self.center_cities = [self.rng.choice(data.CITIES) for _ in range(self.centers)]

    def seed(self, conn: psycopg.Connection, scheme_ids: dict[str, uuid.UUID]) -> dict[str, int]:
        counts = {}
        with conn.cursor() as cur:
            counts["tenants"] = _copy(cur, "tenants", TENANT_COLUMNS, self._tenants())
            counts["center_profiles"] = _copy(
                cur, "center_profiles", CENTER_PAGE_COLUMNS, self._center_pages()
            )
            counts["offers"] = _copy(cur, "offers", OFFER_COLUMNS, self._offers())
            profiles: list[tuple[uuid.UUID, int]] = []
            counts["mediator_profiles"] = _copy(
                cur, "mediator_profiles", PROFILE_COLUMNS, self._profiles(profiles)
            )
            counts["affiliations"] = _copy(
                cur, "affiliations", AFFILIATION_COLUMNS, self._affiliations(profiles)
            )
            certified: list[tuple[uuid.UUID, date, bool]] = []
            counts["certifications"] = _copy(
                cur,
                "certifications",
                CERTIFICATION_COLUMNS,
                self._certifications(profiles, scheme_ids["fr-ffcm"], certified),
            )
            counts["training_records"] = _copy(
                cur, "training_records", RECORD_COLUMNS, self._records(certified)
            )
        return counts

    # --- centers ---------------------------------------------------------------------

    def _tenants(self):
        rng = self.rng
        for i, (cid, (city, _postal, _dept)) in enumerate(
            zip(self.center_ids, self.center_cities, strict=True)
        ):
            name = rng.choice(data.CENTER_PATTERNS).format(
                city=city, last=rng.choice(data.LAST_NAMES)
            )
            slug = f"{slugify(name, max_length=50)}-{i}"
            registration = f"{rng.randrange(10**13, 10**14)}"
            yield (cid, slug, name, registration, city, "FR", "fr", "Europe/Paris", "active",
                   False, self.now, self.now)  # fmt: skip

    def _center_pages(self):
        rng = self.rng
        for i, cid in enumerate(self.center_ids):
            city, postal, dept = self.center_cities[i]
            area = sorted({f"FR-{dept}", *(f"FR-{d}" for d in rng.sample(data.DEPARTMENTS, 2))})
            languages = ["fr", *rng.sample(["en", "es", "de", "it", "ar"], rng.randint(0, 2))]
            street = f"{rng.randint(1, 120)} {rng.choice(data.STREET_NAMES)}"
            yield (
                data.PRESENTATION_FR.format(city=city),
                data.PRESENTATION_EN.format(city=city),
                street,
                postal,
                json.dumps(area),
                json.dumps(languages),
                f"https://centre-{i}.example.org",
                f"contact-{i}@centre.example.org",
                f"+33 4 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
                False,
                True,
                self.now,
                self.now,
                new_id(rng),
                cid,
            )

    def _offers(self):
        rng = self.rng
        for cid in self.center_ids:
            chosen = sorted(rng.sample(range(len(data.OFFERS)), rng.randint(2, 4)))
            for position, index in enumerate(chosen):
                kind, name, included, minutes, sessions, (low, high), pricing, mode = data.OFFERS[
                    index
                ]
                excl = Decimal(rng.randrange(low, high + 1, 10))
                incl = (excl * Decimal("1.2")).quantize(Decimal("0.01"))
                steps = json.dumps(data.OFFER_STEPS[: rng.randint(3, 4)], ensure_ascii=False)
                yield (
                    name,
                    kind,
                    included,
                    minutes,
                    sessions,
                    excl,
                    Decimal("20.00"),
                    incl,
                    pricing,
                    mode,
                    steps,
                    True,
                    position,
                    self.now,
                    self.now,
                    new_id(rng),
                    cid,
                )

    # --- mediators -------------------------------------------------------------------

    def _profiles(self, out: list[tuple[uuid.UUID, int]]):
        rng = self.rng
        for i in range(self.profiles):
            pid = new_id(rng)
            center = min(i // PER_CENTER, self.centers - 1)
            out.append((pid, center))
            name = f"{rng.choice(data.FIRST_NAMES)} {rng.choice(data.LAST_NAMES)}"
            languages = data.pick_languages(rng)
            specialties = data.pick_specialties(rng)
            english = "en" in languages or rng.random() < 0.2
            bio_fr, bio_en = data.bios(rng, specialties, english)
            dept = self.center_cities[center][2]
            others = rng.sample(data.DEPARTMENTS, rng.choice((0, 0, 1, 2)))
            regions = sorted({f"FR-{dept}", *(f"FR-{d}" for d in others)})
            low = Decimal(rng.randrange(60, 200, 5))
            registrations = []
            if rng.random() < 0.3:
                court = rng.choice(data.COURTS_OF_APPEAL)
                registrations.append(
                    {"kind": "court_of_appeal", "name": court, "number": f"CA-{i}"}
                )
            yield (
                name,
                rng.choice(data.TITLES_FR),
                bio_fr,
                bio_en,
                json.dumps(languages),
                json.dumps(specialties),
                json.dumps(regions),
                json.dumps(data.pick_modes(rng)),
                low,
                low + Decimal(rng.randrange(0, 150, 5)),
                json.dumps(registrations, ensure_ascii=False),
                True,
                self.now,
                self.now,
                self.now,
                self.center_ids[center],
                pid,
            )

    def _affiliations(self, profiles: list[tuple[uuid.UUID, int]]):
        rng = self.rng
        for pid, center in profiles:
            centers = [center]
            block = center - center % BLOCK
            neighbours = [c for c in range(block, min(block + BLOCK, self.centers)) if c != center]
            if neighbours and rng.random() < SECOND_AFFILIATION:
                centers.append(rng.choice(neighbours))
            for c in centers:
                rate = Decimal(rng.randrange(80, 250, 5))
                note = "Note interne : disponibilités à confirmer."
                yield (pid, "active", rate, note, True, self.now, self.now, new_id(rng),
                       self.center_ids[c])  # fmt: skip

    def _certifications(self, profiles, scheme_id, certified):
        rng = self.rng
        statuses = ("verified", "pending", "rejected")
        for pid, center in profiles:
            if rng.random() >= CERTIFIED:
                continue
            status = rng.choices(statuses, (7, 2, 1))[0]
            issued = date(rng.randint(2015, 2023), rng.randint(1, 12), rng.randint(1, 28))
            certified.append((pid, issued, status == "verified"))
            verified = status == "verified"
            yield (
                pid,
                scheme_id,
                f"FFCM-{rng.randrange(10**5, 10**6)}",
                issued,
                None,
                "definitive",
                self.now,
                self.now,
                new_id(rng),
                status,
                self.now if verified else None,
                self.center_ids[center] if verified else None,
            )

    def _records(self, certified):
        """For each certification: the initial training, then each calendar year's
        continuing education and supervision (what the FFCM asks for)."""
        rng = self.rng
        year = self.now.year
        for pid, issued, _verified in certified:
            start = issued - timedelta(days=365)
            rows = [("Formation initiale à la médiation", "initial_training", "200", start)]
            for y in range(max(issued.year, year - 2), year + 1):
                day = date(y, rng.randint(1, 10), rng.randint(1, 28))
                rows.append(("Formation continue", "continuing_education", "14", day))
                rows.append(("Analyse de la pratique", "supervision", "12", day))
            for title, kind, hours, started in rows:
                yield (pid, title, "Institut de formation à la médiation", kind, Decimal(hours),
                       started, started, self.now, self.now, new_id(rng), "verified",
                       self.now)  # fmt: skip


TENANT_COLUMNS = ["id", "slug", "legal_name", "registration_number", "city", "country"]
TENANT_COLUMNS += ["locale", "timezone", "status", "require_2fa_for_admins", "created_at"]
TENANT_COLUMNS += ["activated_at"]
CENTER_PAGE_COLUMNS = [
    "presentation_fr", "presentation_en", "address", "postal_code", "service_area",
    "languages", "website", "contact_email", "contact_phone", "require_compliance",
    "published", "created_at", "updated_at", "id", "tenant_id",
]  # fmt: skip
OFFER_COLUMNS = [
    "name", "kind", "included", "duration_minutes", "sessions", "price_excl_vat", "vat_rate",
    "price_incl_vat", "pricing", "mode", "steps", "published", "position", "created_at",
    "updated_at", "id", "tenant_id",
]  # fmt: skip
PROFILE_COLUMNS = [
    "display_name", "title", "bio_fr", "bio_en", "languages", "specialties", "regions",
    "modes", "rate_min_eur", "rate_max_eur", "registrations", "listed_publicly",
    "listed_publicly_at", "created_at", "updated_at", "created_by_tenant_id", "id",
]  # fmt: skip
AFFILIATION_COLUMNS = [
    "profile_id", "status", "rate_eur", "internal_notes", "published", "created_at",
    "updated_at", "id", "tenant_id",
]  # fmt: skip
CERTIFICATION_COLUMNS = [
    "profile_id", "scheme_id", "number", "issued_on", "expires_on", "stage", "created_at",
    "updated_at", "id", "verification_status", "verified_at", "verified_for_tenant_id",
]  # fmt: skip
RECORD_COLUMNS = [
    "profile_id", "title", "provider", "kind", "hours", "started_on", "ended_on",
    "created_at", "updated_at", "id", "verification_status", "verified_at",
]  # fmt: skip


# --- the public listing, built by the real indexer -----------------------------------


_APP: Any = None


def _start_indexer(config: dict[str, Any]) -> None:
    """Each indexer process builds its app once."""
    global _APP
    from core.app import create_app

    _APP = create_app(config)


def _index_blocks(blocks: list[list[str]]) -> int:
    """`refresh` each block of centers (its mediators, then the centers), one
    transaction each, as the `refresh_listings` job does for a change."""
    from core.db import db
    from core.tenancy import platform_scope
    from marketplace import indexing

    with _APP.app_context(), platform_scope("bench: build the marketplace listing"):
        for block in blocks:
            indexing.refresh(center_ids=[uuid.UUID(c) for c in block])
            db.session.commit()
    return len(blocks)


def build_listing(config: dict[str, Any], center_ids: list[uuid.UUID], processes: int) -> float:
    """Build the listing with `processes` indexer processes; returns the seconds taken."""
    blocks = [
        [str(c) for c in center_ids[start : start + BLOCK]]
        for start in range(0, len(center_ids), BLOCK)
    ]
    # Small tasks handed out in turn keep every process busy to the end.
    tasks = [blocks[start : start + 2] for start in range(0, len(blocks), 2)]
    started = time.perf_counter()
    done = 0
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_start_indexer, initargs=(config,)) as pool:
        for count in pool.imap_unordered(_index_blocks, tasks):
            done += count
            if done % 20 < count or done == len(blocks):
                elapsed = time.perf_counter() - started
                print(
                    f"  indexed {done}/{len(blocks)} blocks of {BLOCK} centers in {elapsed:.0f} s",
                    flush=True,
                )
    return time.perf_counter() - started
