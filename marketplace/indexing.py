"""Keep the public search tables in step with the private data they are built from.

Every commit that changes a profile, training record, certification, affiliation,
center, center page or offer enqueues one `refresh_listings` job naming the mediators
and centers concerned (`watch_changes`); the job rebuilds their public rows in a
platform scope. In the embedded mode jobs run inline, so a change shows at once; with
Redis a worker picks it up within a second or two. `rebuild_listings` (daily) re-reads
everything, since a certification's standing changes with the date alone.

Who is listed (the only place that decides it):
- a center: live (active tenant) and its center page published;
- a mediator: consented to be listed, a complete profile, and at least one active,
  published affiliation with a listed center, which, when the center requires it,
  holds a verified, compliant certification.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import has_app_context
from flask_babel import force_locale
from slugify import slugify
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session

from core.clock import now
from core.credentials.compliance.model import Status
from core.credentials.forms import SPECIALTY_LABELS
from core.credentials.models import Certification, MediatorProfile, TrainingRecord
from core.credentials.standing import records_by_profile, standing
from core.db import db
from core.jobs import job
from core.tenancy import platform_scope
from marketplace.models import CenterListing, MediatorListing
from marketplace.vocabulary import fold, price_band
from tenants.models import Affiliation, AffiliationStatus, Tenant, TenantStatus
from tenants.storefront_models import CenterProfile, Offer, public_offer

BATCH = 500
BADGE_STATUSES = frozenset({Status.COMPLIANT, Status.EXPIRING})
_CHANGES = "marketplace_changes"


# --- who is listed -----------------------------------------------------------------------


def profile_is_complete(profile: MediatorProfile) -> bool:
    """Enough to be found and chosen: a name, a biography, and each facet filled."""
    return bool(
        profile.display_name.strip()
        and (profile.bio_fr.strip() or profile.bio_en.strip())
        and profile.languages
        and profile.specialties
        and profile.regions
        and profile.modes
    )


def mediator_slug(profile: MediatorProfile) -> str:
    return f"{slugify(profile.display_name, max_length=120) or 'mediator'}-{profile.id.hex[:12]}"


def _listed_centers(center_ids: Iterable[uuid.UUID] | None = None) -> dict[uuid.UUID, Any]:
    """Listed centers (all, or among `center_ids`) -> (tenant, center page)."""
    query = (
        select(Tenant, CenterProfile)
        .join(CenterProfile, CenterProfile.tenant_id == Tenant.id)
        .where(Tenant.status == TenantStatus.ACTIVE, CenterProfile.published.is_(True))
    )
    if center_ids is not None:
        query = query.where(Tenant.id.in_(list(center_ids)))
    return {tenant.id: (tenant, page) for tenant, page in db.session.execute(query)}


def _lowest_offer_prices(center_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    query = (
        select(Offer.tenant_id, func.min(Offer.price_incl_vat))
        .where(Offer.tenant_id.in_(list(center_ids)), Offer.published.is_(True))
        .group_by(Offer.tenant_id)
    )
    return {center_id: price for center_id, price in db.session.execute(query)}


def _badges(
    certifications: list[Certification], records: list[TrainingRecord]
) -> list[dict[str, Any]]:
    today = now().date()
    found = []
    for certification in certifications:
        if certification.revoked_at is not None or not certification.is_verified:
            continue
        assessment = standing(certification, today, records)
        if assessment.status in BADGE_STATUSES:
            scheme = certification.scheme
            found.append(
                {
                    "scheme_code": scheme.code,
                    "scheme_name": scheme.name,
                    "issuing_body": scheme.issuing_body,
                    "valid_until": assessment.valid_until.isoformat()
                    if assessment.valid_until
                    else None,
                }
            )
    return sorted(found, key=lambda badge: badge["scheme_name"])


def _specialty_words(codes: list[str]) -> str:
    words = []
    for locale in ("fr", "en"):
        with force_locale(locale):
            words += [str(SPECIALTY_LABELS.get(code, code)) for code in codes]
    return " ".join(words)


# --- building rows -----------------------------------------------------------------------


def _mediator_rows(profile_ids: list[uuid.UUID]) -> tuple[list[dict], set[uuid.UUID]]:
    """The listing rows of the given profiles that are to be listed, and every center
    they are affiliated with (whose mediator counts may change)."""
    profiles = {
        p.id: p
        for p in db.session.scalars(
            select(MediatorProfile).where(MediatorProfile.id.in_(profile_ids))
        )
    }
    affiliations: dict[uuid.UUID, list[Affiliation]] = {pid: [] for pid in profiles}
    touched: set[uuid.UUID] = set()
    for affiliation in db.session.scalars(
        select(Affiliation).where(Affiliation.profile_id.in_(list(profiles)))
    ):
        touched.add(affiliation.tenant_id)
        if affiliation.status == AffiliationStatus.ACTIVE and affiliation.published:
            affiliations[affiliation.profile_id].append(affiliation)
    centers = _listed_centers({a.tenant_id for rows in affiliations.values() for a in rows})
    prices = _lowest_offer_prices(centers)
    certifications: dict[uuid.UUID, list[Certification]] = {pid: [] for pid in profiles}
    for certification in db.session.scalars(
        select(Certification).where(Certification.profile_id.in_(list(profiles)))
    ):
        certifications[certification.profile_id].append(certification)
    records = records_by_profile(list(profiles))

    rows = []
    for pid, profile in profiles.items():
        if not (profile.listed_publicly and profile_is_complete(profile)):
            continue
        badges = _badges(certifications[pid], records[pid])
        listed_by = [
            centers[a.tenant_id]
            for a in affiliations[pid]
            if a.tenant_id in centers and (badges or not centers[a.tenant_id][1].require_compliance)
        ]
        if not listed_by:
            continue
        listed_by.sort(key=lambda pair: fold(pair[0].legal_name))
        offer_prices = [prices[t.id] for t, _page in listed_by if t.id in prices]
        price = min(offer_prices) if offer_prices else profile.rate_min_eur
        center_names = " ".join(f"{t.legal_name} {t.city}" for t, _page in listed_by)
        rows.append(
            {
                "profile_id": pid,
                "slug": mediator_slug(profile),
                "display_name": profile.display_name,
                "name_folded": fold(profile.display_name),
                "title": profile.title,
                "bio_fr": profile.bio_fr,
                "bio_en": profile.bio_en,
                "has_photo": profile.photo_key is not None,
                "languages": sorted(profile.languages),
                "specialties": sorted(profile.specialties),
                "regions": sorted(profile.regions),
                "modes": sorted(profile.modes),
                "center_slugs": [t.slug for t, _page in listed_by],
                "centers": [
                    {"slug": t.slug, "name": t.legal_name, "city": t.city} for t, _page in listed_by
                ],
                "badges": badges,
                "compliant": bool(badges),
                "registrations": [
                    {"kind": r.get("kind"), "name": r.get("name")}
                    for r in profile.registrations or []
                ],
                "rate_min_eur": profile.rate_min_eur,
                "rate_max_eur": profile.rate_max_eur,
                "price_from_eur": price,
                "price_band": price_band(price),
                "search_text": f"{_specialty_words(profile.specialties)} {center_names}",
                "updated_at": now(),
            }
        )
    return rows, touched


def _write_mediators(profile_ids: list[uuid.UUID], rows: list[dict]) -> None:
    session = db.session
    session.execute(delete(MediatorListing).where(MediatorListing.profile_id.in_(profile_ids)))
    postgres = session.get_bind().dialect.name == "postgresql"
    if rows:
        statement = insert(MediatorListing)
        if postgres:  # the document is computed as the row is written: one write a row
            statement = statement.values(search_vector=POSTGRES_DOCUMENT)
            rows = [{**row, **{f"doc_{k}": row[k] for k in DOCUMENT_FIELDS}} for row in rows]
        session.execute(statement, rows)
    if not postgres:
        _write_fts(profile_ids, rows)


# The full-text document: names in the `simple` configuration (no stemming of proper
# nouns), the rest in French and in English, all without accents.
DOCUMENT_FIELDS = ("display_name", "title", "search_text", "bio_fr", "bio_en")
POSTGRES_DOCUMENT = text(
    "setweight(to_tsvector('simple', unaccent(:doc_display_name)), 'A')"
    " || setweight(to_tsvector('french', unaccent(:doc_title || ' ' || :doc_search_text)), 'B')"
    " || setweight(to_tsvector('english', unaccent(:doc_title || ' ' || :doc_search_text)), 'B')"
    " || setweight(to_tsvector('french', unaccent(:doc_bio_fr)), 'C')"
    " || setweight(to_tsvector('english', unaccent(:doc_bio_en)), 'C')"
)


FTS_DELETE = (
    "DELETE FROM marketplace_mediators_fts WHERE profile_id IN (SELECT value FROM json_each(:keys))"
)
FTS_INSERT = (
    "INSERT INTO marketplace_mediators_fts (profile_id, name, body) VALUES (:id, :name, :body)"
)


def _write_fts(profile_ids: list[uuid.UUID], rows: list[dict]) -> None:
    session = db.session
    session.execute(text(FTS_DELETE), {"keys": json.dumps([pid.hex for pid in profile_ids])})
    if rows:
        session.execute(
            text(FTS_INSERT),
            [
                {
                    "id": row["profile_id"].hex,
                    "name": row["display_name"],
                    "body": " ".join(
                        (row["title"], row["bio_fr"], row["bio_en"], row["search_text"])
                    ),
                }
                for row in rows
            ],
        )


def _center_rows(center_ids: list[uuid.UUID]) -> list[dict]:
    centers = _listed_centers(center_ids)
    offers: dict[uuid.UUID, list[Offer]] = {cid: [] for cid in centers}
    for offer in db.session.scalars(
        select(Offer)
        .where(Offer.tenant_id.in_(list(centers)), Offer.published.is_(True))
        .order_by(Offer.position, Offer.price_incl_vat, Offer.name)
    ):
        offers[offer.tenant_id].append(offer)
    rows = []
    for cid, (tenant, page) in centers.items():
        listed = select(func.count()).select_from(Affiliation)
        listed = listed.join(MediatorListing, MediatorListing.profile_id == Affiliation.profile_id)
        listed = listed.where(
            Affiliation.tenant_id == cid,
            Affiliation.status == AffiliationStatus.ACTIVE,
            Affiliation.published.is_(True),
        )
        if page.require_compliance:
            listed = listed.where(MediatorListing.compliant.is_(True))
        prices = [o.price_incl_vat for o in offers[cid]]
        rows.append(
            {
                "center_id": cid,
                "slug": tenant.slug,
                "name": tenant.legal_name,
                "name_folded": fold(tenant.legal_name),
                "city": tenant.city,
                "address": page.address,
                "postal_code": page.postal_code,
                "country": tenant.country,
                "presentation_fr": page.presentation_fr,
                "presentation_en": page.presentation_en,
                "website": page.website,
                "service_area": list(page.service_area or []),
                "languages": list(page.languages or []),
                "offers": [public_offer(o) for o in offers[cid]],
                "mediator_count": db.session.scalar(listed) or 0,
                "price_from_eur": min(prices) if prices else None,
                "updated_at": now(),
            }
        )
    return rows


def _write_centers(center_ids: list[uuid.UUID], rows: list[dict]) -> None:
    db.session.execute(delete(CenterListing).where(CenterListing.center_id.in_(center_ids)))
    if rows:
        db.session.execute(insert(CenterListing), rows)


# --- refreshing --------------------------------------------------------------------------


def refresh(profile_ids: Iterable[uuid.UUID] = (), center_ids: Iterable[uuid.UUID] = ()) -> None:
    """Rebuild the public rows of these mediators and centers (and of the mediators of
    these centers, and the counts of these mediators' centers). Needs a platform scope."""
    centers = set(center_ids)
    profiles = set(profile_ids)
    if centers:
        profiles |= set(
            db.session.scalars(
                select(Affiliation.profile_id).where(Affiliation.tenant_id.in_(list(centers)))
            )
        )
    ordered = sorted(profiles)
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start : start + BATCH]
        rows, touched = _mediator_rows(chunk)
        _write_mediators(chunk, rows)
        centers |= touched
    ordered_centers = sorted(centers)
    for start in range(0, len(ordered_centers), BATCH):
        chunk = ordered_centers[start : start + BATCH]
        _write_centers(chunk, _center_rows(chunk))


