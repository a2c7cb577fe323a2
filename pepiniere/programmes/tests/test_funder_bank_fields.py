"""A funder's payment fields, as the admin checks them: SIRET, IBAN and BIC written as banks
exchange them, the BIC derived from the IBAN when the bank is known."""

import pytest
from django.core.exceptions import ValidationError

from pepiniere.programmes.models import Funder, FunderKind


def _funder(**fields):
    return Funder(name="Région Aquitaine", slug="region", kind=FunderKind.REGION, **fields)


def test_the_iban_is_compacted_and_the_bic_derived():
    funder = _funder(siret="992 914 176 00019", iban="fr76 3000 1000 6400 0000 1234 559")
    funder.clean()
    assert (funder.siret, funder.iban, funder.bic) == (
        "99291417600019",
        "FR7630001000640000001234559",
        "BDFEFRPP",
    )


def test_wrong_fields_are_refused_with_their_reason_on_each_field():
    funder = _funder(siret="99291417600018", iban="FR76 3000 1000 6400 0000 1234 558", bic="XX")
    with pytest.raises(ValidationError) as refused:
        funder.clean()
    errors = refused.value.message_dict
    assert "clé de contrôle" in errors["siret"][0]
    assert "chiffres de contrôle de l'IBAN" in errors["iban"][0]
    assert "8 ou 11 caractères" in errors["bic"][0]


def test_nothing_is_required_until_a_payment_file_is_made():
    _funder().clean()
