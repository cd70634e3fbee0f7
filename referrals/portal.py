"""The partner's referral portal: its organisation's referrals, a form to refer a case to
a center, each case as the partner reads it (what it sent, the status, the timeline;
never the center's own notes), and cancelling a case the center has not accepted yet.

Every member of the partner (administrators and referrers alike) may refer and cancel.
Another partner's case is missing (404), exactly like one that does not exist: outside
any center's scope, the ORM guard and row-level security keep the rows to their
partner. Opening a case is a read of its confidential fields, kept in the center's
audit log (cases.read_case).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import access, bind_workspace_slug
from core.db import db
from core.forms import ButtonForm
from marketplace import search
from referrals import cases, lifecycle, views_of
from referrals.forms import ReferralFilterForm, ReferralForm, page_helpers, status_label
from referrals.lifecycle import InvalidTransition
from referrals.models import Referral, ReferralStatus
from tenants.services import centers

bp = Blueprint(
    "portal", __name__, url_prefix="/p/<partner_slug>/referrals", template_folder="templates"
)
Page = str | tuple[str, int] | Response
# A partner has no time zone of its own: a case's dates are in its center's.
DEFAULT_ZONE = "Europe/Paris"


bind_workspace_slug(bp, "partner", "partner_slug")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        **page_helpers(g.get("case_zone") or DEFAULT_ZONE),
        "center_name": lambda referral: referral.center.legal_name,
    }


def _actor() -> cases.Actor:
    return cases.Actor("partner", current_user.id)


# --- the list ----------------------------------------------------------------------------


@bp.get("")
@access("partner")
def index() -> Page:
    form = ReferralFilterForm(request.args)
    if not form.validate():
        return render_template("referrals/portal/index.html", form=form, listed=None), 422
    status = ReferralStatus(form.status.data) if form.status.data else None
    listed = cases.listing(status, form.page.data or 1)
    return render_template("referrals/portal/index.html", form=form, listed=listed, status=status)


# --- referring a case --------------------------------------------------------------------


def _centers() -> list[tuple[str, str]]:
    """The live centers that accept referrals, by name, as (slug, "name (city)")."""
    return [(c.slug, f"{c.legal_name} ({c.city})") for c in centers.referral_centers()]


def _mediators_of(center_slug: str) -> list[tuple[str, str]]:
    """The mediators the center publishes on the marketplace, by name: a partner may
    name one of them as its preferred mediator (their public names only)."""
    try:
        query = search.checked_query(
            filters={"center": [center_slug]}, sort="name", limit=search.MAX_LIMIT
        )
    except search.SearchInvalid:  # the center has no public page: no mediator to name
        return []
    return [(str(row.profile_id), row.display_name) for row in search.search(query).items]


def _render_new(form: ReferralForm | None, chosen: str | None, status: int = 200) -> Page:
    page = render_template(
        "referrals/portal/new.html",
        form=form,
        chosen=chosen,
        center_choices=_centers(),
        asked=request.args.get("center"),
    )
    return page, status


@bp.route("/new", methods=["GET", "POST"])
@access("partner")
def new() -> Page:
    """Two steps: choose the center (its mediators fill the preferred-mediator list),
    then describe the case."""
    known = dict(_centers())
    if request.method == "GET":
        chosen = request.args.get("center")
        if chosen not in known:
            return _render_new(None, None)
        form = ReferralForm(
            formdata=None,
            data={"center": chosen},
            centers=list(known.items()),
            mediators=_mediators_of(chosen),
        )
        return _render_new(form, chosen)
    posted = request.form.get("center")
    chosen = posted if posted in known else None
    form = ReferralForm(
        centers=list(known.items()), mediators=_mediators_of(chosen) if chosen else []
    )
    if form.validate():
        try:
            referral = cases.send(
                form.referral_input(),
                partner_id=g.workspace.id,
                client_id=None,
                actor=_actor(),
            )
        except cases.ReferralInvalid as invalid:
            db.session.rollback()
            for name, message in invalid.errors.items():
                field = form._fields.get("party_name_0" if name == "parties" else name)
                if field is None:
                    form.form_errors.append(message)
                else:
                    field.errors = [*field.errors, message]
        else:
            center = referral.center.legal_name
            db.session.commit()
            flash(_("Your referral is sent to %(center)s.", center=center), "success")
            return redirect(url_for("portal.show", referral_id=referral.id), code=303)
    return _render_new(form, chosen or "", 422)


# --- one case ----------------------------------------------------------------------------


def _render_case(
    referral: Referral,
    cancel_form: ButtonForm | None = None,
    status: int = 200,
    problem: str | None = None,
) -> Page:
    center = centers.find_live_center_by_id(referral.tenant_id)
    g.case_zone = center.timezone if center is not None else DEFAULT_ZONE
    case = views_of.case(referral, "partner")
    page = render_template(
        "referrals/portal/show.html",
        case=case,
        events=[views_of.event(e) for e in cases.timeline(referral.id)],
        preferred=cases.public_mediator_name(referral.preferred_profile_id),
        cancel_form=cancel_form or ButtonForm(formdata=None),
        problem=problem,
    )
    return page, status


@bp.get("/<uuid:referral_id>")
@access("partner")
def show(referral_id: uuid.UUID) -> Page:
    referral = cases.read_case(referral_id, _actor())
    db.session.commit()
    return _render_case(referral)


def _not_cancellable(referral_id: uuid.UUID) -> Page:
    """The center has moved the case on since the page was opened (409)."""
    db.session.rollback()
    referral = cases.get(referral_id)
    problem = _(
        "This referral can no longer be cancelled: it is now “%(status)s”.",
        status=status_label(referral.status),
    )
    return _render_case(referral, status=409, problem=problem)


@bp.post("/<uuid:referral_id>/cancel")
@access("partner")
def cancel(referral_id: uuid.UUID) -> Page:
    referral = cases.get(referral_id)  # another partner's case: 404 before its form
    if "cancel" not in lifecycle.next_steps(referral.status, "partner"):
        return _not_cancellable(referral_id)
    form = ButtonForm()
    if not form.validate():
        return _render_case(referral, form, 422)
    try:
        cases.cancel(referral_id, _actor())
    except InvalidTransition:
        return _not_cancellable(referral_id)
    db.session.commit()
    flash(_("The referral is cancelled."), "success")
    return redirect(url_for("portal.show", referral_id=referral_id), code=303)
