"""Operations commands: `flask --app wsgi <command>`."""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

import click
from flask import Flask, current_app
from rq.cron import CronScheduler

from core import audit, demo, jobs, migrate
from core.accounts.services import find_user_by_email
from core.db import db


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(staff_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)


@click.command("migrate")
@click.option("--revision", default="head", show_default=True)
def migrate_command(revision: str) -> None:
    """Bring the database schema up to date (Alembic), then add the certification
    schemes this release knows and the database does not (never changing one)."""
    from core.credentials.schemes import seed_catalogue

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database migrated to {revision}")
    if revision == "head":
        added = seed_catalogue()
        db.session.commit()
        click.echo(f"certification schemes added: {len(added)}")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo centers, users and partners once, and print the logins."""
    logins = demo.seed()
    path = Path(current_app.instance_path) / "demo.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(logins, indent=2, ensure_ascii=False))
    click.echo(demo.describe(logins))
    click.echo(f"(also written to {path})")


@click.group("staff")
def staff_group() -> None:
    """Platform staff accounts."""


@staff_group.command("grant")
@click.argument("email")
def staff_grant(email: str) -> None:
    """Make an existing user platform staff."""
    _set_staff(email, True)


@staff_group.command("revoke")
@click.argument("email")
def staff_revoke(email: str) -> None:
    """Remove a user's platform staff flag."""
    _set_staff(email, False)


def _set_staff(email: str, value: bool) -> None:
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    user.is_staff = value
    audit.record_security("staff.granted" if value else "staff.revoked", user_id=user.id)
    db.session.commit()
    click.echo(f"{user.email}: staff={'yes' if value else 'no'}")


@click.command("worker")
@click.option("--queues", default=",".join(jobs.QUEUES), show_default=True)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(queues: str, burst: bool) -> None:
    """Run an RQ worker (non-forking: each job runs in this process), which also runs
    the periodic tasks (core.jobs.every) between jobs."""
    names = [name.strip() for name in queues.split(",") if name.strip()]
    worker = jobs.Worker(
        [jobs.queue(n) for n in names],
        connection=jobs.redis_connection(),
        app=current_app._get_current_object(),
    )
    worker.work(burst=burst, logging_level=current_app.config["LOG_LEVEL"])


@click.command("cron")
def cron_command() -> None:
    """Run RQ's cron scheduler for the recurring jobs declared in core.jobs.RECURRING."""
    scheduler = build_cron_scheduler()
    scheduler.start()


def build_cron_scheduler() -> CronScheduler:
    scheduler = CronScheduler(connection=jobs.redis_connection(), logging_level=logging.INFO)
    for recurring in jobs.RECURRING:
        module_name, _, func_name = recurring.func.rpartition(".")
        func = getattr(importlib.import_module(module_name), func_name)
        scheduler.register(
            func, queue_name=recurring.queue, cron=recurring.cron, interval=recurring.interval
        )
    return scheduler
