import pytest
from django.core.exceptions import ValidationError

from pepiniere.demo.identifiers import luhn_complete
from pepiniere.organisations.identifiers import clean_naf, clean_rna, clean_siren, clean_siret


def test_valid_siret_is_normalised_from_what_people_paste():
    # Spaces and a trailing apostrophe, as in published open-data files.
    assert clean_siret("356 000 000 00048'") == "35600000000048"


def test_siret_with_wrong_length_says_how_many_digits_were_typed():
    with pytest.raises(ValidationError) as error:
        clean_siret("1234567890123")
    assert "14 chiffres (13 saisis)" in error.value.messages[0]


def test_siret_with_bad_luhn_key_names_the_rule():
    siren = luhn_complete("99123456")
    valid = luhn_complete(siren + "0001")
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    assert clean_siret(valid) == valid
    with pytest.raises(ValidationError) as error:
        clean_siret(wrong)
    assert "algorithme de Luhn" in error.value.messages[0]
    assert "NIC" in error.value.messages[0]


def test_siret_whose_siren_part_is_wrong_says_so():
    with pytest.raises(ValidationError) as error:
        clean_siret("12345678900017")
    assert "9 premiers chiffres" in error.value.messages[0]


def test_la_poste_establishments_follow_their_own_rule():
    assert clean_siret("35600000000048") == "35600000000048"
    with pytest.raises(ValidationError) as error:
        clean_siret("35600000000049")
    assert "La Poste" in error.value.messages[0]


def test_siren_letters_are_refused():
    with pytest.raises(ValidationError) as error:
        clean_siren("73282A932")
    assert "chiffres" in error.value.messages[0]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("332001234", "commence par la lettre W"), ("W33200123", "9 chiffres (8 chiffres saisis)")],
)
def test_rna_errors_explain_the_format(value, fragment):
    with pytest.raises(ValidationError) as error:
        clean_rna(value)
    assert fragment in error.value.messages[0]


def test_rna_is_upper_cased():
    assert clean_rna("w332001234") == "W332001234"


def test_naf_code_accepts_the_compact_form():
    assert clean_naf("6201z") == "62.01Z"
    with pytest.raises(ValidationError):
        clean_naf("6201")
