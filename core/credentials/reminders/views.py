"""One-click unsubscribe pages (RFC 8058): public, CSRF-exempt, no session needed.

GET shows what the link stops and a button; POST (from that button, or straight from
a mail client's own unsubscribe button) records the opt-out. The signed link is the
only credential: a bad one gets a 404 page and nothing is written.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import access
from core.accounts.models import User
from core.credentials.reminders import unsubscribe
from core.credentials.reminders.forms import OneClickForm
from core.credentials.reminders.models import ReminderKind
from core.security import csrf

Page = tuple[str, int]

bp = Blueprint("reminders", __name__, template_folder="templates")

KIND_LABELS = {
    ReminderKind.EXPIRY_90: _l("reminders 90 days before a certification expires"),
    ReminderKind.EXPIRY_30: _l("reminders 30 days before a certification expires"),
    ReminderKind.EXPIRY_7: _l("reminders 7 days before a certification expires"),
    ReminderKind.HOURS_SHORT: _l("monthly reminders about missing training hours"),
    ReminderKind.CENTER_DIGEST: _l("the weekly summary of your centers' mediators"),
}


def _link(token: str) -> tuple[User, ReminderKind]:
    try:
        return unsubscribe.read_token(token)
    except unsubscribe.BadUnsubscribeLink:
        abort(
            404,
            description=_(
                "This unsubscribe link is not valid. Check that you followed the whole "
                "link from the email."
            ),
        )


def _page(form: OneClickForm, kind: ReminderKind, done: bool, status: int = 200) -> Page:
    return render_template(
        "reminders/unsubscribe.html", form=form, label=KIND_LABELS[kind], done=done
    ), status


@bp.get("/unsubscribe/<token>")
@access("public")
def unsubscribe_page(token: str) -> Page:
    user, kind = _link(token)
    return _page(OneClickForm(formdata=None), kind, unsubscribe.is_opted_out(user.id, kind))


@bp.post("/unsubscribe/<token>", endpoint="unsubscribe")
@access("public")
@csrf.exempt
def unsubscribe_now(token: str) -> Page:
    user, kind = _link(token)
    form = OneClickForm()
    if not form.validate():
        return _page(form, kind, done=False, status=422)
    unsubscribe.opt_out(user, kind)
    return _page(form, kind, done=True)
