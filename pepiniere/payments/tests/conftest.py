from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def _bank_accounts(monkeypatch):
    """Every organisation has a validated bank account unless a test adds its id to the set this
    fixture returns (organisations.selectors.payable_bank_accounts decides in production)."""
    held: set[int] = set()

    def payable(organisation_ids):
        return {
            pk: SimpleNamespace(iban="FR7630006000011234567890189", bic="AGRIFRPPXXX", holder="")
            for pk in organisation_ids
            if pk not in held
        }

    monkeypatch.setattr("pepiniere.payments.runs.payable_accounts", payable)
    return held
