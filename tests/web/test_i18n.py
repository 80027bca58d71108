"""Both languages hold every message the pages use (issue 15): no key missing from either table,
no key in one table only, every ``{field}`` of a message in both languages."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from web.i18n import MESSAGES_DIR, messages

WEB = Path(__file__).resolve().parents[2] / "web"
#: ``t("key")`` in templates, ``FO.t("key")`` in scripts, ``translate("key")`` in views; and
#: keys built in templates from a prefix (``t("lang." ~ code)``) are listed with their prefix.
USES = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")
PREFIXED = re.compile(r"""\bt\(\s*["']([a-z0-9_]+\.)["']\s*(?:~|\+)""")
LANGS = sorted(p.name for p in MESSAGES_DIR.iterdir() if p.is_dir())


def _sources() -> list[Path]:
    return [
        *(WEB / "templates").glob("*.html"),
        *(WEB / "static" / "js").glob("*.js"),
        *WEB.rglob("*.py"),
    ]


def used_keys() -> set[str]:
    return {key for path in _sources() for key in USES.findall(path.read_text("utf-8"))}


def test_both_languages_are_there():
    assert LANGS == ["en", "ko"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_the_pages_use_is_translated(lang):
    keys = used_keys()
    assert len(keys) > 20  # the scan finds the pages' keys at all
    assert sorted(keys - set(messages(lang))) == []


def test_prefixed_keys_have_every_variant():
    prefixes = {p for path in _sources() for p in PREFIXED.findall(path.read_text("utf-8"))}
    for prefix in prefixes:
        for lang in LANGS:
            found = [k for k in messages(lang) if k.startswith(prefix)]
            assert found, f"no {prefix}* keys in {lang}"


def test_each_page_has_its_file_in_both_languages():
    files = {lang: sorted(p.name for p in (MESSAGES_DIR / lang).glob("*.json")) for lang in LANGS}
    assert files["en"] == files["ko"]


def test_both_tables_hold_the_same_keys_and_fields():
    en, ko = messages("en"), messages("ko")
    assert sorted(set(en) ^ set(ko)) == []
    for key in en:
        fields_en = {f for _, f, _, _ in string.Formatter().parse(en[key]) if f}
        fields_ko = {f for _, f, _, _ in string.Formatter().parse(ko[key]) if f}
        assert fields_en == fields_ko, key
