"""Reviewer-application affinity from texts, sectors and bids.

Text similarity is a local TF-IDF (the vocabulary and document frequencies come from the texts
being compared, nothing is downloaded or trained), built for short French and English texts:

* lower-casing and accent folding (Unicode NFKD, combining marks dropped; ``œ``, ``æ``, ``ß``
  spelled out), so ``Économie numérique`` and ``economie numerique`` are the same words;
* tokens are runs of at least two letters (digits and one-letter words carry no topic);
* a small French + English stop-word list;
* optional plural folding, deliberately crude: ``-eaux`` -> ``-eau`` (``réseaux``), ``-aux``
  -> ``-al`` (``régionaux`` -> ``regional``), otherwise a final ``s`` or ``x`` is dropped from
  words of four letters or more (but not ``-ss``: ``business``). It is applied to every text alike, so an over-stripped word
  still matches itself;
* sublinear term frequency ``1 + ln(tf)``, smoothed inverse document frequency
  ``ln((1 + N) / (1 + df)) + 1`` over the N texts on both sides, rows normalised to unit length.

The cosine similarity of two such vectors lies in [0, 1]; a text with no token (empty, only stop
words) has similarity 0 with everything.

:func:`combine_affinity` turns the similarity, a sector match and the reviewers' bids into the
affinity matrix :func:`pepiniere.engine.assignment.assign_reviewers` takes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["AffinityWeights", "combine_affinity", "tfidf_similarity", "tokenize"]

_TOKEN = re.compile(r"[a-z]{2,}")
_SPELLED_OUT = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})

# Accent-folded, lower-case. Short on purpose: TF-IDF already discounts common words; these only
# remove the ones frequent enough to make unrelated texts look alike.
_FRENCH_STOP_WORDS = """
    au aux avec ce ces cet cette dans de des du elle en est et il ils la le les leur leurs lui
    ma mais me meme mes ne nos notre nous on ou par pas pour qu que qui sa se ses son sont sur
    ta te tes ton tu un une vos votre vous sans sous entre plus tres tout tous toute toutes
    comme ainsi afin etre avoir fait ont sera cela ceci dont
"""
_ENGLISH_STOP_WORDS = """
    an and are as at be been by for from has have in into is it its of on or our that the
    their them they this to was we were which will with within without you your not no can
    also more most other such than these those about over
