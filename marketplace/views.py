"""The public marketplace pages: search, mediator and center pages, contact forms,
sitemap and robots.txt. No login; they read only the public listing tables
(marketplace.models), so no private field can reach them.

A page is in French by default, in English by Accept-Language or the language switch;
`?lang=fr|en` names the language in the address (the hreflang alternates use it).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_currency, format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.access import access
from core.credentials.forms import MODE_LABELS, REGISTRATION_LABELS, SPECIALTY_LABELS
from core.credentials.models import MediatorProfile
from core.credentials.profiles import photo_content_type
from core.credentials.regions import language_name, region_name
from core.db import db
from core.files.storage import storage
from marketplace import seo
from marketplace.contact import (
    CenterContactForm,
    MediatorContactForm,
    TooManyMessages,
    send_message,
)
from marketplace.models import CenterListing, MediatorListing
from marketplace.search import SearchInvalid, checked_query, search
from marketplace.vocabulary import FACET_LABELS, FACETS, PRICE_BANDS, SORTS
from tenants.storefront_forms import OFFER_KIND_LABELS, OFFER_MODE_LABELS

bp = Blueprint("marketplace", __name__, template_folder="templates")

SORT_LABELS = {"relevance": _l("Relevance"), "price": _l("Price"), "name": _l("Name")}
# The offer's pricing follows its price in a sentence ("300 € incl. VAT per party").
OFFER_PRICING_LABELS = {"per_party": _l("per party"), "shared": _l("shared between the parties")}
VISIBLE_FACET_VALUES = 8  # the rest of a long facet folds under "More"
CENTER_PAGE_MEDIATORS = 100


# --- language and labels ----------------------------------------------------------------


@bp.before_request
def _page_language() -> None:
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        stack = ExitStack()
        stack.enter_context(force_locale(lang))
        g._marketplace_language = stack


@bp.teardown_request
def _end_page_language(_exc: BaseException | None) -> None:
    stack = g.pop("_marketplace_language", None)
    if stack is not None:
        stack.close()


def locale() -> str:
    return str(get_locale() or "fr")


def facet_label(facet: str, value: str, center_names: dict[str, str] | None = None) -> str:
    """A facet value as the visitor reads it, in the page's language."""
    if facet == "specialty":
        return str(SPECIALTY_LABELS.get(value, value))
    if facet == "language":
        return language_name(value, locale())
    if facet == "region":
        return region_name(value, locale())
    if facet == "mode":
        return str(MODE_LABELS.get(value, value))
    if facet == "price":
        return next((str(b.label) for b in PRICE_BANDS if b.code == value), value)
    if facet == "center":
        return (center_names or {}).get(value, value)
    if facet == "compliant":
        return _("Certified mediators only")
    return value


@bp.app_template_filter("marketplace_price")
def _price(value: Decimal | str | None) -> str:
    return "" if value is None else format_currency(Decimal(value), "EUR")


@bp.app_template_filter("marketplace_number")
def _number(value: Decimal | str) -> str:
    return format_decimal(Decimal(value).normalize())


@bp.app_template_filter("marketplace_date")
def _date(value: str | None) -> str:
    return format_date(date.fromisoformat(value)) if value else ""


def in_language(fr: str, en: str) -> str:
    """The page language's text, else the other one."""
    return (en or fr) if locale() == "en" else (fr or en)


