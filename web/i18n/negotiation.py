"""Which language a page is shown in: this browser's choice (the locale cookie, written by `?lang=`,
the language menu and sign-in from the user's setting), else the user's setting, else the
browser's Accept-Language, else English."""

from __future__ import annotations

from babel import negotiate_locale

from web.i18n.catalogues import DEFAULT_LOCALE, LOCALES

# This browser's choice: made before anyone is known (`?lang=` on the sign-in page) or after.
LOCALE_COOKIE = "locale"


def pick_locale(setting: str | None, cookie: str | None, accept_language: str | None) -> str:
    for chosen in (cookie, setting):
        if chosen in LOCALES:
            return chosen
    preferred = _by_preference(accept_language or "")
    return negotiate_locale(preferred, list(LOCALES), sep="_") or DEFAULT_LOCALE


def _by_preference(header: str) -> list[str]:
    """The languages of an Accept-Language header, best first ("zh-CN,zh;q=0.9,en;q=0.8")."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        language, _, params = part.strip().partition(";")
        if not language or language == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, language.replace("-", "_")))
    return [language for _q, _p, language in sorted(weighted)]
