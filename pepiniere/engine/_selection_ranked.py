"""The rules that walk the proposals in rank order: "greedy", "greedy-stop" and "ranked".

Nothing here is public: :mod:`pepiniere.engine.selection` calls :func:`greedy` and
:class:`RankedSearch`, whose solves go through :class:`~pepiniere.engine._selection_model.Model`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pepiniere.engine._selection_model import GE, LE, Bounds, Instance, Model, Solution


@dataclass
class Decision:
    """What a sequential rule did with one item, and why (rows are indexes into ``inst.rows``)."""

    amount: int
    cause: str  # "funded" | "budget" | "cap" | "minimum" | "not_reached"
    rows: tuple[int, ...] = ()  # rows that blocked it or limited its amount; pending minimums
    room: int = 0  # the budget left at its turn
    by_minimum: bool = False  # funded below what the le rows allow, to keep minimums reachable


def fit(inst: Instance, used: list[int], i: int) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """Largest amount item ``i`` can take under the le rows, given the ``used`` row totals.

    Returns ``(amount, blocking, limiting)``: ``amount`` is 0 when it cannot take even its
    minimum; ``blocking`` are the le rows that leave less than its minimum; ``limiting`` the rows
    that leave less than it requested.
    """
    requested = int(inst.requested[i])
    minimum = int(inst.minimum[i])
    amount = requested
    blocking: list[int] = []
    limiting: list[int] = []
    rows = inst.rows
    for r in inst.item_rows[i]:
        row = rows[r]
        if row.sense != LE:
            continue
        if row.is_count:
            if used[r] + 1 > row.rhs:
                blocking.append(r)
        else:
            room = row.rhs - used[r]
            if room < requested:
                limiting.append(r)
                amount = min(amount, room)
                if room < minimum:
                    blocking.append(r)
    if blocking:
        return 0, tuple(blocking), tuple(limiting)
    return amount, (), tuple(r for r in limiting if rows[r].rhs - used[r] == amount)


def take(inst: Instance, used: list[int], i: int, amount: int) -> None:
    for r in inst.item_rows[i]:
        used[r] += 1 if inst.rows[r].is_count else amount


def greedy(inst: Instance, stop: bool) -> list[Decision]:
    """Rank order; each item gets the most the budget and le rows allow, if that reaches its
    minimum (its full request when partial funding is not allowed). With ``stop`` ("greedy-stop")
    the pass ends at the first item the *budget* cannot fund; items blocked only by a cap are
    skipped, as in "greedy". ge rows are not looked at: the caller reports those left unmet."""
    used = [0] * len(inst.rows)
    out: list[Decision] = []
    stopped = False
    for i in range(inst.n):
        room = inst.budget - used[0]
        if stopped:
            out.append(Decision(0, "not_reached", (), room))
            continue
        amount, blocking, limiting = fit(inst, used, i)
        if amount == 0:
            cause = "budget" if 0 in blocking else "cap"
            out.append(Decision(0, cause, blocking, room))
            stopped = stop and cause == "budget"
            continue
        take(inst, used, i, amount)
        out.append(Decision(amount, "funded", limiting, room))
    return out


class Certificate:
    """A Lagrangian feasibility test: multipliers ``lam >= 0`` on the rows (le form).

    For any completion ``x`` of a state (decided items fixed, later items free) that meets every
    row, ``sum_r lam_r (sense_r g_r(x) - sense_r rhs_r) <= 0``. Split item by item, each later
    item contributes at least ``tau_j`` = its smallest term over {0} U [minimum, requested]; so
    ``sum_{later} tau_j + (term of i) > lam . b`` (``b`` = remaining right-hand sides) proves that
    no completion exists. Valid for every ``lam >= 0``, whatever produced it (LP duals, a Farkas
    ray): the LP only makes it strong. Suffix sums make the test O(rows).
    """

    def __init__(self, search: RankedSearch, lam: np.ndarray) -> None:
        inst = search.inst
        self.lam = lam
        signed = lam * search.sense
        self.alpha = np.where(search.count_mask, 0.0, signed) @ search.members
        self.gamma = np.where(search.count_mask, signed, 0.0) @ search.members
        low = self.alpha * inst.minimum + self.gamma
        high = self.alpha * inst.requested + self.gamma
        self.tau = np.minimum(0.0, np.minimum(low, high))
        self.suffix = np.append(np.cumsum(self.tau[::-1])[::-1], 0.0)
        self.sense, self.rhs = search.sense, search.rhs

    def slack(self, i: int, used: list[int], amount_low: int, amount_high: int) -> float:
        """Largest ``E`` over amounts of ``i`` in [low, high]; negative: none is feasible.
        Includes a safety margin far above float64 rounding."""
        b = self.sense * (self.rhs - np.array(used, dtype=np.float64))
        lam_b = float(self.lam @ b)
        rest = float(self.suffix[i + 1])
        a_i, g_i = float(self.alpha[i]), float(self.gamma[i])
        margin = 1e-7 * (float(np.abs(self.lam * b).sum()) + abs(rest) + abs(g_i))
        margin += 1e-7 * abs(a_i) * amount_high + 1.0
        worst = amount_low if a_i > 0 else amount_high
        return lam_b - rest - g_i - a_i * worst + margin


SWAP_LIMIT = 8  # swaps one repair may chain before asking the solver
SWAP_TRIES = 4  # witness items (worst-ranked first) a swap tries to replace
# A question is asked on the domain the Lagrangian bound restricts when that leaves at most
# max(FREE_LIMIT, FREE_SHARE x the items after it) items free; otherwise on the full model, whose
# warm LP (a few milliseconds on 10 000 items) also renews the multipliers.
FREE_LIMIT = 400
FREE_SHARE = 0.25

# What the cheap proofs say about an item outside the witness (see RankedSearch._verdict).
_ACCEPT = "accept"  # fundable at its upper amount: the witness was made to fund it so
_FUNDABLE = "fundable"  # fundable at its minimum (the witness funds it so), upper unknown
_REJECT = "reject"  # no amount is feasible
_OPEN = "open"  # unknown: only a solver can tell; most such items are rejected


class RankedSearch:
    """The lexicographic optimum in rank order over every feasible selection ("ranked").

    Definition (feasible = budget, every le row and every ge row at the levels
    :func:`~pepiniere.engine._selection_model.relax_minimums` leaves; amounts in whole cents): in
    rank order, each item takes the first of its candidate amounts that some feasible selection
    allows, given the amounts already decided. Candidates: ``u``, the most the budget and caps
    leave it at its turn (its full request when they allow it); then its minimum; then any
    amount in between, largest first; else nothing. Without partial funding the only candidate
    is the full request: "fund the best-ranked proposal if some feasible selection contains it,
    then the next...". Under caps alone ``u`` is always feasible, so this is exactly "greedy".

    Algorithm: one pass in rank order; each candidate is settled by a *proof*:

    1. ``u`` below the minimum: no feasible selection funds it.
    2. Witness: ``W`` is a feasible completion of the current decisions in whole cents (a solver
       answer topped up in rank order with what the le rows still allow, so it resembles what
       the pass funds next). ``prefix + (i at a) + W after i`` checked row by row proves ``a``.
    3. Lagrangian bound (:class:`Certificate`, multipliers from the last cheapest-completion LP)
       proves ``a``, or the whole range ``[minimum, u]``, infeasible, in O(rows).
    4. Repair proves ``a`` by editing ``W``: drop or shrink its worst-ranked items in the
       over-full rows while every ge row still holds, or swap one for a later item outside ``W``
       that keeps the ge rows and breaks nothing.
    5. Items that none of these settles are mostly rejected, and a rejection does not change
       what is feasible: if no feasible completion funds ``i``, fixing ``x_i = 0`` removes
       nothing. So such items are *held* (tentatively rejected, the pass going on with the same
       decisions) until the next item that is proven fundable; then one HiGHS question settles
       all of them: "is there a feasible completion funding at least one held item?" (see
       :meth:`_settle`). No: every rejection is proven at once. Yes: the answer funds some held
       item, whose earlier held items a bisection of such questions proves infeasible or finds
       the first fundable one among them; the pass resumes there, the answer as its witness.
       Most held items are rejected for want of money the minimums need, which HiGHS proves
       at the root of a MILP of a few hundred binaries: one such question costs a few
       milliseconds, however many items it settles.
    6. An amount still unsettled is asked to HiGHS alone: "is there a completion with ``i`` at
       exactly ``a``?", over a domain the Lagrangian bound restricts without losing any feasible
       completion (see :meth:`_restrict`), or on the full model with reduced-cost fixing. The
       in-between amounts are needed only when the minimum fails and ``i`` is in a minimum on
       cents that still needs money (otherwise a smaller amount is never harder); then a binary
       search on "is some amount in [t, u - 1] feasible?", which is monotone in ``t``.

    Every candidate is proven feasible by an explicit whole-cent selection or proven infeasible
    (1, 3, or an exact solve), in the definition's order: the result is exactly as defined.
    Cost: O(rows) per item plus the solver calls of steps 5 and 6, near the edge of
    feasibility. Those are integer feasibility questions, NP-hard in general; step 5 makes their
    number grow with the runs of rejected items rather than with the items.
    """

    def __init__(self, inst: Instance, model: Model, witness: np.ndarray) -> None:
        self.inst = inst
        self.model = model
        m = len(inst.rows)
        self.sense = np.array([row.sense for row in inst.rows], dtype=np.float64)
        self.rhs = np.array([row.rhs for row in inst.rows], dtype=np.float64)
        self.is_count = [row.is_count for row in inst.rows]
        self.ge_rows = [r for r in range(m) if inst.rows[r].sense == GE]
        members = sparse.lil_matrix((m, inst.n))
        for r, row in enumerate(inst.rows):
            members[r, row.members] = 1.0
        self.members = members.tocsr()
        self.member = self.members.toarray() > 0
        self.count_mask = np.array(self.is_count)
        self.used = [0] * m
        self.primary: Certificate | None = None  # from the last cheapest-completion LP
        self.cheapest_after = np.minimum.accumulate(inst.minimum[::-1])[::-1]
        self._set_witness(self._fill(witness, 0))
        lp = model.solve_lp(model.cost_objective())
        if lp is not None:
            self._set_lagrangian(lp[3])

    # -- witness bookkeeping --------------------------------------------------------------------
    def _set_witness(self, amounts: np.ndarray) -> None:
        self.w = amounts.astype(np.int64).copy()
        self.wtot = self.inst.totals(self.w)

    def _drop_from_witness(self, j: int, amount: int) -> None:
        """Lower W_j by ``amount`` cents (to 0 when ``amount == W_j``)."""
        old = int(self.w[j])
        new = old - amount
        for r in self.inst.item_rows[j]:
            if self.is_count[r]:
                self.wtot[r] -= (old > 0) - (new > 0)
            else:
                self.wtot[r] -= amount
        self.w[j] = new

    def _add_to_witness(self, k: int, amount: int) -> None:
        for r in self.inst.item_rows[k]:
            self.wtot[r] += 1 if self.is_count[r] else amount
        self.w[k] = amount

    def _set_lagrangian(self, duals: np.ndarray) -> None:
        """Multipliers from a cheapest-completion LP (solved as max of -cost)."""
        m = len(self.inst.rows)
        lam = np.maximum(0.0, self.sense * duals[:m])
        lam[self.count_mask] *= self.model.scale  # count rows are in items, not scaled money
        lam[0] += 1.0  # the objective itself is the budget row's left-hand side
        self.primary = Certificate(self, lam)

    # -- the pass -------------------------------------------------------------------------------
    def run(self) -> list[Decision]:
        """The decisions, item by item in rank order (see the class doc). Items the cheap proofs
        leave open are held; the held items are settled together before the next item is funded
        (or at the end), and the pass steps back to the first of them that can be funded."""
        inst, model = self.inst, self.model
        out: list[Decision] = []
        held: list[int] = []  # tentatively rejected items, each needing a solver (step 5)
        alone = -1  # to decide on its own: its settling answer could not be rounded to cents
        i = 0
        while i < inst.n or held:
            verdict, room, upper, minimum = None, 0, 0, 0
            limiting: tuple[int, ...] = ()
            if i < inst.n:
                room = inst.budget - self.used[0]
                upper, blocking, limiting = fit(inst, self.used, i)
                minimum = int(inst.minimum[i])
                if upper == 0:
                    if self.w[i]:
                        raise RuntimeError("selection: witness funds an item the rows exclude")
                    out.append(Decision(0, "budget" if 0 in blocking else "cap", blocking, room))
                    model.fix(i, 0)
                    i += 1
                    continue
                if not self.w[i] and i != alone:
                    verdict = self._verdict(i, upper, minimum)
                    if verdict in (_REJECT, _OPEN):
                        if verdict == _OPEN:
                            held.append(i)
                        out.append(self._held_for_minimum(room))
                        model.fix(i, 0)
                        i += 1
                        continue
            if held:
                first, certain = self._settle(held, i)
                held = []
                if first is not None:
                    # Back to the first held item that can be funded: everything decided since
                    # was decided on the assumption that it could not.
                    for j in range(first, i):
                        model.release(j)
                    del out[first:]
                    alone = -1 if certain else first
                    i = first
                    continue
                if i == inst.n:
                    break
            wi = int(self.w[i])
            if wi:
                self._drop_from_witness(i, wi)
            if verdict == _ACCEPT:
                amount = upper
            else:
                amount = self._decide(i, upper, minimum, upper_tried=verdict == _FUNDABLE)
            if amount == 0:
                out.append(self._held_for_minimum(room))
                model.fix(i, 0)
            else:
                take(inst, self.used, i, amount)
                model.fix(i, amount)
                if amount == upper:
                    out.append(Decision(amount, "funded", limiting, room))
                else:
                    pending = self._pending_minimums()
                    out.append(Decision(amount, "funded", pending, room, by_minimum=True))
            i += 1
        return out

    def _pending_minimums(self) -> tuple[int, ...]:
        return tuple(r for r in self.ge_rows if self.used[r] < self.inst.rows[r].rhs)

    def _held_for_minimum(self, room: int) -> Decision:
        """The decision for an item no feasible selection funds although the le rows allow it."""
        return Decision(0, "minimum", self._pending_minimums(), room)

    def _verdict(self, i: int, upper: int, minimum: int) -> str:
        """What the cheap proofs (steps 2 to 4) say about item ``i`` outside the witness; on
        ``_ACCEPT`` / ``_FUNDABLE`` the witness funds ``i`` at ``upper`` / ``minimum``."""
        if self._witness_allows(i, upper):
            self._add_to_witness(i, upper)
            return _ACCEPT
        if self._excluded(i, minimum, upper):
            return _REJECT
        if not self._excluded(i, upper, upper) and self._repair(i, upper):
            self._add_to_witness(i, upper)
            return _ACCEPT
        if minimum == upper:
            return _OPEN
        if self._witness_allows(i, minimum) or (
            not self._excluded(i, minimum, minimum) and self._repair(i, minimum)
        ):
            self._add_to_witness(i, minimum)
            return _FUNDABLE
        return _OPEN

    def _decide(self, i: int, upper: int, minimum: int, upper_tried: bool = False) -> int:
        """Item ``i``'s amount: the first feasible of its candidates (see the class doc).
        ``upper_tried``: the cheap proofs already failed on ``upper``."""
        if self._feasible(i, upper, cheap=not upper_tried):
            return upper
        if minimum == upper:
            return 0
        if self._feasible(i, minimum):
            return minimum
        if self._monotone(i):
            return 0  # less money never hurts it here: if its minimum fails, more fails too
        # The minimum fails only for want of money in a minimum row: a larger amount may work.
        if self._excluded(i, minimum + 1, upper - 1):
            return 0
        bounds = self._domains(i, minimum + 1, upper - 1)
        if bounds is False:
            return 0
        return self._largest(i, minimum + 1, upper - 1, 0, None if bounds is True else bounds)

    def _feasible(self, i: int, amount: int, cheap: bool = True) -> bool:
        """Is there a feasible completion with ``i`` at exactly ``amount``? Proven either way;
        on yes the witness is (made) one such completion. ``cheap=False`` skips the witness
        and repair, known to fail."""
        if cheap and self._witness_allows(i, amount):
            return True
        if self._excluded(i, amount, amount):
            return False
        if cheap and self._repair(i, amount):
            return True
        bounds = self._domains(i, amount, amount)
        if bounds is False:
            return False
        found = self._feasible_at(i, amount, None if bounds is True else bounds)
        if found is None:
            return False
        self._set_witness(found)
        return True

    # -- step 5: held items settled together ------------------------------------------------------
    def _settle(self, held: list[int], end: int) -> tuple[int | None, bool]:
        """Decide the held items (all rejected so far, as every item up to ``end``).

        Returns ``(None, True)`` when no feasible completion of the decisions before them funds
        any: every rejection is then proven. Otherwise ``(first, True)``: ``held[:k]`` is proven
        infeasible, ``first = held[k]`` is fundable and the witness is a completion funding it.
        ``(first, False)`` when an answer could not be turned into whole cents: ``first``, the
        first held item not proven infeasible yet, must be decided on its own.

        Why one question can settle many items: an item ``h`` is rejected when no feasible
        completion of its prefix (the decisions before it, the held items before it at 0) funds
        it. A completion funding ``h`` is a completion of the first held item's prefix that
        funds at least one held item, so if there is none, every ``h`` is rejected. Conversely,
        in a completion funding some held items, the first of them is ``h`` with every earlier
        held item at 0; the other items in between are at 0 too (each was rejected on its
        prefix, which the completion extends), so the completion proves ``h`` fundable. The
        held items before ``h`` are then bisected with the same question on a slice.
        """
        lo, hi = 0, len(held)
        first: int | None = None
        witness: np.ndarray | None = None
        while lo < hi:
            mid = hi if first is None else (lo + hi + 1) // 2
            found = self._any_fundable(held[lo:mid], end)
            if found is None:
                lo = mid
                continue
            k, cents = found
            if cents is None:
                return held[lo], False
            first, witness, hi = lo + k, cents, lo + k
        if first is None or witness is None:
            return None, True
        self._set_witness(witness)
        return held[first], True

    def _any_fundable(self, group: list[int], end: int) -> tuple[int, np.ndarray | None] | None:
        """Is there a feasible completion of the decisions before ``group[0]`` that funds at
        least one item of ``group``, the items after it up to ``end`` being undecided (they were
        only decided on the assumption that no item of ``group`` is funded)? None if not; else
        the position in ``group`` of the first item it funds and the completion in whole cents
        from that item on (the witness to resume with; None if it could not be rounded)."""
        inst, model = self.inst, self.model
        start = group[0]
        coef = np.zeros(model.num_col)
        coef[group] = 1.0
        # The le rows block some items whichever item of the group is funded (they only fill
        # up); the others from ``start`` on are undecided again.
        span = [j for j in range(start, end) if fit(inst, self.used, j)[0] > 0]
        bounds = None
        if self.primary is not None:
            # The completions funding group item g first obey the Lagrangian bound of g; the
            # widest of these bounds holds for all of them.
            width = max(
                self.primary.slack(j, self.used, int(inst.minimum[j]), fit(inst, self.used, j)[0])
                for j in group
            )
            if width < 0:
                return None
            bounds = self._restrict(start + 1, width)
        if bounds is None:
            # The full model (its LP warm), whose LP also renews the Lagrangian multipliers.
            for j in span:
                model.release(j)
            try:
                sol, info = model.optimise(
                    model.cost_objective(),
                    floor=-inst.budget / model.scale,
                    extra=(coef, 1.0),
                    any_feasible=True,
                    at_once=True,
                )
            finally:
                for j in span:
                    model.fix(j, 0)
            if info is not None:
                self._set_lagrangian(info.row_duals)
        else:
            lo, hi = bounds
            members = set(group)
            for j in range(start, end):
                e = model.e_col[j]
                if j in members:  # funded in its own completions: its whole range
                    lo[j], hi[j] = 0.0, 1.0
                    if e >= 0:
                        lo[e], hi[e] = 0.0, model.span[j]
                elif j < group[-1]:  # at 0 in the completions funding a later group item
                    lo[j] = 0.0
                    if e >= 0:
                        lo[e] = 0.0
            blocked = sorted(set(range(start, end)) - set(span))
            lo[blocked] = hi[blocked] = 0.0
            sol = model.any_feasible((lo, hi), (coef, 1.0))
        if sol is None:
            return None
        k = next((pos for pos, j in enumerate(group) if sol.columns[j] > 0.5), 0)
        h = group[k]
        cents = model.cents(sol.columns, movable_from=h)
        if cents is None or cents[h] == 0 or np.any(cents[start:h]):
            return k, None  # (HiGHS's tolerances: its answer is not a whole-cent proof)
        cents = self._fill(cents, h + 1)
        cents[:h] = 0  # the witness covers the items from h on
        return k, cents

    # -- cheap proofs -----------------------------------------------------------------------------
    def _excluded(self, i: int, low: int, high: int) -> bool:
        """True when the Lagrangian certificate rules out every amount in [low, high]."""
        return self.primary is not None and self.primary.slack(i, self.used, low, high) < 0

    def _witness_allows(self, i: int, amount: int) -> bool:
        """``prefix + (i at amount) + W after i`` meets every row (W without i's old share)."""
        inst = self.inst
        for r in inst.item_rows[i]:
            row = inst.rows[r]
            total = self.used[r] + self.wtot[r] + (1 if row.is_count else amount)
            if (total - row.rhs) * row.sense > 0:
                return False
        return True

    def _repair(self, i: int, amount: int) -> bool:
        """Shrink the witness so that ``i`` fits at ``amount``; keeps the change on success."""
        inst = self.inst
        rows = inst.rows
        total = [self.used[r] + self.wtot[r] for r in range(len(rows))]
        for r in inst.item_rows[i]:
            total[r] += 1 if rows[r].is_count else amount
        for r in self.ge_rows:
            if total[r] < rows[r].rhs:
                return False
        over = {r: total[r] - rows[r].rhs for r in inst.item_rows[i] if rows[r].sense == LE}
        over = {r: v for r, v in over.items() if v > 0}
        if not over:
            return True
        plan: list[tuple[int, int]] = []
        # Witness items after i in an over-full row, worst-ranked first.
        in_over = np.any(self.member[sorted(over), i + 1 :], axis=0) & (self.w[i + 1 :] > 0)
        for j in (np.flatnonzero(in_over)[::-1] + i + 1).tolist():
            hit = [r for r in inst.item_rows[j] if r in over]
            if not hit:
                continue
            wj = int(self.w[j])
            cut = self._removable(j, wj, total)
            if cut < wj:
                # Still funded, so only cents rows gain: shrink by what the worst of them needs.
                cents_over = [over[r] for r in hit if not rows[r].is_count]
                if not cents_over:
                    continue
                cut = min(cut, max(cents_over))
                if cut <= 0:
                    continue
            plan.append((j, cut))
            for r in inst.item_rows[j]:
                delta = (1 if cut == wj else 0) if rows[r].is_count else cut
                total[r] -= delta
                if r in over:
                    over[r] -= delta
                    if over[r] <= 0:
                        del over[r]
            if not over:
                break
        for _ in range(SWAP_LIMIT):
            if not over:
                break
            swap = self._swap(i, total, over, plan)
            if swap is None:
                return False
            plan += swap
        if over:
            return False
        for q, c in plan:
            if c > 0:
                self._drop_from_witness(q, c)
            else:
                self._add_to_witness(q, -c)
        return True

    def _swap(
        self, i: int, total: list[int], over: dict[int, int], plan: list[tuple[int, int]]
    ) -> list[tuple[int, int]] | None:
        """Replace one witness item that an over-full row needs gone but a minimum needs kept
        by a later item outside the witness that keeps every minimum, breaks no other row and
        lowers the over-full row. Updates ``total``/``over``; returns the plan steps or None."""
        inst, rows = self.inst, self.inst.rows
        w = self.w.copy()
        for q, c in plan:
            w[q] -= c
        pool = np.zeros(inst.n, dtype=bool)
        pool[i + 1 :] = True
        pool &= w == 0
        if not pool.any():
            return None
        tot = np.array(total, dtype=np.float64)
        rhs = self.rhs
        le = self.sense > 0
        over_rows = np.array(sorted(over))
        in_over = np.any(self.member[over_rows], axis=0) & (w > 0)
        in_over[: i + 1] = False
        for j in np.flatnonzero(in_over)[::-1][:SWAP_TRIES].tolist():
            wj = int(w[j])
            after = tot.copy()
            for r in inst.item_rows[j]:
                after[r] -= 1 if rows[r].is_count else wj
            short = np.where(~le, rhs - after, 0.0)  # what the minimums now lack
            cents_short = float(np.max(np.where(~self.count_mask, short, 0.0), initial=0.0))
            need_rows = np.flatnonzero(short > 0)
            cand = pool & np.all(self.member[need_rows], axis=0)
            if not cand.any():
                continue
            amount = np.maximum(inst.minimum, cents_short).astype(np.float64)
            cand &= amount <= inst.requested
            k_idx = np.flatnonzero(cand)
            if not len(k_idx):
                continue
            contrib = (
                np.where(self.count_mask[:, None], 1.0, amount[k_idx][None, :])
                * self.member[:, k_idx]
            )
            new = after[:, None] + contrib
            ok = np.all(np.where(le[:, None], new <= np.maximum(rhs, tot)[:, None], True), axis=0)
            ok &= np.all(np.where(le[:, None], True, new >= rhs[:, None]), axis=0)
            ok &= np.any(new[over_rows] < tot[over_rows][:, None], axis=0)
            if not ok.any():
                continue
            k = int(k_idx[np.flatnonzero(ok)[-1]])  # the worst-ranked candidate
            amount_k = int(math.ceil(amount[k]))
            for r in range(len(rows)):
                total[r] = int(
                    after[r] + (self.member[r, k] * (1 if rows[r].is_count else amount_k))
                )
            over.clear()
            for r in inst.item_rows[i]:
                if rows[r].sense == LE and total[r] > rows[r].rhs:
                    over[r] = total[r] - rows[r].rhs
            return [(j, wj), (k, -amount_k)]
        return None

    def _removable(self, j: int, wj: int, total: list[int]) -> int:
        """Cents that can leave W_j without breaking a ge row; ``wj`` when the item can go."""
        inst = self.inst
        whole = True
        cents = wj - int(inst.minimum[j]) if inst.partial[j] else 0
        for r in inst.item_rows[j]:
            row = inst.rows[r]
            if row.sense != GE:
                continue
            spare = total[r] - row.rhs
            if row.is_count:
                whole = whole and spare >= 1
            else:
                whole = whole and spare >= wj
                cents = min(cents, spare)
        return wj if whole else max(cents, 0)

    # -- step 6: one item, one amount -------------------------------------------------------------
    def _domains(self, i: int, low: int, high: int) -> Bounds | bool:
        """Column bounds for the completions with ``i`` in ``[low, high]`` restricted by the
        Lagrangian bound (:meth:`_restrict`); False when the bound excludes the whole range,
        True when it leaves too much free."""
        if self.primary is None:
            return True
        width = self.primary.slack(i, self.used, low, high)
        if width < 0:
            return False
        bounds = self._restrict(i + 1, width)
        return True if bounds is None else bounds

    def _restrict(self, start: int, width: float) -> Bounds | None:
        """The model's column bounds with the options of the items from ``start`` on restricted
        by a Lagrangian slack ``width``; None when too many items stay free (see ``FREE_LIMIT``).

        With slack ``E`` (:meth:`Certificate.slack`), every feasible completion has the sum of
        its items' terms at most ``E`` above the sum of their cheapest terms, each term being at
        least its cheapest: so no item takes an option whose term exceeds its cheapest by more
        than ``E``. Removing those options loses no feasible completion; when ``E`` is small
        most items keep a single option and the MILP left is small.
        """
        cert = self.primary
        assert cert is not None
        inst, model = self.inst, self.model
        later = slice(start, inst.n)
        alpha, gamma, tau = cert.alpha[later], cert.gamma[later], cert.tau[later]
        lo_c = inst.minimum[later].astype(np.float64)
        hi_c = inst.requested[later].astype(np.float64)
        can_skip = -tau <= width
        reach = tau + width - gamma  # funded amounts x with alpha x <= reach stay possible
        with np.errstate(divide="ignore", invalid="ignore"):
            edge = np.where(alpha != 0, reach / np.where(alpha != 0, alpha, 1.0), 0.0)
        top = np.where(alpha > 0, np.minimum(hi_c, edge), hi_c)
        top = np.where(alpha == 0, np.where(reach >= 0, hi_c, -1.0), top)
        bottom = np.where(alpha < 0, np.maximum(lo_c, edge), lo_c)
        can_fund = bottom <= top
        if int((can_skip & can_fund).sum()) > max(FREE_LIMIT, int((inst.n - start) * FREE_SHARE)):
            return None
        lo, hi = model.lo.copy(), model.hi.copy()
        lo[later] = np.where(can_fund & ~can_skip, 1.0, 0.0)
        hi[later] = np.where(can_fund, 1.0, 0.0)
        pe = model.partial_items[model.partial_items >= start]
        cols, k = model.e_col[pe], pe - start
        base = inst.minimum[pe]
        e_lo = np.maximum(0.0, (np.floor(bottom[k]) - base) / model.scale)
        e_hi = np.minimum(model.span[pe], (np.ceil(top[k]) - base) / model.scale)
        # A lower bound on e would also forbid z = 0 (e <= span z): only use it when funded.
        must = can_fund[k] & ~can_skip[k]
        lo[cols] = np.where(must, np.minimum(e_lo, e_hi), 0.0)
        hi[cols] = np.where(can_fund[k], e_hi, 0.0)
        return lo, hi

    def _adopt(self, witness: np.ndarray, amount: int) -> int:
        self._set_witness(witness)
        return amount

    def _monotone(self, i: int) -> bool:
        """True when no minimum on cents that still needs money contains ``i``."""
        rows = self.inst.rows
        return not any(
            rows[r].sense == GE and not rows[r].is_count and self.used[r] < rows[r].rhs
            for r in self.inst.item_rows[i]
        )

    def _largest(self, i: int, low: int, high: int, fallback: int, bounds: Bounds | None) -> int:
        """Largest feasible amount in [low, high] when feasibility is not monotone in it (``i``
        helps a minimum on cents): binary search on ``t`` with the question "is some amount in
        [t, high] feasible?", which *is* monotone in ``t``. (Maximising the amount directly in
        one MILP is exact too, but its LP bound is weak and HiGHS can take minutes.)"""
        first = self._feasible_in(i, low, high, bounds)
        if first is None:
            return fallback
        good, best = first
        bad = high + 1  # good is feasible; nothing in [bad, high] is
        while good + 1 < bad:
            t = (good + 1 + bad) // 2
            found = self._feasible_in(i, t, bad - 1, bounds)
            if found is None:
                bad = t
            else:
                good, best = found
        return self._adopt(best, good)

    def _feasible_in(
        self, i: int, low: int, high: int, bounds: Bounds | None
    ) -> tuple[int, np.ndarray] | None:
        """``(amount, completion)`` for some whole-cent amount of ``i`` in [low, high], or None.

        HiGHS answers with a real amount; it is pinned to the whole cents around it and checked
        exactly. If neither works (the answer leant on HiGHS's tolerance), those cents are
        known infeasible (each check at a fixed amount is exact) and the rest is asked again.
        """
        if low > high:
            return None
        model = self.model
        sol = self._completion(i, low, high, bounds)
        if sol is None:
            return None
        raw = int(self.inst.minimum[i]) + sol.columns[model.e_col[i]] * model.scale
        pins = sorted({min(max(math.floor(raw), low), high), max(min(math.ceil(raw), high), low)})
        for amount in pins:
            found = self._feasible_at(i, amount, bounds)
            if found is not None:
                return amount, found
        above = self._feasible_in(i, pins[-1] + 1, high, bounds)
        return above if above is not None else self._feasible_in(i, low, pins[0] - 1, bounds)

    def _feasible_at(self, i: int, amount: int, bounds: Bounds | None) -> np.ndarray | None:
        """A whole-cent completion with ``i`` at ``amount`` (filled in rank order), or None."""
        model = self.model
        sol = self._completion(i, amount, amount, bounds)
        cents = model.cents(sol.columns, movable_from=i + 1) if sol is not None else None
        if cents is None or int(cents[i]) != amount:
            return None
        cents = self._fill(cents, i + 1)
        cents[: i + 1] = 0  # the witness covers later items only
        return cents

    def _completion(self, i: int, low: int, high: int, bounds: Bounds | None) -> Solution | None:
        """A feasible completion (HiGHS columns, first found) with ``i`` funded in [low, high]:
        within ``bounds`` if given (a domain :meth:`_restrict` left small), else on the full
        model, whose LP renews the Lagrangian multipliers."""
        model = self.model
        e = model.e_col[i]
        base = int(self.inst.minimum[i])
        if bounds is not None:
            lo, hi = bounds[0].copy(), bounds[1].copy()
        else:
            lo, hi = model.lo, model.hi  # changed in place, then released
        lo[i] = hi[i] = 1.0
        if e >= 0:
            lo[e], hi[e] = (low - base) / model.scale, (high - base) / model.scale
        if bounds is not None:
            return model.any_feasible((lo, hi))
        try:
            sol, info = model.optimise(
                model.cost_objective(), floor=-self.inst.budget / model.scale, any_feasible=True
            )
        finally:
            model.release(i)
        if info is not None:
            self._set_lagrangian(info.row_duals)
        return sol

    def _fill(self, full: np.ndarray, start: int) -> np.ndarray:
        """Top a feasible selection up in rank order from item ``start``: each item gets what
        the le rows still allow. It stays feasible (ge rows only gain) and now resembles what
        the pass will fund next, so later decisions are mostly proven without a solver."""
        inst = self.inst
        w = full.copy()
        totals = inst.totals(w)
        cheapest_after = self.cheapest_after
        for j in range(start, inst.n):
            if totals[0] + cheapest_after[j] > inst.budget:
                break  # the budget cannot take any later item
            if w[j]:
                continue
            amount, _, _ = fit(inst, totals, j)
            if amount:
                w[j] = amount
                take(inst, totals, j, amount)
        return w
