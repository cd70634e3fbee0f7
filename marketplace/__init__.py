"""Public marketplace: published mediators and offers, search, public pages and API.

The marketplace reads only its public tables (marketplace.models), which
marketplace.indexing keeps in step with the centers' and mediators' data.
"""

from __future__ import annotations

from flask import Flask

from core import jobs
from core.api import Api

REBUILD = jobs.Recurring("marketplace.indexing.rebuild_listings", cron="37 4 * * *")


def init_app(app: Flask, rest_api: Api) -> None:
    from marketplace import api, indexing, views

    indexing.watch_changes()
    if REBUILD not in jobs.RECURRING:
        jobs.RECURRING.append(REBUILD)
    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    views.init_app(app)
