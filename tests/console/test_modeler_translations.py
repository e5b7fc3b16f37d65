"""The modeler's Indonesian table matches the texts of the bpmn-js it serves.

bpmn-js looks each text up by its exact English template, so a key it no longer
uses translates nothing, and a text it passes that the table lacks shows in
English. Both are read from the development build next to the served one, so
an upgrade of bpmn-js that renames or adds texts is noticed here.

Skipped when bpmn-js is not installed (``npm ci --prefix console``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import console
from console.views import VENDOR_DIR

TABLE = Path(console.__file__).parent / "static" / "js" / "modeler_id.js"
BUNDLE = VENDOR_DIR / "bpmn-modeler.development.js"
# The example in the translate service's own documentation, never on screen.
NOT_SHOWN = {"HELLO {you}"}

pytestmark = pytest.mark.skipif(
    not BUNDLE.is_file(), reason="bpmn-js is not installed (npm ci --prefix console)"
)


@pytest.fixture(scope="module")
def bundle() -> str:
    return BUNDLE.read_text(encoding="utf-8")


def table_keys() -> list[str]:
    """Return the English keys of modeler_id.js, one ``"key":`` per line."""
    return re.findall(
        r'^\s*"([^"]+)":', TABLE.read_text(encoding="utf-8"), re.MULTILINE
    )


def translated_literals(bundle: str) -> set[str]:
    """Return the literal texts bpmn-js passes to translate, menu labels included."""
    calls = re.findall(r"""(?<!['"])\b_?translate\(\s*(['"])(.*?)\1\s*[,)]""", bundle)
    # Replace-menu options carry a label that the menu translates when shown.
    labels = re.findall(r"^\s*label: (['\"])(.*?)\1,?$", bundle, re.MULTILINE)
    return {text for _, text in calls + labels} - NOT_SHOWN


def composed_texts(bundle: str) -> set[str]:
    """Return the texts bpmn-js puts together from pieces before translating."""
    composed = set()
    if "translate('Align elements ' + alignment)" in bundle:
        (options,) = re.findall(r"ALIGNMENT_OPTIONS = \[([^\]]*)\]", bundle)
        composed |= {
            f"Align elements {side}" for side in re.findall(r"'(\w+)'", options)
        }
    if "label += ' (removes content)'" in bundle:
        composed.add("Empty pool/participant (removes content)")

    return composed


def test_the_table_has_each_key_once():
    keys = table_keys()

    assert len(keys) > 100
    assert len(keys) == len(set(keys))


def test_every_key_is_a_text_bpmn_js_uses(bundle):
    used = composed_texts(bundle)
    unused = [
        key
        for key in table_keys()
        if key not in used and f"'{key}'" not in bundle and f'"{key}"' not in bundle
    ]

    assert unused == []


def test_every_literal_bpmn_js_translates_is_in_the_table(bundle):
    literals = translated_literals(bundle)

    assert "Activate hand tool" in literals and "User task" in literals
    assert sorted(literals - set(table_keys())) == []
