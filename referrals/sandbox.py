"""Test clients' referrals: they all go to the sandbox center (tenants.services.sandbox)
and move through the lifecycle on their own, one step every SANDBOX_STEP_SECONDS, so an
integrator sees each status, timeline entry and webhook of a real case: acknowledged,
accepted, assigned to the sandbox mediator, scheduled, concluded with an agreement,
closed. The workers advance them (core.jobs.every), or under `make run` the embedded
worker thread; `flask referrals advance-sandbox` does it by hand.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import jobs
from core.db import db, utcnow
from core.tenancy import tenant_scope
from referrals import cases
from referrals.models import Referral, ReferralStatus
from tenants.services import sandbox as sandbox_center

CENTER = cases.Actor("center")
BATCH = 200
NEXT_STEP = {
    ReferralStatus.SUBMITTED: "acknowledge",
    ReferralStatus.ACKNOWLEDGED: "accept",
    ReferralStatus.ACCEPTED: "assign",
    ReferralStatus.ASSIGNED: "schedule",
    ReferralStatus.SCHEDULED: "record_outcome",
    ReferralStatus.CONCLUDED: "close",
}


def _take(referral: Referral, mediator_id: object) -> None:
    step = NEXT_STEP[referral.status]
    if step == "assign":
        cases.assign(referral.id, mediator_id, CENTER, override_reason="Sandbox case.")
    elif step == "schedule":
        cases.schedule(referral.id, utcnow() + timedelta(days=7), CENTER)
    elif step == "record_outcome":
        cases.record_outcome(referral.id, "agreement", CENTER)
    else:
        getattr(cases, step)(referral.id, CENTER)


@jobs.job("default")
def advance_sandbox_cases() -> int:
    """Move each open sandbox case whose last step is old enough one step on."""
    center, mediator_id = sandbox_center.sandbox_center()
    wait = timedelta(seconds=current_app.config["SANDBOX_STEP_SECONDS"])
    moved = 0
    with tenant_scope(center.id):
        due = db.session.scalars(
            select(Referral)
            .where(
                Referral.status.in_(list(NEXT_STEP)),
                Referral.updated_at <= utcnow() - wait,
            )
            .order_by(Referral.updated_at)
            .limit(BATCH)
        ).all()
        for referral in due:
            _take(referral, mediator_id)
            moved += 1
        db.session.flush()
    return moved


cli = AppGroup("referrals", help="Referred cases.")


@cli.command("advance-sandbox")
def advance_sandbox_command() -> None:
    """Move the sandbox's due cases one step on (the workers do it on their own)."""
    moved = advance_sandbox_cases()
    click.echo(f"sandbox cases moved one step: {moved}")


def init_app(app: Flask) -> None:
    app.config.setdefault("SANDBOX_STEP_SECONDS", 30)
    jobs.every(app, "sandbox-cases", advance_sandbox_cases, "SANDBOX_STEP_SECONDS")
    app.cli.add_command(cli)
