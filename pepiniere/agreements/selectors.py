"""Reads shared by the agreements pages."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award


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
