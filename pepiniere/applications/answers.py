"""The application form: reading answers from a POST, and validating them against the call's fields.

Answers are stored as typed text (JSON) exactly as the applicant typed them, so that a draft never
loses anything; validation happens at pre-check and at submission, with one message per problem."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from pepiniere.calls.models import FieldKind, FormField
from pepiniere.lib.dates import DateError, parse_date
from pepiniere.lib.money import MAX_AMOUNT, AmountError, parse_amount, parse_decimal
from pepiniere.organisations.identifiers import clean_rna, clean_siret

CORE_KEYS = ("title", "summary", "requested_amount", "project_budget")
SHORT_TEXT_MAX = 500
SUMMARY_MAX_WORDS = 300
WORD_RE = re.compile(r"\S+")


def count_words(text: str) -> int:
    return len(WORD_RE.findall(text or ""))


@dataclass
class FormSpec:
    """A call's fields, top level first, with each repeatable group's columns."""

    fields: list[FormField]
    children: dict[int, list[FormField]] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, all_fields: Iterable[FormField]) -> FormSpec:
        ordered = sorted(all_fields, key=lambda f: (f.position, f.pk or 0))
        spec = cls(fields=[f for f in ordered if f.group_id is None])
        for f in ordered:
            if f.group_id is not None:
                spec.children.setdefault(f.group_id, []).append(f)
        return spec


def answers_from_post(spec: FormSpec, post: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the form's POST into the answers dict. Unknown keys are ignored; nothing is parsed."""
    answers: dict[str, Any] = {
        "_core": {key: str(post.get(f"core-{key}", "")) for key in CORE_KEYS}
    }
    for f in spec.fields:
        name = f"f-{f.key}"
        if f.kind == FieldKind.FILE:
            continue
        if f.kind == FieldKind.MULTI_CHOICE:
            answers[f.key] = (
                list(post.getlist(name)) if hasattr(post, "getlist") else post.get(name, [])
            )
        elif f.kind == FieldKind.GROUP:
            answers[f.key] = _group_rows(f, spec.children.get(f.pk, []), post)
        else:
            answers[f.key] = str(post.get(name, ""))
    return answers


def _group_rows(group: FormField, columns: list[FormField], post: Mapping[str, Any]) -> list[dict]:
    prefix = f"g-{group.key}-"
    indexes = sorted(
        {int(m.group(1)) for k in post for m in [re.match(rf"^{re.escape(prefix)}(\d+)-", k)] if m}
    )
    rows = []
    for index in indexes:
        row = {c.key: str(post.get(f"{prefix}{index}-{c.key}", "")) for c in columns}
        if any(value.strip() for value in row.values()):
            rows.append(row)
    return rows


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


def validate_value(f: FormField, value: Any) -> list[str]:
    """Messages for one answer (empty list when valid). `value` is as stored in answers."""
    if _blank(value):
        return [_("Cette réponse est obligatoire.")] if f.required else []
    errors: list[str] = []
    kind = f.kind
    if kind == FieldKind.SHORT_TEXT and len(value) > SHORT_TEXT_MAX:
        errors.append(_("%(n)d caractères au maximum.") % {"n": SHORT_TEXT_MAX})
    elif kind == FieldKind.LONG_TEXT and f.word_limit and count_words(value) > f.word_limit:
        errors.append(
            _("%(count)d mots pour %(limit)d au maximum : raccourcissez de %(over)d mots.")
            % {
                "count": count_words(value),
                "limit": f.word_limit,
                "over": count_words(value) - f.word_limit,
            }
        )
    elif kind in (FieldKind.NUMBER, FieldKind.AMOUNT):
        try:
            number = (
                parse_amount(value)
                if kind == FieldKind.AMOUNT
                else parse_decimal(value, maximum=MAX_AMOUNT)
            )
        except AmountError as error:
            return [error.message]
        if f.min_value is not None and number < f.min_value:
            errors.append(_("La valeur minimale est %(min)s.") % {"min": f.min_value})
        if f.max_value is not None and number > f.max_value:
            errors.append(_("La valeur maximale est %(max)s.") % {"max": f.max_value})
    elif kind == FieldKind.DATE:
        try:
            parse_date(value)
        except DateError as error:
            errors.append(error.message)
    elif kind == FieldKind.CHOICE and value not in f.choices:
        errors.append(_("Choisissez une des options proposées."))
    elif kind == FieldKind.MULTI_CHOICE and not set(value) <= set(f.choices):
        errors.append(_("Choisissez parmi les options proposées."))
    elif kind == FieldKind.YES_NO and value not in ("yes", "no"):
        errors.append(_("Répondez oui ou non."))
    elif kind == FieldKind.SIRET:
        errors.extend(_validation_messages(clean_siret, value))
    elif kind == FieldKind.RNA:
        errors.extend(_validation_messages(clean_rna, value))
    elif kind == FieldKind.IBAN:
        errors.extend(iban_errors(value))
    return errors


