"""The center's inquiries: messages visitors sent from the marketplace.

Every member reads them; owners, administrators and case managers move them along
(new → in progress → closed). Another center's inquiry is a 404 like a missing one.
"""

from __future__ import annotations

import uuid
from typing import Any

from babel.dates import format_datetime
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from core.access import access, bind_workspace_slug
from core.db import db
from tenants.services import inquiries
from tenants.services.rules import FieldError
from tenants.storefront_forms import (
    INQUIRY_STATUS_COLOURS,
    INQUIRY_STATUS_LABELS,
    InquiryFilterForm,
    InquiryStatusForm,
)
from tenants.storefront_models import InquiryStatus

bp = Blueprint("inquiries", __name__, url_prefix="/c/<slug>/inquiries", template_folder="templates")
# Inquiries hold visitors' names, addresses and messages: only those who answer them
# read them (not viewers, nor the center's mediators).
HANDLERS = ("owner", "admin", "case_manager")


def _handlers_only() -> None:
    if g.workspace.role not in HANDLERS:
        abort(403)


Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "tenant", "slug")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    locale = str(get_locale() or "fr")
    workspace = g.get("workspace")
    zone = getattr(getattr(workspace, "obj", None), "timezone", None) or "Europe/Paris"
    return {
        "when": lambda value: format_datetime(value, "medium", tzinfo=zone, locale=locale),
        "status_label": lambda s: INQUIRY_STATUS_LABELS[str(s)],
        "status_colour": lambda s: INQUIRY_STATUS_COLOURS[str(s)],
        "can_handle": workspace is not None and workspace.role in HANDLERS,
    }


@bp.app_context_processor
def _nav_badge() -> dict[str, Any]:
    def new_inquiries() -> int:
        """The center's new inquiries, for the navigation bar (0 outside a center)."""
        workspace = g.get("workspace")
        if workspace is None or workspace.kind != "tenant" or workspace.role not in HANDLERS:
            return 0
        try:
            return inquiries.count_new()
        except SQLAlchemyError:  # an error page after a failed transaction: no badge
            return 0

    return {"new_inquiries": new_inquiries}


@bp.get("")
@access("tenant")
def index() -> Page:
    _handlers_only()
    form = InquiryFilterForm(request.args)
    if not form.validate():
        return render_template("inquiries/index.html", form=form, listed=None), 422
    status = InquiryStatus(form.status.data) if form.status.data else None
    listed = inquiries.list_inquiries(status, form.page.data or 1)
    return render_template("inquiries/index.html", form=form, listed=listed, status=status)


def _render_show(inquiry: Any, form: InquiryStatusForm | None = None, status: int = 200) -> Page:
    if form is None:
        form = InquiryStatusForm(
            formdata=None,
            data={"status": inquiry.status.value},
            statuses=inquiries.allowed_statuses(inquiry),
        )
    return render_template("inquiries/show.html", inquiry=inquiry, form=form), status


@bp.route("/<uuid:inquiry_id>", methods=["GET", "POST"])
@access("tenant")
def show(inquiry_id: uuid.UUID) -> Page:
    _handlers_only()
    inquiry = inquiries.inquiry_of(inquiry_id)
    if request.method == "GET":
        return _render_show(inquiry)
    form = InquiryStatusForm(statuses=inquiries.allowed_statuses(inquiry))
    if form.validate():
        try:
            inquiries.change_status(inquiry_id, form.status.data or "", current_user.id)
        except FieldError as error:
            db.session.rollback()
            form.status.errors = [*form.status.errors, error.message]
        else:
            flash(_("Inquiry saved."), "success")
            return redirect(url_for("inquiries.show", inquiry_id=inquiry_id), code=303)
    return _render_show(inquiries.inquiry_of(inquiry_id), form, 422)
