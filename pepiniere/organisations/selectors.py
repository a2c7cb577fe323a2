from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet

from pepiniere.lib.extension import ExtensionPoint
from pepiniere.organisations.models import (
    BankAccount,
    BankAccountStatus,
    JoinRequest,
    JoinRequestStatus,
    Organisation,
)

# The organisations a staff member follows for their funder are known to a later stage
# (applications/: those that applied to the officer's funder; registered at ready()). Each provider
# answers a queryset of organisation ids, or None when the person follows none.
followed_organisations: ExtensionPoint[Callable[[Any], QuerySet[Any] | None]] = ExtensionPoint(
    "organisations followed by staff"
)


def organisations_followed_by(user: Any) -> list[QuerySet[Any]]:
    """The querysets of organisation ids the staff member follows (one per provider)."""
    return [ids for provider in followed_organisations if (ids := provider(user)) is not None]


def pending_join_requests_for(
    user: Any, *, organisation: Organisation | None = None
) -> QuerySet[JoinRequest]:
    """Pending requests this person may decide: those of their organisations, and, for an officer,
    those of organisations that submitted an application to their funder."""
    visible = Q(organisation__memberships__user=user)
    for followed in organisations_followed_by(user):
        visible |= Q(organisation_id__in=followed)
    requests = JoinRequest.objects.filter(visible, status=JoinRequestStatus.PENDING).exclude(
        user=user
    )
    if organisation is not None:
        requests = requests.filter(organisation=organisation)
    return requests.select_related("organisation", "user").order_by("created_at", "id").distinct()


# Which funders support which organisations is known to a later stage (grants/: an award share
# for one of the organisation's applications; registered at ready()). Each provider answers a
# queryset with the fields `supported_organisation` and `supporting_funder`, one row per pair.
supporting_funders: ExtensionPoint[Callable[[], QuerySet[Any]]] = ExtensionPoint(
    "funders supporting organisations"
)


def funders_supporting(organisation: Organisation) -> set[int]:
    """Ids of the funders that support the organisation (an award from them)."""
    return {
        funder
        for provider in supporting_funders
        for funder in provider()
        .filter(supported_organisation=organisation.pk)
        .values_list("supporting_funder", flat=True)
    }


def organisations_supported_by(funder_ids: set[int]) -> Q:
    """A condition on organisations: supported by one of these funders."""
    condition = Q(pk__in=[])
    for provider in supporting_funders:
        condition |= Q(
            pk__in=provider()
            .filter(supporting_funder__in=funder_ids)
            .values("supported_organisation")
        )
    return condition


def payable_bank_account(organisation: Organisation) -> BankAccount | None:
    """The validated bank account payments go to; None when there is none, or when a change is
    waiting for an officer's validation (payments are held until then: a forged change of bank
    details is the classic fraud)."""
    accounts = payable_bank_accounts([organisation.pk])
    return accounts.get(organisation.pk)


def payable_bank_accounts(organisation_ids: Iterable[int]) -> dict[int, BankAccount]:
    """`payable_bank_account` for many organisations in one query: {organisation id: account},
    leaving out those without a payable account."""
    accounts = _live_bank_accounts(organisation_ids).defer("rib")
    return _payable((account.organisation_id, account.status, account) for account in accounts)


class BankDetails(NamedTuple):
    holder: str
    iban: str
    bic: str


def payable_bank_details(organisation_ids: Iterable[int]) -> dict[int, BankDetails]:
    """`payable_bank_accounts` reading only what a payment order copies, without a model
    instance per account (a payment run reads thousands): {organisation id: details}."""
    rows = _live_bank_accounts(organisation_ids).values_list(
        "organisation_id", "status", "holder", "iban", "bic"
    )
    return _payable((org, status, BankDetails(*details)) for org, status, *details in rows)


def _live_bank_accounts(organisation_ids: Iterable[int]) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(
        organisation_id__in=list(organisation_ids),
        status__in=[BankAccountStatus.PENDING, BankAccountStatus.VALIDATED],
    )


def _payable[T](rows: Iterable[tuple[int, str, T]]) -> dict[int, T]:
    """The validated account of each organisation, none for those with a change pending."""
    accounts: dict[int, T] = {}
    held: set[int] = set()
    for organisation_id, status, account in rows:
        if status == BankAccountStatus.PENDING:
            held.add(organisation_id)
        else:
            accounts[organisation_id] = account
    return {pk: account for pk, account in accounts.items() if pk not in held}


def bank_accounts_to_validate(user: Any) -> QuerySet[BankAccount]:
    """The changes of bank details waiting for this officer: pending, of organisations their
    funders support, not submitted by themselves."""
    from pepiniere.accounts.models import Role

    funders = user.funder_ids(Role.OFFICER)
    return (
        BankAccount.objects.filter(status=BankAccountStatus.PENDING)
        .filter(organisation__in=Organisation.objects.filter(organisations_supported_by(funders)))
        .exclude(submitted_by=user)
        .select_related("organisation", "submitted_by")
        .order_by("submitted_at", "id")
    )
