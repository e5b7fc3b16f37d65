"""The console's words: both languages have every key the pages and modules use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.strings import ENGLISH, INDONESIAN

CONSOLE = Path(__file__).resolve().parents[2] / "console"
# t("key") with a literal key, in templates and in the browser modules.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*\)""")


def _keys_used() -> dict[str, set[str]]:
    files = [*CONSOLE.glob("templates/console/*.html"), *CONSOLE.glob("static/js/*.js")]
    return {f.name: set(LITERAL_KEY.findall(f.read_text())) for f in files}


def test_both_languages_have_the_same_keys():
    assert set(INDONESIAN) - set(ENGLISH) == set()
    assert set(ENGLISH) - set(INDONESIAN) == set()


@pytest.mark.parametrize("name, keys", sorted(_keys_used().items()))
def test_every_word_a_page_asks_for_exists(name, keys):
    assert keys - set(INDONESIAN) == set(), name


def test_the_scan_finds_the_words_of_a_known_page():
    # So the test above cannot pass by finding nothing.
    assert {"admin_title", "admin_endpoints"} <= _keys_used()["admin.html"]
