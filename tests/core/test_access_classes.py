"""Every route declares its access class with core.access.access (DESIGN.md section 4)."""

from __future__ import annotations

from core.access import ACCESS_CLASSES

# Framework-served files and the OpenAPI document need no declaration.
EXEMPT_ENDPOINTS = {"static", "bootstrap.static", "api-docs.openapi_json"}


def test_every_route_declares_an_access_class(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "access_class", None) not in ACCESS_CLASSES:
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
    assert undeclared == []


def test_workspace_routes_are_under_their_workspace_prefix(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "api_access", None) is not None:
            continue  # an API route's center or partner is its token's owner, not its URL
        kind = getattr(view, "access_class", None)
        if kind == "tenant":
            assert rule.rule.startswith("/c/<slug>/"), rule.rule
        if kind == "partner":
            assert rule.rule.startswith("/p/<partner_slug>/"), rule.rule
