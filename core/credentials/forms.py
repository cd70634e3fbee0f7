"""Web forms of the mediator's own pages: the profile, training records, certifications.

The forms check the shape of the input (lengths, choices, numbers, dates); the rules
live in core.credentials services, whose field errors the views put back on these
fields. Evidence and photos are checked from their bytes by core.files, not here.

A profile's professional registrations are MAX_REGISTRATIONS rows of three plain
fields each (`registration_kind_0`, `registration_name_0`, `registration_number_0`...),
rather than a FieldList, so that every posted name is a declared field (StrictForm
refuses any other).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.credentials.certifications import MAX_NUMBER, CertificationInput, active_schemes
from core.credentials.models import (
    CertificationScheme,
    CertificationStage,
    MediatorProfile,
    Mode,
    RegistrationKind,
    Specialty,
    TrainingKind,
)
from core.credentials.profiles import (
    MAX_BIO,
    MAX_REGISTRATION_NAME,
    MAX_REGISTRATION_NUMBER,
    MAX_REGISTRATIONS,
    ProfileInput,
)
from core.credentials.records import MAX_HOURS, MAX_MEDIATIONS, RecordInput
from core.credentials.regions import countries, departments, language_names
from core.forms import StrictForm, strip

SPECIALTY_LABELS: dict[str, Any] = {
    Specialty.FAMILY: _l("Family"),
    Specialty.CIVIL: _l("Civil"),
    Specialty.COMMERCIAL: _l("Commercial"),
    Specialty.LABOUR: _l("Labour"),
    Specialty.CONSUMER: _l("Consumer"),
    Specialty.NEIGHBOURHOOD: _l("Neighbourhood"),
    Specialty.CONSTRUCTION: _l("Construction"),
    Specialty.HEALTH: _l("Health"),
    Specialty.INTELLECTUAL_PROPERTY: _l("Intellectual property"),
    Specialty.PUBLIC_SECTOR: _l("Public sector"),
    Specialty.INTERNATIONAL: _l("International"),
    Specialty.OTHER: _l("Other"),
}
MODE_LABELS: dict[str, Any] = {
    Mode.ONLINE: _l("Online"),
    Mode.IN_PERSON: _l("In person"),
    Mode.HYBRID: _l("Hybrid"),
}
REGISTRATION_LABELS: dict[str, Any] = {
    RegistrationKind.COURT_OF_APPEAL: _l("Court of appeal list"),
    RegistrationKind.BAR: _l("Bar"),
}
KIND_LABELS: dict[str, Any] = {
    TrainingKind.INITIAL_TRAINING: _l("Initial training"),
    TrainingKind.CONTINUING_EDUCATION: _l("Continuing education"),
    TrainingKind.SUPERVISION: _l("Supervision / practice analysis"),
    TrainingKind.CONFERENCE: _l("Conference"),
    TrainingKind.TEACHING: _l("Teaching"),
    TrainingKind.MEDIATIONS_CONDUCTED: _l("Mediations conducted"),
}
STAGE_LABELS: dict[str, Any] = {
    CertificationStage.PROVISIONAL: _l("Provisional"),
    CertificationStage.DEFINITIVE: _l("Definitive"),
}

# File fields check nothing themselves: the views read the upload through core.files.
EVIDENCE_HELP = _l("PDF, PNG or JPEG, at most 10 MB.")


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _locale() -> str:
    return str(get_locale() or "fr")


# --- the profile ------------------------------------------------------------------------


def registration_fields(row: int) -> tuple[str, str, str]:
    """The names of row `row`'s three fields: kind, name, number."""
    return (f"registration_kind_{row}", f"registration_name_{row}", f"registration_number_{row}")


