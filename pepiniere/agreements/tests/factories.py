from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from django.db.models import Model

from pepiniere.agreements import services, signature_services
from pepiniere.agreements.models import Agreement
from pepiniere.applications.models import Application
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_user


class World:
    """One call with one awarded application: its officer, finance person and applicant."""

    def __init__(self, amount: str = "40000", envelope: str = "100000") -> None:
        self.call, self.officer, self.finance, applications = selected_call(1, envelope=envelope)
        self.application: Application = applications[0]
        Application.objects.filter(pk=self.application.pk).update(project_budget=Decimal("80000"))
        self.award = grant_services.award_grant(
            application=self.application, actor=self.officer, **award_kwargs(amount)
        )
        self.applicant: Any = self.application.created_by

    def prepare(self) -> Agreement:
        return services.prepare_agreement(award=self.award, actor=self.officer)

    def send(self) -> Agreement:
        agreement = self.prepare()
        services.send_agreement(agreement=agreement, actor=self.officer)
        return refreshed(agreement)

    def sign_beneficiary(self, agreement: Agreement) -> Agreement:
        signature_services.sign_as_beneficiary(
            agreement=agreement,
            actor=self.applicant,
            consent=True,
            name="Camille Martin",
            title="Présidente",
            shown_sha256=agreement.versions.get(number=latest(agreement)).sha256,
            ip_address="192.0.2.10",
        )
        return refreshed(agreement)

    def sign_funder(self, agreement: Agreement, actor: Any = None) -> Agreement:
        signature_services.sign_as_funder(
            agreement=agreement,
            actor=actor or self.finance,
            consent=True,
            name="Alain Rousset",
            title="Président du Conseil régional",
            shown_sha256=agreement.versions.get(number=latest(agreement)).sha256,
            ip_address="198.51.100.7",
        )
        return refreshed(agreement)

    def signed(self) -> Agreement:
        return self.sign_funder(self.sign_beneficiary(self.send()))

    def stranger_officer(self) -> Any:
        other, *_rest = selected_call(0)
        return make_user(role="officer", funder=other.funder)


def latest(agreement: Agreement) -> int:
    return max(agreement.versions.values_list("number", flat=True))


def refreshed[M: Model](obj: M) -> M:
    return type(obj)._default_manager.get(pk=obj.pk)


def pdfa_conformance(pdf: bytes) -> tuple[str, str]:
    """The PDF/A part and conformance level its XMP metadata declares, e.g. ("3", "B")."""
    from pypdf import PdfReader

    xmp = PdfReader(io.BytesIO(pdf)).xmp_metadata
    assert xmp is not None, "no XMP metadata"
    found = re.search(rb'pdfaid:part="(\d)" pdfaid:conformance="(\w)"', xmp.stream.get_data())
    assert found is not None, "no PDF/A identification in the XMP metadata"
    return found[1].decode(), found[2].decode()