"""
STOP_WORDS = frozenset(_FRENCH_STOP_WORDS.split()) | frozenset(_ENGLISH_STOP_WORDS.split())


def tokenize(text: str, *, fold_plurals: bool = True) -> list[str]:
    """Tokens of ``text`` as the similarity sees them (see the module docstring)."""
    folded = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT).lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    tokens = [t for t in _TOKEN.findall(folded) if t not in STOP_WORDS]
    if fold_plurals:
        tokens = [_singular(t) for t in tokens]
    return tokens


def _singular(word: str) -> str:
    if word.endswith("eaux"):
        return word[:-1]
    if len(word) >= 5 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) >= 4 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def tfidf_similarity(
    left_texts: Sequence[str], right_texts: Sequence[str], *, fold_plurals: bool = True
) -> NDArray[np.float64]:
    """Cosine similarity of TF-IDF vectors, ``len(left_texts) x len(right_texts)``, in [0, 1].

    Typically applications (title + summary) on the left and reviewers (declared expertise,
    publications) on the right. Deterministic; see the module docstring for the model.
    """
    documents = [tokenize(t, fold_plurals=fold_plurals) for t in (*left_texts, *right_texts)]
    vocabulary: dict[str, int] = {}
    for tokens in documents:
        for token in tokens:
            vocabulary.setdefault(token, len(vocabulary))
    n_left, n_right = len(left_texts), len(right_texts)
    if not vocabulary:
        return np.zeros((n_left, n_right))

    rows: list[int] = []
    cols: list[int] = []
    counts: list[int] = []
    for row, tokens in enumerate(documents):
        for token, count in Counter(tokens).items():
            rows.append(row)
            cols.append(vocabulary[token])
            counts.append(count)
    tf = sp.csr_array(
        (1.0 + np.log(np.asarray(counts, dtype=np.float64)), (rows, cols)),
        shape=(len(documents), len(vocabulary)),
    )
    document_frequency = np.bincount(cols, minlength=len(vocabulary))
    idf = np.log((1.0 + len(documents)) / (1.0 + document_frequency)) + 1.0
    weighted = sp.csr_array(tf @ sp.diags_array(idf))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0  # token-less texts stay zero vectors
    unit = sp.csr_array(sp.diags_array(1.0 / norms) @ weighted)
    similarity: NDArray[np.float64] = (unit[:n_left] @ unit[n_left:].T).toarray()
    return np.clip(similarity, 0.0, 1.0, out=similarity)


@dataclass(frozen=True)
class AffinityWeights:
    """Weights of :func:`combine_affinity`.

    With the defaults a perfect text match (1.0) is worth two sector matches, and a "want" bid is
    worth as much as a sector match: a reviewer's own wish counts, but does not outweigh a much
    better topical fit.
    """

    text: float = 1.0
    sector: float = 0.5
    want: float = 0.5


BIDS = ("want", "can", "cannot")


def combine_affinity(
    text_similarity: Any,
    sector_match: Any,
    bids: Mapping[tuple[int, int], str] | Any | None = None,
    *,
    weights: AffinityWeights = AffinityWeights(),  # noqa: B008 - frozen dataclass, never mutated
) -> NDArray[np.float64]:
    """Affinity = ``weights.text * text_similarity + weights.sector * sector_match
    + weights.want * [bid is "want"]``, and NaN (not a candidate) where the bid is "cannot".

    ``text_similarity`` and ``sector_match`` are ``(n_applications, n_reviewers)`` arrays; the
    sector match is boolean or a share in [0, 1] (e.g. the fraction of the application's sectors
    the reviewer covers). ``bids`` is either a mapping ``{(application, reviewer): bid}`` or an
    array of the same shape whose cells are a bid or ``None`` / ``""`` (no bid). A bid is "want"
    (adds ``weights.want``), "can" (adds nothing: the same as no bid) or "cannot" (excluded).
    Conflicts of interest are not bids: pass them to ``assign_reviewers(conflicts=...)``.
    """
    similarity = np.asarray(text_similarity, dtype=np.float64)
    sector = np.asarray(sector_match, dtype=np.float64)
    if similarity.ndim != 2:
        raise ValueError(f"text_similarity must be 2-D, got shape {similarity.shape}.")
    if sector.shape != similarity.shape:
        raise ValueError(
            f"sector_match has shape {sector.shape}, text_similarity {similarity.shape}."
        )
    for name, matrix in (("text_similarity", similarity), ("sector_match", sector)):
        if not np.all(np.isfinite(matrix)):
            raise ValueError(f"{name} must be finite.")
    affinity = weights.text * similarity + weights.sector * sector
    if bids is None:
        return affinity

    want = np.zeros(similarity.shape, dtype=bool)
    cannot = np.zeros(similarity.shape, dtype=bool)
    for (i, j), bid in _bid_cells(bids, similarity.shape):
        if bid == "want":
            want[i, j] = True
        elif bid == "cannot":
            cannot[i, j] = True
        elif bid != "can":
            raise ValueError(f"bid for ({i}, {j}) must be one of {BIDS}, got {bid!r}.")
    affinity += weights.want * want
    affinity[cannot] = math.nan
    return affinity


def _bid_cells(bids: Any, shape: tuple[int, ...]) -> list[tuple[tuple[int, int], str]]:
    if isinstance(bids, Mapping):
        cells = []
        for (i, j), bid in bids.items():
            if not (0 <= i < shape[0] and 0 <= j < shape[1]):
                raise ValueError(f"bid ({i}, {j}) is out of range for shape {shape}.")
            cells.append(((int(i), int(j)), bid))
        return cells
    array = np.asarray(bids, dtype=object)
    if array.shape != shape:
        raise ValueError(f"bids has shape {array.shape}, text_similarity {shape}.")
    return [
        ((int(i), int(j)), array[i, j])
        for i, j in zip(*np.nonzero((array != None) & (array != "")), strict=True)  # noqa: E711
    ]