class ProfileForm(StrictForm):
    display_name = StringField(
        _l("Display name"),
        filters=[strip],
        validators=[DataRequired(), Length(max=120)],
        description=_l("As clients and centers will see it."),
    )
    title = StringField(
        _l("Professional title"),
        filters=[strip],
        validators=[Optional(), Length(max=120)],
        description=_l("For example: family mediator, lawyer and mediator."),
    )
    bio_fr = TextAreaField(
        _l("Presentation in French"), validators=[Optional(), Length(max=MAX_BIO)]
    )
    bio_en = TextAreaField(
        _l("Presentation in English"), validators=[Optional(), Length(max=MAX_BIO)]
    )
    photo = FileField(_l("Photo"), description=_l("PNG or JPEG, at most 2 MB."))
    remove_photo = BooleanField(_l("Remove the photo"))
    languages = SelectMultipleField(_l("Languages"), validators=[Optional()])
    specialties = SelectMultipleField(
        _l("Specialties"), choices=_choices(SPECIALTY_LABELS), validators=[Optional()]
    )
    regions = SelectMultipleField(
        _l("Regions served"),
        validators=[Optional()],
        description=_l("French departments and countries. Hold Ctrl (or ⌘) to choose several."),
    )
    modes = SelectMultipleField(
        _l("Ways of working"), choices=_choices(MODE_LABELS), validators=[Optional()]
    )
    rate_min_eur = DecimalField(
        _l("Hourly rate from (EUR)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
    )
    rate_max_eur = DecimalField(
        _l("Hourly rate up to (EUR)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
    )
    listed_publicly = BooleanField(
        _l("I agree to my profile being listed publicly on the marketplace")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = _locale()
        self.languages.choices = [SelectChoice(c, n) for c, n in language_names(locale)]
        # Departments first (most mediators serve some), then countries, by name.
        self.regions.choices = {
            str(_l("French departments")): [SelectChoice(v, n) for v, n in departments()],
            str(_l("Countries")): [SelectChoice(c, n) for c, n in countries(locale)],
        }
        for row in range(MAX_REGISTRATIONS):
            kind = self[registration_fields(row)[0]]
            kind.choices = [SelectChoice("", "—"), *_choices(REGISTRATION_LABELS)]

    def registration_rows(self) -> list[tuple[Any, Any, Any]]:
        """The (kind, name, number) fields of each row."""
        return [
            tuple(self[name] for name in registration_fields(row))  # type: ignore[misc]
            for row in range(MAX_REGISTRATIONS)
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for kind, name, number in self.registration_rows():
            if kind.errors or name.errors or number.errors:
                continue
            if (name.data or number.data) and not kind.data:
                kind.errors.append(_l("Choose a court of appeal list or a bar."))
                valid = False
            elif kind.data and not name.data:
                name.errors.append(_l("Name the court of appeal or the bar."))
                valid = False
        return valid

    def registrations(self) -> list[dict[str, str | None]]:
        return [
            {"kind": kind.data, "name": name.data, "number": number.data or None}
            for kind, name, number in self.registration_rows()
            if kind.data
        ]

    def profile_input(self) -> ProfileInput:
        return ProfileInput(
            display_name=self.display_name.data or "",
            title=self.title.data or "",
            bio_fr=self.bio_fr.data or "",
            bio_en=self.bio_en.data or "",
            languages=list(self.languages.data or []),
            specialties=list(self.specialties.data or []),
            regions=list(self.regions.data or []),
            modes=list(self.modes.data or []),
            rate_min_eur=_amount(self.rate_min_eur.data),
            rate_max_eur=_amount(self.rate_max_eur.data),
            listed_publicly=bool(self.listed_publicly.data),
            registrations=self.registrations(),
        )

    @staticmethod
    def data_of(profile: MediatorProfile) -> dict[str, Any]:
        """The form's values for an existing profile (to show it, not to post)."""
        data: dict[str, Any] = {
            name: getattr(profile, name)
            for name in (
                "display_name",
                "title",
                "bio_fr",
                "bio_en",
                "languages",
                "specialties",
                "regions",
                "modes",
                "rate_min_eur",
                "rate_max_eur",
                "listed_publicly",
            )
        }
        for row, registration in enumerate((profile.registrations or [])[:MAX_REGISTRATIONS]):
            kind, name, number = registration_fields(row)
            data[kind] = registration.get("kind")
            data[name] = registration.get("name")
            data[number] = registration.get("number")
        return data


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


for _row in range(MAX_REGISTRATIONS):
    _kind, _name, _number = registration_fields(_row)
    setattr(ProfileForm, _kind, SelectField(_l("Kind"), validators=[Optional()]))
    setattr(
        ProfileForm,
        _name,
        StringField(
            _l("Court of appeal or bar"),
            filters=[strip],
            validators=[Optional(), Length(max=MAX_REGISTRATION_NAME)],
        ),
    )
    setattr(
        ProfileForm,
        _number,
        StringField(
            _l("Number (optional)"),
            filters=[strip],
            validators=[Optional(), Length(max=MAX_REGISTRATION_NUMBER)],
        ),
    )


# --- training records -------------------------------------------------------------------


class RecordForm(StrictForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    provider = StringField(
        _l("Provider"),
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
        description=_l("The training body, the supervisor or the event's organiser."),
    )
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS), validators=[InputRequired()])
    hours = DecimalField(
        _l("Hours"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=int(MAX_HOURS))],
    )
    started_on = DateField(_l("Start date"), validators=[InputRequired()])
    ended_on = DateField(_l("End date"), validators=[Optional()])
    mediations = IntegerField(
        _l("Number of mediations"),
        validators=[Optional(), NumberRange(min=1, max=MAX_MEDIATIONS)],
        description=_l("Only for mediations conducted."),
    )
    evidence = FileField(_l("Evidence"), description=EVIDENCE_HELP)

    def record_input(self) -> RecordInput:
        return RecordInput(
            title=self.title.data or "",
            provider=self.provider.data or "",
            kind=self.kind.data or "",
            hours=self.hours.data if self.hours.data is not None else "",
            started_on=self.started_on.data or date.min,
            ended_on=self.ended_on.data,
            mediations=self.mediations.data,
        )


# --- certifications ---------------------------------------------------------------------


class CertificationForm(StrictForm):
    scheme_code = SelectField(_l("Certification"), validators=[InputRequired()])
    number = StringField(
        _l("Number"), filters=[strip], validators=[Optional(), Length(max=MAX_NUMBER)]
    )
    issued_on = DateField(_l("Issued on"), validators=[InputRequired()])
    expires_on = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("As written on the document; leave empty if it gives no date."),
    )
    stage = SelectField(
        _l("Stage"),
        choices=[SelectChoice("", _l("Not staged")), *_choices(STAGE_LABELS)],
        validators=[Optional()],
        description=_l("For accreditations that are provisional before becoming definitive."),
    )
    evidence = FileField(_l("Evidence"), description=EVIDENCE_HELP)

    def __init__(
        self, *args: Any, schemes: Sequence[CertificationScheme] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if schemes is None:
            schemes = active_schemes()
        self.scheme_code.choices = [
            SelectChoice(s.code, f"{s.name} ({s.issuing_body})") for s in schemes
        ]

    def certification_input(self) -> CertificationInput:
        return CertificationInput(
            scheme_code=self.scheme_code.data or "",
            issued_on=self.issued_on.data or date.min,
            number=self.number.data or "",
            expires_on=self.expires_on.data,
            stage=self.stage.data or None,
        )
