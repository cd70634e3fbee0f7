"""The consent page's form: allow or deny, nothing else (the request's parameters stay
in the page's URL, where the authorization server reads them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from core.forms import StrictForm


class ConsentForm(StrictForm):
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("allow", _l("Allow")), SelectChoice("deny", _l("Deny"))],
        validators=[InputRequired()],
    )
