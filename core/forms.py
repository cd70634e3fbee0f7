"""The base of every web form: CSRF (Flask-WTF) and no unexpected fields.

A posted field the form does not declare is refused with a form-level error rather
than ignored, so a crafted request can never slip extra data past a page (the same
rule as the API's strict schemas). And a form reads only what a browser posts, a
url-encoded or multipart body: Flask-WTF would also read a JSON body, unchecked (a
number or a list where text is expected raised a 500), so any other body is refused.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

ALWAYS_ALLOWED = frozenset({"csrf_token", "submit", "next"})
FORM_MIMETYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data"})


def strip(value: str | None) -> str | None:
    """Field filter: autofill and phone keyboards add spaces around what people type."""
    return value.strip() if isinstance(value, str) else value


def strip_lower(value: str | None) -> str | None:
    """Field filter for email addresses, which the product compares case-insensitively."""
    return value.strip().lower() if isinstance(value, str) else value


SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class StrictForm(FlaskForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args and "formdata" not in kwargs and request.method in SUBMIT_METHODS:
            # Always the posted form, even empty: never a JSON body, and never None,
            # which would let defaults and current values stand in for every field.
            posted = request.form
            kwargs["formdata"] = (
                CombinedMultiDict((request.files, posted)) if request.files else posted
            )
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if not self.is_submitted():
            return valid
        if request.mimetype not in FORM_MIMETYPES:
            self.form_errors.append(_l("This form could not be read. Please try again."))
            valid = False
        declared = {field.name for field in self} | ALWAYS_ALLOWED
        unexpected = sorted((set(request.form) | set(request.files)) - declared)
        if unexpected:
            self.form_errors.append(
                _l("Unexpected field(s): %(names)s", names=", ".join(unexpected[:5]))
            )
            valid = False
        return valid


class ButtonForm(StrictForm):
    """A button-only form (sign out): the CSRF token and nothing else."""


class LocaleForm(StrictForm):
    """The language switch of the navigation bar: a language and the page to go back to."""

    locale = SelectField(validators=[InputRequired()])
    next = StringField(validators=[Optional(), Length(max=2048)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = list(current_app.config["LANGUAGES"])
