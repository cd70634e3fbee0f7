"""The one-click unsubscribe form: what a mail client posts (RFC 8058), and what the
confirmation page's button posts too."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired, Length

from core.forms import StrictForm

ONE_CLICK = "One-Click"


class OneClickForm(StrictForm):
    """`List-Unsubscribe=One-Click`. No CSRF token: a mail client posts it without a
    session or a page; the signed link is the proof."""

    class Meta:
        csrf = False

    one_click = HiddenField(
        name="List-Unsubscribe",
        default=ONE_CLICK,
        validators=[
            InputRequired(message=_l("This request is not an unsubscribe request.")),
            Length(max=20, message=_l("This request is not an unsubscribe request.")),
            AnyOf([ONE_CLICK], message=_l("This request is not an unsubscribe request.")),
        ],
    )
