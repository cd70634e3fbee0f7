"""The French catalogue is complete and in step with the sources.

French is the default locale, so a string left out of core/translations/fr shows in
English on a French page. After adding or changing a user-facing string: run
`make extract-messages`, translate the new entries in fr/LC_MESSAGES/messages.po, and
`make translations`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "core" / "translations"
# What `make extract-messages` reads: these folders, babel.cfg, and the lazy keywords.
SOURCES = ("core", "tenants", "referrals", "marketplace")
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["_l", "lazy_gettext"])}
# %(name)s, %d, %% and {name}: Python and Jinja fill them in, so a translation keeps
# exactly the msgid's (Jinja's gettext applies % to every string, even without one).
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]\w*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{\w*\}")


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


@cache
def _extracted() -> frozenset[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for folder in SOURCES:
        for _file, _line, msgid, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=KEYWORDS
        ):
            found.add(_key(msgid))
    return frozenset(found)


def _read(path: Path) -> Catalog:
    with open(path, "rb") as po:
        return read_po(po)


def _ids(catalog: Catalog) -> set[str]:
    return {_key(m.id) for m in catalog if m.id}


def _french() -> Catalog:
    return _read(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po")


def test_the_template_holds_every_string_of_the_sources():
    template = _ids(_read(TRANSLATIONS / "messages.pot"))
    extracted = _extracted()
    assert sorted(extracted - template) == [], "new strings: run `make extract-messages`"
    assert sorted(template - extracted) == [], "removed strings: run `make extract-messages`"


def test_the_french_catalogue_holds_every_string_of_the_sources():
    french = _ids(_french())
    extracted = _extracted()
    assert sorted(extracted - french) == [], "new strings: run `make extract-messages`"
    assert sorted(french - extracted) == [], "removed strings: run `make extract-messages`"


def test_every_french_entry_is_translated_and_not_fuzzy():
    catalog = _french()
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            forms = message.string if len(message.string) == catalog.num_plurals else ()
        else:
            forms = (message.string,)
        if not forms or not all(forms):
            untranslated.append(_key(message.id))
        if message.fuzzy:
            fuzzy.append(_key(message.id))
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders_of_their_msgid():
    wrong = []
    for message in _french():
        if not message.id:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        forms = message.string if message.pluralizable else (message.string,)
        expected = {p for msgid in ids for p in PLACEHOLDER.findall(msgid)}
        for form in forms:
            if set(PLACEHOLDER.findall(form)) != expected:
                wrong.append((_key(message.id), form))
    assert wrong == []
