"""The forms of the center's billing page (core.billing holds the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from core.billing.plans import PLANS
from core.forms import StrictForm, strip

INTERVAL_CHOICES = [SelectChoice("month", _l("Monthly")), SelectChoice("year", _l("Yearly"))]
# The most a center may set as its overage cap, in euros (a typo guard, not a rule).
MAX_CAP_EUROS = 1_000_000


class PlanForm(StrictForm):
    """Subscribe to a plan, or move the running subscription to another."""

    plan = SelectField(
        _l("Plan"),
        choices=[SelectChoice(plan.code, plan.name) for plan in PLANS.values() if plan.public],
        validators=[InputRequired()],
    )
    interval = SelectField(_l("Billing"), choices=INTERVAL_CHOICES, validators=[InputRequired()])


class CardForm(StrictForm):
    """The SetupIntent Stripe.js confirmed in the browser (the card itself never reaches
    the server): the server reads its payment method back from Stripe."""

    setup_intent = StringField(
        _l("Card setup"),
        filters=[strip],
        validators=[
            InputRequired(),
            Length(max=255),
            Regexp(r"^seti_[A-Za-z0-9_]+$", message=_l("This card setup is unknown.")),
        ],
    )


class OverageCapForm(StrictForm):
    """The most the center accepts to pay for referrals past its allowance in one
    period; blank for no cap."""

    overage_cap = DecimalField(
        _l("Overage cap per period (EUR, excl. VAT)"),
        places=2,
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_CAP_EUROS, message=_l("Enter an amount from 0 to 1,000,000.")
            ),
        ],
    )
