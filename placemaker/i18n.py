"""Language choice: Dutch by default, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, current_app, g, request
from flask_babel import get_locale

from placemaker.extensions import babel

T = TypeVar("T")

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate is not None and candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """The language of this request's pages: "nl" or "en"."""
    locale = get_locale()
    return locale.language if locale is not None else "nl"


def in_language(nl: T, en: T, language: str | None = None) -> T:
    """The English label when the page is in English (or ``language`` is "en"), else Dutch."""
    return en if (language or current_language()) == "en" else nl


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    @app.context_processor
    def inject_language():
        return {"current_language": str(get_locale() or "nl"), "g": g}