def rebuild_everything() -> None:
    """Re-read every center and profile (daily; after a bulk import)."""
    center_ids = list(db.session.scalars(select(Tenant.id)))
    profile_ids = list(db.session.scalars(select(MediatorProfile.id)))
    db.session.execute(
        delete(MediatorListing).where(MediatorListing.profile_id.not_in(profile_ids))
    )
    refresh(profile_ids, center_ids)


@job("default")
def refresh_listings(profile_ids: list[str], center_ids: list[str]) -> None:
    with platform_scope("marketplace: refresh the public listing of changed records"):
        refresh([uuid.UUID(p) for p in profile_ids], [uuid.UUID(c) for c in center_ids])


@job("default", timeout=3600)
def rebuild_listings() -> None:
    with platform_scope("marketplace: daily rebuild of the public listing"):
        rebuild_everything()


# --- watching changes --------------------------------------------------------------------


def _concerned(obj: object) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(profile id, center id) whose public rows a change to `obj` may alter."""
    if isinstance(obj, MediatorProfile):
        return obj.id, None
    if isinstance(obj, TrainingRecord | Certification):
        return obj.profile_id, None
    if isinstance(obj, Affiliation):
        return obj.profile_id, obj.tenant_id
    if isinstance(obj, Tenant):
        return None, obj.id
    if isinstance(obj, CenterProfile | Offer):
        return None, obj.tenant_id
    return None, None


def _collect(session: Session, _context: Any) -> None:
    """After each flush, add what changed to this transaction's one refresh job: the
    job is queued (by core.jobs) at the first change and sent once the commit is done,
    with the lists as they are then."""
    changes = session.info.get(_CHANGES)
    for obj in (*session.new, *session.dirty, *session.deleted):
        profile_id, center_id = _concerned(obj)
        if profile_id is None and center_id is None:
            continue
        if changes is None:
            if not has_app_context():
                return
            changes = session.info[_CHANGES] = ([], [])
            refresh_listings.delay(*changes)
        for found, key in ((changes[0], profile_id), (changes[1], center_id)):
            if key is not None and str(key) not in found:
                found.append(str(key))


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_CHANGES, None)


def watch_changes() -> None:
    """Install the session hooks (once per process)."""
    if event.contains(Session, "after_flush", _collect):
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "after_commit", _forget)
    event.listen(Session, "after_soft_rollback", _forget)
