"""The consent page's form: allow or deny, nothing else (the request's parameters stay
in the page's URL, where the authorization server reads them); and the grant types'
labels, which the API client pages and their registration forms show."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from core.forms import StrictForm

GRANT_TYPE_LABELS: dict[str, Any] = {
    "client_credentials": _l("Client credentials: your own server calls the API"),
    "authorization_code": _l("Authorization code: people sign in and consent"),
    "refresh_token": _l("Refresh tokens: keep access without a new sign-in"),
}


class ConsentForm(StrictForm):
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("allow", _l("Allow")), SelectChoice("deny", _l("Deny"))],
        validators=[InputRequired()],
    )
