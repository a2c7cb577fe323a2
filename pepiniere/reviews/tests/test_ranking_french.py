"""The ranking page words the calibration's warnings in French (the engine's are English)."""

from pepiniere.engine.calibration import calibrate
from pepiniere.reviews.ranking import notice_text


def _french(reviews, names=None):
    calibration = calibrate(reviews, scale=(0.0, 5.0))
    return [notice_text(n, names or {}) for n in calibration.notices], calibration.warnings


def test_one_review_per_application_is_explained_in_french():
    french, english = _french([(1, 10, 3.0), (2, 11, 4.0)])
    assert any(w.startswith("No application has two reviews") for w in english)
    assert any(w.startswith("Aucun dossier n'a deux évaluations") for w in french)
    assert any("3,46" in w or "1,44" in w or "," in w for w in french)
    assert not any("review" in w for w in french)


def test_isolated_reviewers_are_named():
    reviews = [(1, 10, 3.0), (1, 11, 4.0), (2, 10, 2.0), (2, 11, 3.0), (3, 12, 4.0), (3, 13, 4.5)]
    french, _english = _french(reviews, {12: "Hugo Sévère", 13: "Inès Stricte"})
    text = " ".join(french)
    assert "groupes sans expert·e en commun" in text
    assert "No" not in text and "reviewer" not in text
