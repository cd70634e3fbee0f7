"""The OAuth 2.0 authorization server and the API's token checks (DESIGN.md section 5).

models.py     clients, secrets, authorization codes, issued tokens
scopes.py     the scope catalogue
keys.py       the signing key set, its JWKS and rotation
tokens.py     RFC 9068 access tokens: issue and verify
revocation.py the cached revocation check
clients.py    client registration, secrets, disabling, revocation (services)
server.py     Authlib's server, configured to RFC 9700
views.py      the endpoints and discovery documents
resource.py   `api_access`, the decorator of every API route
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from core import ratelimit
from core.api import Api
from core.clock import now


def init_app(app: Flask, rest_api: Api) -> None:
    from core.oauth import cli, resource, server, views
    from core.oauth.keys import KeyStore
    from core.oauth.scopes import SCOPES

    config = app.config
    keys_file = config.get("OAUTH_KEYS_FILE") or str(Path(app.instance_path) / "oauth_keys.json")
    store = KeyStore(Path(keys_file))
    store.ensure(now().timestamp())
    app.extensions["oauth_keys"] = store
    for name, (limit, window) in {
        "OAUTH_TOKEN_LIMIT_PER_CLIENT": config["OAUTH_TOKEN_RATE_PER_CLIENT"],
        "OAUTH_TOKEN_LIMIT_PER_IP": config["OAUTH_TOKEN_RATE_PER_IP"],
        "API_LIMIT_PER_CLIENT": config["API_RATE_PER_CLIENT"],
        "API_LIMIT_ANONYMOUS": config["API_RATE_ANONYMOUS"],
    }.items():
        config[name] = ratelimit.Policy(name.lower().replace("_limit", ""), limit, window)

    server.create_server(app)
    views.init_app(app)
    cli.init_app(app)
    app.after_request(resource.add_rate_limit_headers)

    base = config["PUBLIC_BASE_URL"]
    rest_api.spec.components.security_scheme(
        resource.SECURITY_SCHEME,
        {
            "type": "oauth2",
            "description": "Access tokens live 15 minutes; see the server metadata.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": f"{base}/oauth/token",
                    "scopes": {n: str(s.description) for n, s in SCOPES.items() if not s.user_only},
                },
                "authorizationCode": {
                    "authorizationUrl": f"{base}/oauth/authorize",
                    "tokenUrl": f"{base}/oauth/token",
                    "refreshUrl": f"{base}/oauth/token",
                    "scopes": {n: str(s.description) for n, s in SCOPES.items()},
                },
            },
        },
    )
