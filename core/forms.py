"""The base of every web form: CSRF (Flask-WTF) and no unexpected fields.

A posted field the form does not declare is refused with a form-level error rather
than ignored, so a crafted request can never slip extra data past a page (the same
rule as the API's strict schemas).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

ALWAYS_ALLOWED = frozenset({"csrf_token", "submit", "next"})


class StrictForm(FlaskForm):
    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if self.is_submitted():
            declared = {field.name for field in self} | ALWAYS_ALLOWED
            unexpected = sorted((set(request.form) | set(request.files)) - declared)
            if unexpected:
                self.form_errors.append(
                    _l("Unexpected field(s): %(names)s", names=", ".join(unexpected[:5]))
                )
                valid = False
        return valid
