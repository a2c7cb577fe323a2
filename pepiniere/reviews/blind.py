"""What an expert learns of the applicant. On a call with « évaluation en aveugle » (the default)
an expert never sees who applies: no name, SIRET/SIREN/RNA, members, file names, and no commune
when the call also hides it; the kind of structure and its département stay (they matter for the
grid). The applicant's own answers are shown as written: a text may name its author, which is the
accepted practice of blind review (the applicant is told so by the call's rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, ApplicationVersion
from pepiniere.calls.models import Call, FieldKind

# Answers never shown to experts (bank details), and identifiers hidden in blind review.
NEVER_SHOWN = {FieldKind.FILE, FieldKind.IBAN}
IDENTIFIERS = {FieldKind.SIRET, FieldKind.RNA}


@dataclass(frozen=True)
class ApplicantForExpert:
    blind: bool
    name: str  # empty when hidden
    kind: str
    departement: str
    commune: str  # empty when hidden or unknown


def applicant_for_expert(application: Application) -> ApplicantForExpert:
    call = application.call
    organisation = application.organisation
    blind = call.blind_review
    return ApplicantForExpert(
        blind=blind,
        name="" if blind else organisation.name,
        kind=str(organisation.get_kind_display()),
        departement=str(organisation.departement),
        commune="" if blind and call.blind_hides_commune else organisation.commune_name,
    )


def fields_for_expert(call: Call, fields: list[Any]) -> list[Any]:
    """The form's questions whose answers an expert reads."""
    hidden = NEVER_SHOWN | (IDENTIFIERS if call.blind_review else set())
    return [f for f in fields if f.kind not in hidden]


def attachments_for_expert(
    call: Call, version: ApplicationVersion | None, labels: dict[str, str]
) -> list[dict[str, str]]:
    """[{token, label}] in the version's order. Blind: « Pièce 1 — <question> » instead of the
    uploaded file name (file names often name the applicant)."""
    if version is None:
        return []
    out = []
    for number, attachment in enumerate(version.attachments, start=1):
        question = labels.get(attachment.get("field_key", ""), "")
        if call.blind_review:
            label = _("Pièce %(n)d") % {"n": number}
            if question:
                label = f"{label} — {question}"
        else:
            label = attachment.get("name", "")
        out.append({"token": attachment["token"], "label": label})
    return out
