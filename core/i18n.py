"""French and English: French by default, the user's choice when signed in."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

from core.config import PROJECT_ROOT


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Jobs and CLI commands choose their language explicitly (force_locale).
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "core" / "translations")
    )
    Babel(app, locale_selector=select_locale)
