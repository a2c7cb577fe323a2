"""makemessages finds a string only through the names xgettext is told about (``_``,
``gettext``, ``gettext_lazy``, ``ngettext``, ``pgettext``…): a string marked with an alias of its
own (``gettext_lazy as _l``) never reaches the catalogue, and the English page shows it in
French. Every import of django.utils.translation keeps a name makemessages reads."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
# The keywords Django's makemessages passes to xgettext, and the functions that mark nothing.
EXTRACTED = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def test_translation_functions_are_imported_under_a_name_makemessages_reads():
    aliased = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for name in node.names:
                    used = name.asname or name.name
                    if name.name in EXTRACTED and used not in EXTRACTED:
                        aliased.append(f"{path.relative_to(PACKAGE)}: {name.name} as {used}")
    assert aliased == [], aliased
