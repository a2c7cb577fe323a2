"""Reads shared by the agreements pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from pepiniere.agreements.models import Agreement, AgreementStatus, AgreementVersion
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award
from pepiniere.lib.money import format_eur


def call_awards(call: Call) -> QuerySet[Award]:
    """The call's awards with their agreement and its versions, in a fixed number of queries."""
    return (
        Award.objects.filter(application__call=call)
        .select_related("application__organisation", "agreement")
        .prefetch_related(
            Prefetch(
                "agreement__versions",
                queryset=AgreementVersion.objects.order_by("number").prefetch_related("signatures"),
            )
        )
        .order_by("application__number", "pk")
    )


def agreement_with_versions(pk: int) -> Agreement:
    return (
        Agreement.objects.select_related(
            "award__application__call__funder",
            "award__application__call__programme",
            "award__application__organisation",
        )
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=AgreementVersion.objects.order_by("number").prefetch_related(
                    "schedule", "signatures__signer"
                ),
            )
        )
        .get(pk=pk)
    )


def applicant_tasks(user: Any) -> list[Any]:
    """Registered on applications.selectors.applicant_tasks: the agreements sent to the person's
    organisations and waiting for their signature, on Mes dossiers (one query)."""
    from pepiniere.applications.selectors import ApplicantTask

    if not user.is_authenticated:
        return []
    waiting = (
        Agreement.objects.filter(
            status=AgreementStatus.SENT,
            award__application__organisation__memberships__user=user,
        )
        .select_related("award__application__organisation")
        .order_by("created_at", "pk")
        .distinct()
    )
    return [
        ApplicantTask(
            label=_("%(org)s : signer la convention %(ref)s")
            % {"ref": a.reference, "org": a.award.application.organisation.name},
            url=reverse("agreements:mine", args=[a.award.application_id]),
            detail=_("pour l'aide de %(amount)s") % {"amount": format_eur(a.award.amount)},
        )
        for a in waiting
    ]
