"""The pages' catalogues: every string the sources mark is in web/locale and translated to Chinese.

Extraction runs here as `make messages` runs it (babel.cfg: Python, Jinja templates, JS modules),
so a new page string that nobody extracted or translated fails this test, not a Chinese user.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from web.i18n import LOCALES
from web.i18n.catalogues import catalogue

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TRANSLATED = [locale for locale in LOCALES if locale != "en"]


SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "dist"})


def _descend(path: str) -> bool:
    """Only source folders: the sources are all under web/ (babel.cfg), never in npm packages."""
    name = Path(path).name
    return not name.startswith((".", "_")) and name not in SKIPPED_DIRS


def source_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"_": None}, directory_filter=_descend
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def in_sources() -> set[str]:
    found = source_msgids()
    assert len(found) > 50, "extraction found almost nothing: is babel.cfg still right?"
    return found


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_string_in_the_sources_has_a_translation(locale: str, in_sources: set[str]) -> None:
    po: Catalog = catalogue(locale)
    missing = sorted(s for s in in_sources if po.get(s) is None)
    untranslated = sorted(str(m.id) for m in po if m.id and str(m.id) in in_sources and (not m.string or m.fuzzy))
    assert missing == [], f"not in web/locale/{locale} (run `make messages`): {missing}"
    assert untranslated == [], f"untranslated or fuzzy in {locale}: {untranslated}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_their_placeholders(locale: str) -> None:
    wrong = [
        str(m.id)
        for m in catalogue(locale)
        if m.id and m.string and set(PLACEHOLDER.findall(str(m.id))) != set(PLACEHOLDER.findall(str(m.string)))
    ]
    assert wrong == []
