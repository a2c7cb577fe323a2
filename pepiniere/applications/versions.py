"""Side-by-side comparison of submitted versions, with changes highlighted word by word."""

from __future__ import annotations

import difflib
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pepiniere.applications.answers import FormSpec
from pepiniere.applications.display import EMPTY, answer_text
from pepiniere.applications.models import ApplicationVersion
from pepiniere.calls.models import FieldKind, FormField
from pepiniere.lib.money import format_eur


def _as_text(
    field: FormField, value: Any, version: ApplicationVersion, columns: list[FormField]
) -> str:
    if field.kind == FieldKind.FILE:
        return ", ".join(a["name"] for a in version.attachments if a["field_key"] == field.key)
    text = answer_text(field, value, columns)
    return "" if text == EMPTY else text


def word_diff(old: str, new: str) -> SafeString:
    """`new` with words added since `old` marked <ins> and removed ones shown as <del>."""
    old_words, new_words = old.split(), new.split()
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape(" ".join(new_words[b1:b2])))
            continue
        if op in ("delete", "replace"):
            parts.append(f'<del class="diff-del">{escape(" ".join(old_words[a1:a2]))}</del>')
        if op in ("insert", "replace"):
            parts.append(f'<ins class="diff-ins">{escape(" ".join(new_words[b1:b2]))}</ins>')
    return mark_safe(" ".join(parts))  # noqa: S308 — every piece above is escaped


def compare_versions(versions: list[ApplicationVersion], spec: FormSpec) -> list[dict[str, Any]]:
    rows: list[tuple[str, str, Any]] = [
        ("title", _("Titre"), lambda v: v.title),
        ("summary", _("Résumé"), lambda v: v.summary),
        ("requested_amount", _("Montant demandé"), lambda v: format_eur(v.requested_amount)),
        ("project_budget", _("Budget du projet"), lambda v: format_eur(v.project_budget)),
    ]
    for f in spec.fields:
        rows.append(
            (
                f.key,
                f.label,
                lambda v, f=f: _as_text(f, v.answers.get(f.key), v, spec.children.get(f.pk, [])),
            )
        )
    comparison = []
    for key, label, getter in rows:
        texts = [getter(v) for v in versions]
        cells = []
        for index, text in enumerate(texts):
            changed = index > 0 and text != texts[index - 1]
            cells.append(
                {
                    "html": word_diff(texts[index - 1], text) if changed else escape(text),
                    "changed": changed,
                }
            )
        comparison.append(
            {
                "key": key,
                "label": label,
                "cells": cells,
                "changed": any(c["changed"] for c in cells),
            }
        )
    return comparison