def _validation_messages(cleaner: Any, value: str) -> list[str]:
    try:
        cleaner(value)
    except ValidationError as error:
        return list(error.messages)
    return []


def iban_errors(value: str) -> list[str]:
    if any(c.isdigit() and not c.isascii() for c in value):
        return [_("L'IBAN s'écrit avec les chiffres de 0 à 9 (d'autres chiffres ont été saisis).")]
    try:
        IBAN(value)
    except SchwiftyException as error:
        name = type(error).__name__
        if name == "InvalidChecksumDigits":
            return [_("L'IBAN est invalide : ses deux chiffres de contrôle ne correspondent pas.")]
        if name == "InvalidLength":
            return [_("L'IBAN n'a pas la bonne longueur pour son pays.")]
        if name == "InvalidCountryCode":
            return [_("L'IBAN doit commencer par un code pays, ex. FR76.")]
        if name == "InvalidBBANChecksum":
            return [_("L'IBAN est invalide : la clé RIB ne correspond pas.")]
        return [_("L'IBAN est invalide (format du pays non respecté).")]
    return []


def validate_core(core: Mapping[str, str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    title = (core.get("title") or "").strip()
    if not title:
        errors["title"] = [_("Donnez un titre à votre projet.")]
    elif len(title) > 200:
        errors["title"] = [_("200 caractères au maximum.")]
    summary = (core.get("summary") or "").strip()
    if not summary:
        errors["summary"] = [_("Résumez votre projet.")]
    elif count_words(summary) > SUMMARY_MAX_WORDS:
        errors["summary"] = [
            _("%(count)d mots pour %(limit)d au maximum.")
            % {"count": count_words(summary), "limit": SUMMARY_MAX_WORDS}
        ]
    amounts: dict[str, Decimal] = {}
    for key, label in (
        ("requested_amount", _("le montant demandé")),
        ("project_budget", _("le budget")),
    ):
        raw = (core.get(key) or "").strip()
        if not raw:
            errors[key] = [_("Indiquez %(label)s.") % {"label": label}]
            continue
        try:
            amounts[key] = parse_amount(raw)
        except AmountError as error:
            errors[key] = [error.message]
            continue
        if amounts[key] <= 0:
            errors[key] = [_("Le montant doit être positif.")]
    if (
        "requested_amount" in amounts
        and "project_budget" in amounts
        and amounts["requested_amount"] > amounts["project_budget"]
        and "requested_amount" not in errors
    ):
        errors["requested_amount"] = [
            _("Le montant demandé ne peut pas dépasser le budget total du projet.")
        ]
    return errors


def validate_answers(
    spec: FormSpec, answers: Mapping[str, Any], attachment_keys: set[str]
) -> dict[str, list[str]]:
    """All problems, keyed by field key (core fields by their name, group cells by 'group.row.col')."""
    errors = validate_core(answers.get("_core", {}))
    for f in spec.fields:
        if f.kind == FieldKind.FILE:
            if f.required and f.key not in attachment_keys:
                errors[f.key] = [_("Joignez ce document.")]
            continue
        value = answers.get(f.key)
        if f.kind == FieldKind.GROUP:
            rows = value or []
            if f.required and not rows:
                errors[f.key] = [_("Ajoutez au moins une ligne.")]
            if f.max_rows and len(rows) > f.max_rows:
                errors[f.key] = [_("%(n)d lignes au maximum.") % {"n": f.max_rows}]
            for index, row in enumerate(rows):
                for column in spec.children.get(f.pk, []):
                    messages = validate_value(column, row.get(column.key, ""))
                    if messages:
                        errors[f"{f.key}.{index}.{column.key}"] = messages
            continue
        messages = validate_value(f, value if value is not None else "")
        if messages:
            errors[f.key] = messages
    return errors


def parse_core_amount(raw: str | None) -> Decimal | None:
    """Lenient parse for the draft columns: an unparseable amount is kept as text, column left empty."""
    try:
        return parse_amount(raw or "")
    except AmountError:
        return None
