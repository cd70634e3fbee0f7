"""The composition root: `create_app()` builds the app and registers every domain.

Nothing in the project does work at import time; everything happens here, in order:
configuration, extensions, request hooks, blueprints, commands.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from core import access, api, errors, health, i18n, jobs, observability, security
from core.accounts import sessions as account_sessions
from core.clock import SystemClock
from core.config import PROJECT_ROOT, ensure_instance_secrets, load_config
from core.db import db
from core.files import storage as file_storage
from core.tenancy import install_orm_guard


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Mediation Hub app. `config` overrides the environment (tests)."""
    app = Flask(
        "core",
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    ensure_instance_secrets(app.instance_path, app.config)

    observability.init_app(app)
    app.extensions["clock"] = app.config.get("CLOCK") or SystemClock()
    install_orm_guard()
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    account_sessions.init_app(app)
    jobs.init_app(app)
    file_storage.init_app(app)
    errors.init_app(app)
    access.init_app(app)
    health.init_app(app)

    from flask_bootstrap import Bootstrap5

    Bootstrap5(app)
    rest_api = api.init_app(app)
    _register_domains(app, rest_api)
    if app.config["EMBEDDED_WORKER"] and app.config["JOBS_INLINE"]:
        app.extensions["embedded_worker"] = jobs.start_embedded_worker(app)
    return app


def _register_domains(app: Flask, rest_api: api.Api) -> None:
    """Each domain registers its models, blueprints and commands."""
    import core.accounts.api
    import core.accounts.views
    import core.billing.cli
    import core.billing.enforcement
    import core.billing.stripe_webhooks
    import core.cli
    import core.credentials.api
    import core.credentials.catalogue_views
    import core.credentials.credential_api
    import core.credentials.credential_views
    import core.credentials.reminders.views
    import core.credentials.views
    import core.demo
    import core.oauth
    import core.oauth.api
    import core.views
    import marketplace
    import referrals.api
    import referrals.billing_usage
    import referrals.center_api
    import referrals.demo
    import referrals.demo_cases
    import referrals.fee_views
    import referrals.inbox
    import referrals.jobs
    import referrals.notifications
    import referrals.partner_views
    import referrals.party_pay_views
    import referrals.portal
    import referrals.sandbox
    import referrals.views
    import referrals.webhooks
    import referrals.webhooks_api
    import tenants.billing_providers
    import tenants.billing_views
    import tenants.claims
    import tenants.demo
    import tenants.digest
    import tenants.inquiries
    import tenants.mediators
    import tenants.mediators_api
    import tenants.staff
    import tenants.staff_billing
    import tenants.storefront
    import tenants.views

    import_models()
    app.register_blueprint(core.views.bp)
    app.register_blueprint(core.accounts.views.bp)
    core.oauth.init_app(app, rest_api)
    rest_api.register_blueprint(core.accounts.api.blp)
    rest_api.register_blueprint(core.oauth.api.blp)
    app.register_blueprint(tenants.views.bp)
    app.register_blueprint(tenants.staff.bp)
    app.register_blueprint(tenants.staff_billing.bp)
    app.register_blueprint(tenants.mediators.bp)
    app.register_blueprint(tenants.claims.bp)
    app.register_blueprint(tenants.storefront.bp)
    app.register_blueprint(tenants.inquiries.bp)
    app.register_blueprint(referrals.views.bp)
    app.register_blueprint(referrals.partner_views.bp)
    app.register_blueprint(referrals.inbox.bp)
    app.register_blueprint(referrals.portal.bp)
    app.register_blueprint(referrals.fee_views.bp)
    app.register_blueprint(referrals.party_pay_views.bp)
    rest_api.register_blueprint(referrals.api.blp)
    rest_api.register_blueprint(referrals.center_api.blp)
    rest_api.register_blueprint(referrals.webhooks_api.blp)
    app.register_blueprint(core.credentials.reminders.views.bp)
    app.register_blueprint(core.credentials.credential_views.bp)
    app.register_blueprint(core.credentials.catalogue_views.bp)
    app.register_blueprint(core.credentials.views.bp)
    rest_api.register_blueprint(core.credentials.credential_api.blp)
    rest_api.register_blueprint(core.credentials.api.blp)
    rest_api.register_blueprint(tenants.mediators_api.blp)
    marketplace.init_app(app, rest_api)
    core.cli.init_app(app)
    core.billing.cli.init_app(app)
    core.billing.stripe_webhooks.init_app(app)
    core.billing.enforcement.init_app(app)
    tenants.billing_providers.register()
    referrals.billing_usage.register()
    tenants.billing_views.init_app(app)
    tenants.views.init_app(app)
    referrals.views.init_app(app)
    referrals.partner_views.init_app(app)
    referrals.jobs.init_app()
    referrals.sandbox.init_app(app)
    referrals.webhooks.init_app(app)
    referrals.notifications.init_app(app)
    tenants.digest.init_app(app)
    # Centers first: the partners' seeder reuses its demo-user helper.
    core.demo.register(tenants.demo.seed)
    core.demo.register(referrals.demo.seed)
    core.demo.register(referrals.demo_cases.seed)


def import_models() -> None:
    """Import every model module so the metadata holds every table (app, Alembic)."""
    import core.accounts.models
    import core.audit
    import core.billing.models
    import core.credentials.issued
    import core.credentials.models
    import core.credentials.reminders.models
    import core.oauth.models  # noqa: F401
    import marketplace.models  # noqa: F401
    import referrals.fee_models
    import referrals.models
    import referrals.partner_models
    import referrals.webhook_models  # noqa: F401
    import tenants.digest_models
    import tenants.models
    import tenants.storefront_models  # noqa: F401
