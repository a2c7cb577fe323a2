"""``select(rule="max-score")``: the exact score-maximising selection and its tie-break.

Nothing here is public; the model and its solves are in :mod:`~pepiniere.engine._selection_model`.
"""

from __future__ import annotations

import numpy as np

from pepiniere.engine._selection_model import Instance, Model, cent_room

TIE_TOLERANCE = 1e-9  # relative: selections whose objectives differ by less are treated as tied
TIE_DEPTH = 25  # free binaries ordered exactly by the tie-break (2^-25 is well above the gap)
DECAY = 10.0  # the share tie-break: weights fall by e^-10 from the first item to the last


def max_score(inst: Instance, model: Model) -> np.ndarray | None:
    """Whole-cent amounts maximising sum(score x funded share), then the rank tie-break;
    None when no selection meets the rows.

    Stage 1: exact MILP for the best objective ``w``. Stage 2, among the selections of objective
    ``>= w - TIE_TOLERANCE * max(1, |w|)`` ("tied"): maximise ``sum_k 2^-k z_k`` over the
    binaries still free, k = their position in rank order, so the best-ranked proposal is funded
    if some tied selection funds it, then the next... (exactly lexicographic for the first
    ``TIE_DEPTH`` of them, which HiGHS's 1e-9 gap resolves; after that, still decreasing), and
    with a smaller weight larger shares for better-ranked partial proposals. Stage 1's reduced
    costs fix every binary no tied selection can move, so stage 2 is a small MILP over all
    tied selections, not a sample of them; it starts from stage 1's answer, which is tied.
    """
    score_cost = model.score_objective()
    sol, info = model.optimise(score_cost)
    if sol is None or info is None:
        return None
    best = sol.value
    tie = TIE_TOLERANCE * max(1.0, abs(best))
    fixed = info.fixing(info.value - best + tie)
    free = np.flatnonzero(info.free & ~fixed)
    order = np.zeros(model.num_col)
    order[free] = 2.0 ** -np.minimum(np.arange(len(free)), TIE_DEPTH)
    shares = model.rank_cents_objective(DECAY)
    order += shares * (2.0 ** -(TIE_DEPTH + 2) / max(float(np.abs(shares).sum()), 1e-12))
    second = model.solve_restricted(
        order, fixed, info.z_value, (score_cost, best - tie), start=sol.columns
    )
    chosen = second.columns if second is not None else sol.columns
    amounts = model.cents(chosen)
    if amounts is None:
        amounts = model.cents(sol.columns)
    if amounts is None:
        raise RuntimeError("selection: could not round the max-score selection to whole cents")
    return top_up(inst, amounts)


def top_up(inst: Instance, amounts: np.ndarray) -> np.ndarray:
    """Give the cents that rounding left unused back to partially funded items, best score per
    cent first (then rank): only le rows can stop it, and ge rows only gain."""
    funded = np.flatnonzero((amounts > 0) & inst.partial & (amounts < inst.requested))
    if not len(funded):
        return amounts
    amounts = amounts.copy()
    totals = inst.totals(amounts)
    ratio = inst.score[funded] / inst.requested[funded]
    for j in funded[np.lexsort((funded, -ratio))].tolist():
        if inst.score[j] <= 0:
            continue
        room = cent_room(inst, amounts, totals, j, up=True)
        if room > 0:
            amounts[j] += room
            for q in inst.item_rows[j]:
                if not inst.rows[q].is_count:
                    totals[q] += room
    return amounts
