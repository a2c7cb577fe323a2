"""Affinity from texts, sectors and bids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pepiniere.engine.affinity import (
    AffinityWeights,
    combine_affinity,
    tfidf_similarity,
    tokenize,
)

APPLICATIONS = [
    "Plateforme d'économie collaborative pour le covoiturage en Gironde",
    "Élevage bovin biologique et circuits courts dans les Landes",
    "Logiciel libre de gestion des données ouvertes pour les collectivités",
]
REVIEWERS = [
    "economie collaborative, plateformes de covoiturage, mobilite partagee",
    "agriculture biologique, elevage, circuits courts alimentaires",
    "open data, donnees ouvertes, logiciels libres, collectivites territoriales",
]


def test_shape_and_range() -> None:
    similarity = tfidf_similarity(APPLICATIONS, REVIEWERS[:2])
    assert similarity.shape == (3, 2)
    assert np.all((similarity >= 0) & (similarity <= 1))


def test_each_application_is_closest_to_its_own_expert() -> None:
    similarity = tfidf_similarity(APPLICATIONS, REVIEWERS)
    assert similarity.argmax(axis=1).tolist() == [0, 1, 2]
    # and clearly so: the related pair beats every unrelated pair of the same application
    for i in range(3):
        others = np.delete(similarity[i], i)
        assert similarity[i, i] > 2 * others.max()


def test_accents_case_and_ligatures_do_not_matter() -> None:
    similarity = tfidf_similarity(
        ["Économie NUMÉRIQUE, œuvres"], ["economie numerique oeuvres", "viticulture"]
    )
    assert similarity[0, 0] == pytest.approx(1.0)
    assert similarity[0, 1] == 0.0


def test_french_plurals_match_singulars() -> None:
    similarity = tfidf_similarity(["réseaux sociaux régionaux"], ["réseau social régional"])
    assert similarity[0, 0] == pytest.approx(1.0)
    unfolded = tfidf_similarity(
        ["réseaux sociaux régionaux"], ["réseau social régional"], fold_plurals=False
    )
    assert unfolded[0, 0] == 0.0


def test_stop_words_and_short_tokens_do_not_make_texts_similar() -> None:
    similarity = tfidf_similarity(["le projet de la ville"], ["la ville de Pau"])
    only_stop_words = tfidf_similarity(["le la les de des et a 2024"], ["le la les de et"])
    assert 0 < similarity[0, 0] < 1
    assert only_stop_words[0, 0] == 0.0
    assert tokenize("le la les de des et a 2024 x") == []


def test_empty_texts_give_zero_similarity() -> None:
    similarity = tfidf_similarity(["", "mobilité"], ["mobilité", "   "])
    assert similarity.tolist() == [[0.0, 0.0], [pytest.approx(1.0), 0.0]]
    assert tfidf_similarity([], ["x"]).shape == (0, 1)
    assert tfidf_similarity([""], [""]).tolist() == [[0.0]]


def test_same_input_same_output() -> None:
    first = tfidf_similarity(APPLICATIONS, REVIEWERS)
    assert np.array_equal(first, tfidf_similarity(APPLICATIONS, REVIEWERS))


def test_combination_is_the_documented_linear_form() -> None:
    text = np.array([[0.8, 0.1], [0.0, 0.4]])
    sector = np.array([[True, False], [False, True]])
    bids = {(0, 1): "want", (1, 0): "cannot", (1, 1): "can"}
    weights = AffinityWeights(text=2.0, sector=0.25, want=1.0)
    affinity = combine_affinity(text, sector, bids, weights=weights)
    assert affinity[0, 0] == pytest.approx(2 * 0.8 + 0.25)
    assert affinity[0, 1] == pytest.approx(2 * 0.1 + 1.0)
    assert math.isnan(affinity[1, 0])
    assert affinity[1, 1] == pytest.approx(2 * 0.4 + 0.25)


def test_bids_as_an_array_equal_bids_as_a_mapping() -> None:
    text = np.full((2, 2), 0.5)
    sector = np.zeros((2, 2))
    as_array = combine_affinity(text, sector, [["want", None], ["", "cannot"]])
    as_mapping = combine_affinity(text, sector, {(0, 0): "want", (1, 1): "cannot"})
    assert np.array_equal(as_array, as_mapping, equal_nan=True)
    assert np.array_equal(combine_affinity(text, sector), text)


@pytest.mark.parametrize(
    ("sector", "bids", "match"),
    [
        (np.zeros((2, 3)), None, "sector_match has shape"),
        (np.zeros((2, 2)), {(0, 0): "maybe"}, "must be one of"),
        (np.zeros((2, 2)), {(2, 0): "want"}, "out of range"),
        (np.zeros((2, 2)), [["want"]], "bids has shape"),
        (np.full((2, 2), np.nan), None, "sector_match must be finite"),
    ],
)
def test_combination_input_is_validated(sector: np.ndarray, bids: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        combine_affinity(np.zeros((2, 2)), sector, bids)
