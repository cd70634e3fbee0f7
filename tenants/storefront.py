"""The center's marketplace pages: its public page settings and its priced offers.

Every member reads; owners and administrators change (the others get 403 on a post).
An offer is reached only inside the center's tenant scope: another center's offer is a
404 like a missing one. What is published here reaches the public listing through
`marketplace.indexing`, on commit; the contact email and phone never do.
"""

from __future__ import annotations

import uuid
from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from core.access import access, bind_workspace_slug
from core.credentials.regions import language_names, region_name
from core.db import db
from tenants.forms import ConfirmForm
from tenants.services import storefront
from tenants.services.storefront import StorefrontInvalid
from tenants.storefront_forms import (
    OFFER_KIND_LABELS,
    OFFER_MODE_LABELS,
    OFFER_PRICING_LABELS,
    CenterPageForm,
    OfferForm,
)

bp = Blueprint(
    "storefront", __name__, url_prefix="/c/<slug>/marketplace", template_folder="templates"
)
MANAGERS = ("owner", "admin")
Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "tenant", "slug")


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    locale = _locale()
    languages = dict(language_names(locale))
    return {
        "money": lambda value: format_decimal(value, "#,##0.00", locale=locale),
        "number": lambda value: format_decimal(value, locale=locale),
        "kind_label": lambda v: OFFER_KIND_LABELS.get(str(v), str(v)),
        "pricing_label": lambda v: OFFER_PRICING_LABELS.get(str(v), str(v)),
        "mode_label": lambda v: OFFER_MODE_LABELS.get(str(v), str(v)),
        "region_label": lambda code: region_name(code, locale),
        "language_label": lambda code: languages.get(code, code),
        "can_manage": g.get("workspace") is not None and g.workspace.role in MANAGERS,
    }


def _managers_only() -> None:
    """The write half of a page that every member may read."""
    if g.workspace.role not in MANAGERS:
        abort(403)


def _back(endpoint: str, message: str, category: str = "success", **values: Any) -> Response:
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


def _show_errors(form: Any, invalid: StorefrontInvalid) -> None:
    db.session.rollback()
    for name, message in invalid.errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


# --- the center page -------------------------------------------------------------------------


@bp.route("/page", methods=["GET", "POST"])
@access("tenant")
def page() -> Page:
    saved = storefront.center_page()
    if request.method == "GET":
        form = CenterPageForm(formdata=None, data=CenterPageForm.data_of(saved))
        return render_template("storefront/page.html", form=form, saved=saved)
    _managers_only()
    form = CenterPageForm()
    if form.validate():
        try:
            _page, changed = storefront.save_center_page(form.page_input())
        except StorefrontInvalid as invalid:
            _show_errors(form, invalid)
        else:
            if not changed:
                return _back("storefront.page", _("Nothing to change."), "info")
            return _back("storefront.page", _("The center page is saved."))
    return render_template("storefront/page.html", form=form, saved=saved), 422


# --- offers ------------------------------------------------------------------------------------


@bp.get("/offers")
@access("tenant")
def offers() -> Page:
    return render_template("storefront/offers.html", offers=storefront.center_offers())


def _render_offer(form: OfferForm, offer: Any = None, status: int = 200) -> Page:
    return render_template("storefront/offer.html", form=form, offer=offer), status


@bp.route("/offers/new", methods=["GET", "POST"])
@access("tenant", roles=MANAGERS)
def new_offer() -> Page:
    if request.method == "GET":
        return _render_offer(OfferForm(formdata=None))
    form = OfferForm()
    if form.validate():
        try:
            offer = storefront.create_offer(form.offer_input())
        except StorefrontInvalid as invalid:
            _show_errors(form, invalid)
        else:
            return _back("storefront.offers", _("The offer %(name)s is added.", name=offer.name))
    return _render_offer(form, status=422)


@bp.route("/offers/<uuid:offer_id>", methods=["GET", "POST"])
@access("tenant")
def edit_offer(offer_id: uuid.UUID) -> Page:
    offer = storefront.offer_of(offer_id)
    if request.method == "GET":
        return _render_offer(OfferForm(formdata=None, data=OfferForm.data_of(offer)), offer)
    _managers_only()
    form = OfferForm()
    if form.validate():
        try:
            offer, changed = storefront.update_offer(offer_id, form.offer_input())
        except StorefrontInvalid as invalid:
            _show_errors(form, invalid)
        else:
            if not changed:
                return _back("storefront.offers", _("Nothing to change."), "info")
            return _back("storefront.offers", _("The offer %(name)s is saved.", name=offer.name))
    return _render_offer(form, offer, 422)


def _offer_button(offer_id: uuid.UUID) -> Page | None:
    """The offer exists (or 404) before its button's form is looked at."""
    storefront.offer_of(offer_id)
    if ConfirmForm().validate():
        return None
    page = render_template(
        "storefront/offers.html",
        offers=storefront.center_offers(),
        error=_("This form could not be read. Please try again."),
    )
    return page, 422


@bp.post("/offers/<uuid:offer_id>/publish")
@access("tenant", roles=MANAGERS)
def publish_offer(offer_id: uuid.UUID) -> Page:
    refused = _offer_button(offer_id)
    if refused is not None:
        return refused
    offer = storefront.publish_offer(offer_id, True)
    return _back("storefront.offers", _("%(name)s is published.", name=offer.name))


@bp.post("/offers/<uuid:offer_id>/unpublish")
@access("tenant", roles=MANAGERS)
def unpublish_offer(offer_id: uuid.UUID) -> Page:
    refused = _offer_button(offer_id)
    if refused is not None:
        return refused
    offer = storefront.publish_offer(offer_id, False)
    return _back("storefront.offers", _("%(name)s is no longer published.", name=offer.name))


@bp.post("/offers/<uuid:offer_id>/delete")
@access("tenant", roles=MANAGERS)
def delete_offer(offer_id: uuid.UUID) -> Page:
    refused = _offer_button(offer_id)
    if refused is not None:
        return refused
    name = storefront.delete_offer(offer_id)
    return _back("storefront.offers", _("The offer %(name)s is deleted.", name=name))
