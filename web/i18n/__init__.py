"""Languages of the pages: the gettext catalogues, picking a locale, formatting by locale."""

from web.i18n.catalogues import DEFAULT_LOCALE, LOCALES, js_messages, translations
from web.i18n.negotiation import LOCALE_COOKIE, pick_locale

__all__ = ["DEFAULT_LOCALE", "LOCALES", "LOCALE_COOKIE", "js_messages", "pick_locale", "translations"]
