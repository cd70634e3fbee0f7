"""The certification-scheme catalogue in the staff area: list, edit, add.

Staff edit a scheme's rules and sources as JSON, checked by the rules codec
(core.credentials.rules): a typo is refused with the path of the faulty key, and
nothing is written. A scheme's code never changes once created: the catalogue seeding
knows schemes by code, and would otherwise add the old one back.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from core.access import access
from core.credentials import schemes
from core.credentials.models import CertificationScheme
from core.db import db
from core.forms import StrictForm, strip

bp = Blueprint("schemes_staff", __name__, url_prefix="/staff/schemes", template_folder="templates")

MAX_RULES = 20_000  # characters of JSON; the largest seeded scheme takes under 4,000
MAX_SOURCES_JSON = 10_000


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if isinstance(value, str) else value


def _json(field: Any) -> Any:
    """The field's text read as JSON; a ValidationError that says where it breaks."""
    try:
        return json.loads(field.data)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _(
                "This is not valid JSON: %(problem)s (line %(line)d, column %(column)d).",
                problem=exc.msg,
                line=exc.lineno,
                column=exc.colno,
            )
        ) from exc
    except RecursionError as exc:
        raise ValidationError(_("This JSON is nested too deeply.")) from exc


class SchemeForm(StrictForm):
    name = StringField(_l("Name"), filters=[strip], validators=[InputRequired(), Length(max=200)])
    issuing_body = StringField(
        _l("Issuing body"), filters=[strip], validators=[InputRequired(), Length(max=200)]
    )
    country = StringField(
        _l("Country"),
        filters=[_upper],
        validators=[InputRequired(), Length(max=8)],
        description=_l('FR, BE..., a region such as CA-QC, or INT for "international".'),
    )
    active = BooleanField(_l("Offered to mediators"))
    rules = TextAreaField(
        _l("Rules (JSON)"),
        validators=[InputRequired(), Length(max=MAX_RULES)],
        render_kw={"rows": 18, "spellcheck": "false"},
    )
    sources = TextAreaField(
        _l("Sources (JSON)"),
        validators=[InputRequired(), Length(max=MAX_SOURCES_JSON)],
        description=_l('A list such as [{"url": "https://...", "title": "..."}].'),
        render_kw={"rows": 5, "spellcheck": "false"},
    )

    def validate_rules(self, field: Any) -> None:
        self.rules_data = _json(field)

    def validate_sources(self, field: Any) -> None:
        self.sources_data = _json(field)

    def input(self) -> schemes.SchemeInput:
        """What the service checks and saves (once the form is valid)."""
        return schemes.SchemeInput(
            name=self.name.data,
            issuing_body=self.issuing_body.data,
            country=self.country.data,
            active=bool(self.active.data),
            rules=self.rules_data,
            sources=self.sources_data,
        )

    def show(self, errors: dict[str, object]) -> None:
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.append(message)
            else:
                field.errors = [*field.errors, message]


class NewSchemeForm(SchemeForm):
    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[InputRequired(), Length(max=40)],
        description=_l("Lower-case letters, digits and dashes, such as fr-cnm. It cannot change."),
    )


# A new scheme's rules start unknown: each is written down once a source states it.
BLANK_RULES = {"initial": None, "continuing": None, "validity": None}


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


NEW_SCHEME = {"active": True, "rules": _pretty(BLANK_RULES), "sources": "[]"}


def _current(scheme: CertificationScheme) -> dict[str, Any]:
    return {
        "name": scheme.name,
        "issuing_body": scheme.issuing_body,
        "country": scheme.country,
        "active": scheme.active,
        "rules": _pretty(scheme.rules),
        "sources": _pretty(scheme.sources),
    }


@bp.get("/")
@access("own", staff=True)
def index():
    return render_template("schemes_staff/index.html", rows=schemes.schemes_with_counts())


@bp.route("/new", methods=["GET", "POST"])
@access("own", staff=True)
def new():
    form = NewSchemeForm(data=NEW_SCHEME) if request.method == "GET" else NewSchemeForm()
    if form.validate_on_submit():
        try:
            scheme = schemes.create_scheme(form.code.data, form.input(), current_user.id)
        except schemes.SchemeInvalid as exc:
            db.session.rollback()
            form.show(exc.errors)
        else:
            db.session.commit()
            flash(_("The scheme %(code)s was added.", code=scheme.code), "success")
            return redirect(url_for("schemes_staff.index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("schemes_staff/edit.html", form=form, scheme=None), status


@bp.route("/<uuid:scheme_id>", methods=["GET", "POST"])
@access("own", staff=True)
def edit(scheme_id: uuid.UUID):
    scheme = db.session.get(CertificationScheme, scheme_id)
    if scheme is None:
        abort(404)
    form = SchemeForm(data=_current(scheme)) if request.method == "GET" else SchemeForm()
    if form.validate_on_submit():
        try:
            changed = schemes.update_scheme(scheme, form.input(), current_user.id)
        except schemes.SchemeInvalid as exc:
            db.session.rollback()
            form.show(exc.errors)
        else:
            db.session.commit()
            if changed:
                flash(_("The scheme %(code)s was saved.", code=scheme.code), "success")
            else:
                flash(_("Nothing changed in the scheme %(code)s.", code=scheme.code), "info")
            return redirect(url_for("schemes_staff.index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("schemes_staff/edit.html", form=form, scheme=scheme), status
