import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call

pytestmark = pytest.mark.django_db


def _agreement() -> Agreement:
    call, officer, _finance, applications = selected_call(1)
    award = grant_services.award_grant(
        application=applications[0], actor=officer, **award_kwargs("40000")
    )
    return Agreement.objects.create(
        award=award, reference="CONV-2026-TEST-001", created_by=officer, created_at=timezone.now()
    )


def _version(agreement: Agreement, number: int, *, signed: bool) -> AgreementVersion:
    now = timezone.now()
    return AgreementVersion.objects.create(
        agreement=agreement,
        number=number,
        amount=Decimal("40000"),
        aid_rate=Decimal("70.00"),
        eligible_budget=Decimal("57142.86"),
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 12, 31),
        created_by=agreement.created_by,
        created_at=now,
        signed_at=now if signed else None,
    )


def test_current_version_is_the_latest_fully_signed_one():
    agreement = _agreement()
    assert agreement.current_version is None
    first = _version(agreement, 1, signed=True)
    _version(agreement, 2, signed=False)
    assert agreement.current_version == first
    assert agreement.latest_version is not None and agreement.latest_version.number == 2
    assert str(agreement.latest_version).endswith("avenant n° 1")


def test_the_database_refuses_a_budget_smaller_than_the_aid():
    agreement = _agreement()
    version = _version(agreement, 1, signed=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementVersion.objects.filter(pk=version.pk).update(eligible_budget=Decimal("100"))
