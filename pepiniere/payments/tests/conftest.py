from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def _bank_accounts(monkeypatch):
    """Every organisation has a validated bank account unless a test says otherwise (the sepa
    helper's organisations.selectors.payable_bank_account decides in production)."""
    held: set[int] = set()

    def payable(organisation):
        if organisation.pk in held:
            return None
        return SimpleNamespace(iban="FR7630006000011234567890189", bic="AGRIFRPPXXX", holder="")

    monkeypatch.setattr("pepiniere.payments.runs.payable_account", payable)
    return held
