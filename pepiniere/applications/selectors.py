"""Reads shared by the applicant's pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.db.models import Prefetch, QuerySet

from pepiniere.applications.answers import FormSpec
from pepiniere.applications.models import Application, ApplicationVersion, Attachment, Status
from pepiniere.applications.workflow import TIMELINE
from pepiniere.calls.models import FieldKind
from pepiniere.lib.extension import ExtensionPoint


@dataclass(frozen=True)
class ApplicantTask:
    """Something an applicant has to do that a later stage knows about (a KPI report to fill)."""

    label: str
    url: str
    detail: str = ""


# Later stages add the applicant's tasks to Mes dossiers (their home) without applications/
# importing them (lifecycle = import order): portfolio/ lists the KPI reports to transmit.
applicant_tasks: ExtensionPoint[Callable[[Any], list[ApplicantTask]]] = ExtensionPoint(
    "applicant tasks"
)


def tasks_of_applicant(user: Any) -> list[ApplicantTask]:
    return [task for provider in applicant_tasks for task in provider(user)]


def organisations_applied_to_funders_of(user: Any) -> QuerySet[Any] | None:
    """For an officer: the organisations that submitted an application to their funder (they may
    decide those organisations' join requests); None for anyone else. Registered with
    organisations.selectors.followed_organisations (see ApplicationsConfig.ready)."""
    from pepiniere.accounts.models import Role

    funders = user.funder_ids(Role.OFFICER)
    if not funders:
        return None
    return (
        Application.objects.filter(call__funder_id__in=funders)
        .exclude(status=Status.DRAFT)
        .values("organisation_id")
    )


def applications_of_user(user: Any) -> QuerySet[Application]:
    return (
        Application.objects.filter(organisation__memberships__user=user)
        .select_related("call", "call__funder", "organisation")
        .order_by("-updated_at")
    )


def application_for_page(pk: int) -> Application:
    return (
        Application.objects.select_related(
            "call", "call__funder", "organisation", "organisation__departement"
        )
        .prefetch_related(
            Prefetch("versions", queryset=ApplicationVersion.objects.order_by("number")),
            "information_requests",
        )
        .get(pk=pk)
    )


def bank_details(application: Application) -> list[tuple[str, str]]:
    """The IBANs the applicant gave (label, IBAN in groups of four), from the last submitted
    version: what finance pays to. Shown to officers and finance only (README, « Who sees what »)."""
    version = application.versions.order_by("-number").first()
    answers = version.answers if version is not None else application.answers
    out = []
    for field in application.call.form_fields.filter(kind=FieldKind.IBAN).order_by("position"):
        value = "".join(str(answers.get(field.key) or "").split()).upper()
        if value:
            out.append((field.label, " ".join(value[i : i + 4] for i in range(0, len(value), 4))))
    return out


def timeline(application: Application) -> list[dict[str, Any]]:
    """The happy path with the current position; off-path states (incomplete, withdrawn…) are
    shown as the current step after the last one reached."""
    status = application.status
    steps = []
    if status in TIMELINE:
        current = TIMELINE.index(status)
        for index, state in enumerate(TIMELINE):
            steps.append({"state": state, "done": index < current, "current": index == current})
    else:
        reached = 1 if application.submitted_at else 0
        for state in TIMELINE[: reached + 1]:
            steps.append({"state": state, "done": True, "current": False})
        steps.append({"state": status, "done": False, "current": True})
    return steps


def bound_fields(
    spec: FormSpec,
    answers: dict[str, Any],
    errors: dict[str, list[str]],
    attachments: list[Attachment],
) -> list[dict[str, Any]]:
    """What the form template needs for each question: value as typed, its messages, its files."""
    by_key: dict[str, list[Attachment]] = {}
    for attachment in attachments:
        by_key.setdefault(attachment.field_key, []).append(attachment)
    result = []
    for f in spec.fields:
        item: dict[str, Any] = {
            "field": f,
            "name": f"f-{f.key}",
            "id": f"f-{f.key}",
            "value": answers.get(f.key, [] if f.kind == FieldKind.MULTI_CHOICE else ""),
            "errors": errors.get(f.key, []),
            "attachments": by_key.get(f.key, []),
        }
        if f.kind == FieldKind.GROUP:
            columns = spec.children.get(f.pk, [])
            rows = list(answers.get(f.key) or [])
            rows.append({})  # one empty row so the group can be filled without JavaScript
            item["columns"] = columns
            item["rows"] = [
                {
                    "index": index,
                    "cells": [
                        {
                            "column": c,
                            "name": f"g-{f.key}-{index}-{c.key}",
                            "value": row.get(c.key, ""),
                            "errors": errors.get(f"{f.key}.{index}.{c.key}", []),
                        }
                        for c in columns
                    ],
                }
                for index, row in enumerate(rows)
            ]
            item["next_index"] = len(rows)
        result.append(item)
    return result


def attachment_number(application: Application, token: str) -> int:
    """The attachment's place (1, 2…) in the latest submitted version, the order readers see;
    0 when it is in no version."""
    latest = max(application.versions.all(), key=lambda v: v.number, default=None)
    tokens = [a.get("token") for a in latest.attachments] if latest else []
    return tokens.index(token) + 1 if token in tokens else 0


def neutral_attachment_name(application: Application, attachment: Attachment) -> str:
    """« piece-2.pdf »: a name that tells nothing of the applicant (its file names often name it),
    for readers who must not learn who applies (experts of a blind review)."""
    extension = PurePosixPath(attachment.original_name).suffix.lower()[:10]
    number = attachment_number(application, attachment.token)
    return f"piece-{number}{extension}" if number else f"piece{extension}"
