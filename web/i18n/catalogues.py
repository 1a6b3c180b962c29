"""The gettext catalogues in web/locale, read from their .po files once per process.

The source strings are English, so English needs no catalogue. The .po files are compiled in
memory (Babel) rather than shipped as .mo files: there is no build step to forget, and a
catalogue edited in a pull request is what runs.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LOCALE = "en"
# What the pages offer, with each language's own name for the switcher.
LOCALES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def catalogue(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    if locale == DEFAULT_LOCALE or locale not in LOCALES:
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, catalogue(locale), use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


@cache
def js_messages(locale: str) -> dict[str, str]:
    """The translations of the strings the JavaScript modules use (those found in .js sources),
    handed to the page as JSON data so the modules translate without a second request."""
    if locale == DEFAULT_LOCALE or locale not in LOCALES:
        return {}
    return {
        str(message.id): str(message.string)
        for message in catalogue(locale)
        if message.id
        and message.string
        and not message.fuzzy
        and any(path.endswith(".js") for path, _line in message.locations)
    }
