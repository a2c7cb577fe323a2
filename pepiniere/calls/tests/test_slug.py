import pytest

from pepiniere.calls.models import SLUG_LENGTH, call_slug


@pytest.mark.parametrize(
    ("title", "year", "expected"),
    [
        ("Numérique 2027", 2027, "numerique-2027"),
        ("Économie collaborative", 2016, "economie-collaborative-2016"),
        (
            "Consolidation financière des jeunes entreprises 2015",
            2015,
            "consolidation-financiere-des-jeunes-2015",
        ),
    ],
)
def test_a_call_address_ends_with_its_year_once_and_fits_the_column(title, year, expected):
    assert call_slug(title, year) == expected


def test_a_single_word_longer_than_the_column_is_cut_but_keeps_the_year():
    slug = call_slug("Innovation" * 10, 2020)
    assert len(slug) == SLUG_LENGTH and slug.endswith("-2020")