def _address_without_lang() -> str:
    """This page's address without `?lang=` (a contact post's: the page it was sent from)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    path = request.path.removesuffix("/contact") if request.method == "POST" else request.path
    return path + (f"?{urlencode(args)}" if args else "")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "facet_label": facet_label,
        "language_name": lambda code: language_name(code, locale()),
        "region_name": lambda code: region_name(code, locale()),
        "specialty_label": lambda code: SPECIALTY_LABELS.get(code, code),
        "mode_label": lambda code: MODE_LABELS.get(code, code),
        "registration_label": lambda kind: REGISTRATION_LABELS.get(kind, kind),
        "offer_kind_label": lambda kind: OFFER_KIND_LABELS.get(kind, kind),
        "offer_pricing_label": lambda p: OFFER_PRICING_LABELS.get(p, p),
        "offer_mode_label": lambda m: OFFER_MODE_LABELS.get(m, m),
        # The language switch returns to this page without a `?lang=` that would win.
        "language_switch_next": _address_without_lang(),
    }


# --- search -------------------------------------------------------------------------------


def _search_args() -> dict[str, Any]:
    args = request.args
    return {
        "q": args.get("q"),
        "filters": {facet: args.getlist(facet) for facet in FACETS if facet in args},
        "price_min": args.get("price_min"),
        "price_max": args.get("price_max"),
        "sort": args.get("sort") or None,
        "limit": args.get("limit"),
        "offset": args.get("offset"),
    }


def _page_url(offset: int) -> str:
    params = {k: request.args.getlist(k) for k in request.args if k != "offset"}
    return url_for("marketplace.search_page", **params, offset=offset or None)


@bp.get("/marketplace")
@access("public")
def search_page() -> Any:
    try:
        query = checked_query(**_search_args())
    except SearchInvalid as invalid:
        return _search_page(None, invalid.errors), 400
    return _search_page(search(query), {})


def _search_page(result: Any, errors: dict[str, Any]) -> str:
    previous = next_ = None
    if result is not None:
        query = result.query
        if query.offset > 0:
            previous = _page_url(max(query.offset - query.limit, 0))
        if result.next_offset is not None:
            next_ = _page_url(result.next_offset)
    head = _head(
        "marketplace.search_page",
        title=_("Find a mediator"),
        description=_("Search mediators and mediation centers by specialty, language and region."),
        kind="website",
    )
    return render_template(
        "marketplace/search.html",
        result=result,
        errors=errors,
        args=request.args,
        facets=FACETS,
        facet_labels=FACET_LABELS,
        sorts=[(s, SORT_LABELS[s]) for s in SORTS],
        visible=VISIBLE_FACET_VALUES,
        previous=previous,
        next=next_,
        head=head,
    )


# --- mediators ----------------------------------------------------------------------------


def _mediator_or_404(slug: str) -> MediatorListing:
    listing = db.session.scalar(select(MediatorListing).where(MediatorListing.slug == slug))
    if listing is None:
        abort(404)
    return listing


@bp.get("/marketplace/mediators/<slug>")
@access("public")
def mediator(slug: str) -> Any:
    listing = _mediator_or_404(slug)
    return _mediator_page(listing, MediatorContactForm(centers=listing.centers))


@bp.post("/marketplace/mediators/<slug>/contact")
@access("public")
def contact_mediator(slug: str) -> Any:
    listing = _mediator_or_404(slug)
    form = MediatorContactForm(centers=listing.centers)
    if form.validate():
        sent = _send(form, form.center.data, listing)
        if sent is not None:
            return sent
    return _mediator_page(listing, form), 422


def _mediator_page(listing: MediatorListing, form: MediatorContactForm) -> str:
    bio = in_language(listing.bio_fr, listing.bio_en)
    languages = [language_name(code, locale()) for code in listing.languages]
    photo = (
        seo.absolute("marketplace.mediator_photo", slug=listing.slug) if listing.has_photo else None
    )
    description = seo.summary(
        " · ".join(
            part
            for part in (
                listing.title,
                ", ".join(str(SPECIALTY_LABELS.get(s, s)) for s in listing.specialties),
                ", ".join(c["name"] for c in listing.centers),
            )
            if part
        )
    )
    head = _head(
        "marketplace.mediator",
        title=listing.display_name,
        description=description,
        kind="profile",
        image=photo,
        ld=seo.mediator_ld(listing, bio, languages),
        slug=listing.slug,
    )
    return render_template(
        "marketplace/mediator.html", listing=listing, bio=bio, form=form, head=head
    )


@bp.get("/marketplace/mediators/<slug>/photo")
@access("public")
def mediator_photo(slug: str) -> Response:
    listing = _mediator_or_404(slug)
    key = (
        db.session.scalar(
            select(MediatorProfile.photo_key).where(MediatorProfile.id == listing.profile_id)
        )
        if listing.has_photo
        else None
    )
    if key is None:
        abort(404)
    response = Response(storage().get(key), mimetype=photo_content_type(key))
    # The key changes with the photo: the ETag lets browsers and proxies revalidate.
    response.set_etag(key)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)


# --- centers ------------------------------------------------------------------------------


def _center_or_404(slug: str) -> CenterListing:
    center = db.session.scalar(select(CenterListing).where(CenterListing.slug == slug))
    if center is None:
        abort(404)
    return center


@bp.get("/marketplace/centers")
@access("public")
def centers() -> str:
    rows = db.session.scalars(select(CenterListing).order_by(CenterListing.name_folded)).all()
    head = _head(
        "marketplace.centers",
        title=_("Mediation centers"),
        description=_("The mediation centers on Mediation Hub, their mediators and offers."),
        kind="website",
    )
    return render_template("marketplace/centers.html", centers=rows, head=head)


@bp.get("/marketplace/centers/<slug>")
@access("public")
def center(slug: str) -> Any:
    return _center_page(_center_or_404(slug), CenterContactForm())


@bp.post("/marketplace/centers/<slug>/contact")
@access("public")
def contact_center(slug: str) -> Any:
    listing = _center_or_404(slug)
    form = CenterContactForm()
    if form.validate():
        sent = _send(form, listing.slug)
        if sent is not None:
            return sent
    return _center_page(listing, form), 422


def _offer_description(offer: dict[str, Any]) -> str:
    parts = [str(OFFER_KIND_LABELS.get(offer["kind"], offer["kind"]))]
    if offer.get("sessions"):
        parts.append(_("%(n)s sessions", n=offer["sessions"]))
    if offer.get("duration_minutes"):
        parts.append(_("%(n)s minutes", n=offer["duration_minutes"]))
    parts.append(str(OFFER_MODE_LABELS.get(offer["mode"], offer["mode"])))
    parts.append(str(OFFER_PRICING_LABELS.get(offer["pricing"], offer["pricing"])))
    if offer.get("included"):
        parts.append(offer["included"])
    return seo.summary(" · ".join(parts), 500)


def _center_page(center: CenterListing, form: CenterContactForm) -> str:
    presentation = in_language(center.presentation_fr, center.presentation_en)
    mediators = search(
        checked_query(filters={"center": [center.slug]}, sort="name", limit=CENTER_PAGE_MEDIATORS)
    )
    areas = [region_name(code, locale()) for code in center.service_area]
    languages = [language_name(code, locale()) for code in center.languages]
    head = _head(
        "marketplace.center",
        title=center.name,
        description=seo.summary(presentation) or center.name,
        kind="business.business",
        ld=seo.center_ld(
            center, presentation, areas, languages, [_offer_description(o) for o in center.offers]
        ),
        slug=center.slug,
    )
    return render_template(
        "marketplace/center.html",
        center=center,
        presentation=presentation,
        areas=areas,
        languages=languages,
        mediators=mediators,
        form=form,
        head=head,
    )


# --- contact ------------------------------------------------------------------------------


def _send(
    form: CenterContactForm, center_slug: str, mediator: MediatorListing | None = None
) -> Any:
    """The answer to a valid post: a redirect once sent, a 429 page past the limit, or
    None when the service refused a field (the caller shows the form again)."""
    try:
        sent = send_message(form, center_slug, mediator)
    except TooManyMessages as too_many:
        page = render_template(
            "errors/error.html",
            status=429,
            title=_("Too many messages"),
            detail=_(
                "You have sent several messages in a short time. Your earlier messages "
                "were delivered; please wait an hour before sending another."
            ),
        )
        return page, 429, too_many.headers
    if not sent:
        return None
    flash(_("Thank you, your message was sent. The center will answer you by email."), "success")
    if mediator is not None:
        return redirect(url_for("marketplace.mediator", slug=mediator.slug, _anchor="contact"), 303)
    return redirect(url_for("marketplace.center", slug=center_slug, _anchor="contact"), 303)


# --- head tags, sitemap, robots.txt -------------------------------------------------------


def _head(
    endpoint: str,
    *,
    title: str,
    description: str,
    kind: str,
    image: str | None = None,
    ld: dict[str, Any] | None = None,
    **values: Any,
) -> dict[str, Any]:
    canonical = seo.canonical(endpoint, locale(), **values)
    return {
        "description": description,
        "canonical": canonical,
        "alternates": seo.alternates(endpoint, **values),
        "meta": seo.open_graph(
            title=title,
            description=description,
            url=canonical,
            locale=locale(),
            kind=kind,
            image=image,
        ),
        "ld": seo.ld_json(ld) if ld else None,
    }


@bp.get("/sitemap.xml")
@access("public")
def sitemap() -> Response:
    return Response("".join(seo.sitemap_index()), mimetype="application/xml")


@bp.get("/sitemaps/pages.xml")
@access("public")
def sitemap_pages() -> Response:
    return Response("".join(seo.sitemap_pages()), mimetype="application/xml")


@bp.get("/sitemaps/mediators-<int:number>.xml")
@access("public")
def sitemap_mediators(number: int) -> Response:
    if not 1 <= number <= seo.mediator_sitemap_count():
        abort(404)
    return Response("".join(seo.sitemap_mediators(number)), mimetype="application/xml")


@bp.get("/robots.txt")
@access("public")
def robots() -> Response:
    return Response(seo.robots(), mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Nothing beyond the blueprint yet: its routes include the sitemap and robots.txt."""
