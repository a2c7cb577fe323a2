"""Exact machinery behind ``select(rule="ranked" | "max-score")``: rows, HiGHS models, rounding.

Nothing here is public: :mod:`pepiniere.engine.selection` compiles proposals and constraints into an
:class:`Instance` (fundable proposals in rank order, integer cents) and calls :func:`max_score`,
:func:`relax_minimums` and :class:`RankedSearch`.

The model
---------
Item ``j`` (a fundable proposal) is funded ``x_j`` whole cents with ``x_j = 0`` or
``minimum_j <= x_j <= requested_j`` (``minimum_j == requested_j`` when partial funding is not
allowed). Every constraint, and the budget, is a *row*: the funded cents (or the number of funded
items) over the row's members is ``<= rhs`` (an "le" row: budget, ``max_cents``, ``max_share``,
``max_count``) or ``>= rhs`` (a "ge" row: ``min_cents``, ``min_count``). ``rhs`` is an exact integer.

In HiGHS each item has a binary ``z_j`` (funded or not) and, when partial funding is allowed, a
continuous ``e_j`` in ``[0, requested_j - minimum_j]`` with ``e_j <= (requested_j - minimum_j) z_j``,
so that ``x_j = minimum_j z_j + e_j``. Money is divided by ``scale`` (about a millionth of the
budget) so that HiGHS's tolerances (1e-6 of a scaled unit) are far below one cent; every answer is
turned back into whole cents and checked row by row in exact integer arithmetic before use.

Exact MILPs on 10 000 items: reduced-cost fixing
------------------------------------------------
A plain HiGHS solve of these knapsack-like models takes seconds (the root LP is almost integral but
proving gap 0 with 10 000 binaries is slow). :meth:`Model.optimise` first solves the LP relaxation
(value ``v``, reduced costs ``d``). For a maximisation, any solution in which a binary leaves the
bound it has in the LP optimum has value at most ``v - |d_j|`` (LP duality). So if every solution
that matters has value ``>= floor``, all binaries with ``|d_j| > v - floor`` can be fixed at their LP
value without losing any of those solutions. ``floor`` is either known (a feasibility question:
every feasible completion costs at most the budget left) or found on the way: solve the MILP with
only the binaries of near-zero reduced cost free; its value ``w`` is a valid ``floor``; re-solve with
``|d_j| <= v - w`` free. The second solve is exact and small (tens to hundreds of binaries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

LE = 1
GE = -1

# HiGHS answers are checked in integers afterwards; these only decide what is "zero" in its output.
_INT_TOL = 1e-6
_DUAL_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class Row:
    """One linear row over items: funded cents (or a count of funded items) ``<=`` or ``>=`` rhs."""

    is_count: bool
    sense: int  # LE or GE
    rhs: int
    members: np.ndarray  # item indices, increasing
    source: object = None  # the Constraint it comes from; None for the budget


@dataclass(eq=False)
class Instance:
    """Fundable proposals in rank order (index 0 is the best ranked) and the rows that bind them."""

    requested: np.ndarray  # int64 cents
    minimum: np.ndarray  # int64 cents; == requested when partial funding is not allowed
    score: np.ndarray  # float64
    rows: list[Row]  # rows[0] is the budget

    def __post_init__(self) -> None:
        self.n = len(self.requested)
        self.item_rows: list[list[int]] = [[] for _ in range(self.n)]
        for r, row in enumerate(self.rows):
            for j in row.members.tolist():
                self.item_rows[j].append(r)
        self.partial = self.minimum < self.requested

    @property
    def budget(self) -> int:
        return self.rows[0].rhs

    def totals(self, amounts: np.ndarray) -> list[int]:
        """Each row's left-hand side for whole-cent ``amounts`` (exact integers)."""
        out = []
        for row in self.rows:
            part = amounts[row.members]
            out.append(int(np.count_nonzero(part)) if row.is_count else int(part.sum()))
        return out

    def feasible(self, amounts: np.ndarray) -> bool:
        """True when ``amounts`` (whole cents) meets every row and every item's funding range."""
        funded = amounts > 0
        if np.any(amounts < 0) or np.any(amounts[funded] < self.minimum[funded]):
            return False
        if np.any(amounts > self.requested):
            return False
        for row, total in zip(self.rows, self.totals(amounts), strict=True):
            if (total - row.rhs) * row.sense > 0:
                return False
        return True


def _options(h: highspy.Highs, mip: bool, gap: float = 0.0) -> None:
    """One thread and a fixed seed: HiGHS is then deterministic. ``gap`` < 0 means "stop at the
    first feasible solution" (infeasibility is still proven exactly)."""
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if mip:
        if gap < 0:
            h.setOptionValue("mip_max_improving_sols", 1)
            gap = 0.0
        h.setOptionValue("mip_rel_gap", gap)
        h.setOptionValue("mip_abs_gap", 1e-9)
        # Sub-MIP heuristics cost seconds here and are not needed: reduced-cost fixing leaves
        # small models and the incumbent comes from the restricted solve.
        h.setOptionValue("mip_heuristic_run_rins", False)
        h.setOptionValue("mip_heuristic_run_rens", False)
        h.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
        h.setOptionValue("mip_detect_symmetry", False)


def _run(h: highspy.Highs) -> None:
    """``h.run()``, surviving a thread scheduler left by another HiGHS user with more threads.

    We solve with one thread for reproducibility; HiGHS refuses that when this thread's scheduler
    was started with another count (by other code in the process), until the scheduler is reset.
    """
    if h.run() == highspy.HighsStatus.kError:
        highspy.Highs.resetThreadScheduler(False)
        if h.run() == highspy.HighsStatus.kError:
            raise RuntimeError("selection: HiGHS refused to solve the model")


def _lp_object(
    num_col: int,
    a: sparse.csc_matrix,
    cost: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    integer: np.ndarray | None,
) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_ = num_col
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(col_lo, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(col_hi, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(row_hi, dtype=np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = num_col
    lp.a_matrix_.num_row_ = a.shape[0]
    if integer is not None:
        kinds = np.where(integer, 1, 0)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous for k in kinds
        ]
    return lp


@dataclass
class LpInfo:
    """An LP relaxation: its value and what reduced-cost fixing needs."""

    value: float
    reduced: np.ndarray  # |reduced cost| of each free binary, 0 for fixed ones
    fractional: np.ndarray
    z_value: np.ndarray
    free: np.ndarray
    row_duals: np.ndarray
    tol: float

    def fixing(self, delta: float) -> np.ndarray:
        """Binaries that no solution within ``delta`` of the LP value can move off their LP value."""
        return self.free & ~self.fractional & (self.reduced > delta + self.tol)


@dataclass
class Solution:
    value: float
    columns: np.ndarray  # every column of the model (fixed ones included)


class Model:
    """The HiGHS model of an :class:`Instance`, with one warm LP and exact MILPs on demand.

    Columns ``0..n-1`` are the binaries ``z``; then one ``e`` per partially fundable item.
    ``lo``/``hi`` hold the current column bounds: callers fix decided items there.
    """

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        n = inst.n
        self.scale = max(1.0, inst.budget / 1e6)
        s = self.scale
        self.partial_items = np.flatnonzero(inst.partial)
        p = len(self.partial_items)
        self.e_col = np.full(n, -1, dtype=np.int64)
        self.e_col[self.partial_items] = n + np.arange(p)
        self.num_col = n + p
        self.span = (inst.requested - inst.minimum).astype(np.float64) / s  # e upper bound
        rows_i, cols_i, vals = [], [], []
        row_lo, row_hi = [], []
        for r, row in enumerate(inst.rows):
            mem = row.members
            if row.is_count:
                rows_i.append(np.full(len(mem), r))
                cols_i.append(mem)
                vals.append(np.ones(len(mem)))
                bound = float(row.rhs)
            else:
                rows_i.append(np.full(len(mem), r))
                cols_i.append(mem)
                vals.append(inst.minimum[mem] / s)
                pm = mem[inst.partial[mem]]
                rows_i.append(np.full(len(pm), r))
                cols_i.append(self.e_col[pm])
                vals.append(np.ones(len(pm)))
                bound = row.rhs / s
            row_lo.append(-math.inf if row.sense == LE else bound)
            row_hi.append(bound if row.sense == LE else math.inf)
        m = len(inst.rows)
        self.num_constraint_rows = m
        link = m + np.arange(p)
        rows_i += [link, link]
        cols_i += [self.e_col[self.partial_items], self.partial_items]
        vals += [np.ones(p), -self.span[self.partial_items]]
        self.row_lo = np.array(row_lo + [-math.inf] * p)
        self.row_hi = np.array(row_hi + [0.0] * p)
        self.a = sparse.csc_matrix(
            (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_i))),
            shape=(m + p, self.num_col),
        )
        self.a.sort_indices()
        self.lo = np.zeros(self.num_col)
        self.hi = np.ones(self.num_col)
        self.hi[n:] = self.span[self.partial_items]
        self.integer = np.zeros(self.num_col, dtype=bool)
        self.integer[:n] = True
        self._lp: highspy.Highs | None = None
        self._lp_lo = self.lo.copy()
        self._lp_hi = self.hi.copy()
        self.lp_solves = 0
        self.milp_solves = 0
        self._solvers: dict[tuple[bool, float], highspy.Highs] = {}

    # -- objectives ---------------------------------------------------------------------------
    def cost_objective(self) -> np.ndarray:
        """Maximise minus the funded cents (in scaled units): a cheapest completion."""
        c = np.empty(self.num_col)
        c[: self.inst.n] = -self.inst.minimum / self.scale
        c[self.inst.n :] = -1.0
        return c

    def score_objective(self) -> np.ndarray:
        """Maximise sum of score x funded share (x_j / requested_j)."""
        inst = self.inst
        c = np.empty(self.num_col)
        c[: inst.n] = inst.score * inst.minimum / inst.requested
        pi = self.partial_items
        c[inst.n :] = inst.score[pi] * self.scale / inst.requested[pi]
        return c

    def rank_cents_objective(self, decay: float) -> np.ndarray:
        """Maximise funded cents weighted by exp(-decay x position / n): each cent goes to the
        best-ranked item that can take it (the LP relaxation is greedy in rank order)."""
        inst = self.inst
        n = inst.n
        weight = np.exp(-decay * np.arange(n) / max(n, 1))
        c = np.empty(self.num_col)
        c[:n] = weight * inst.minimum / self.scale
        c[n:] = weight[self.partial_items]
        return c

    def columns(self, amounts: np.ndarray) -> np.ndarray:
        """Model columns of a whole-cent selection."""
        inst = self.inst
        cols = np.zeros(self.num_col)
        cols[: inst.n] = amounts > 0
        pi = self.partial_items
        cols[self.e_col[pi]] = np.where(amounts[pi] > 0, amounts[pi] - inst.minimum[pi], 0) / (
            self.scale
        )
        return cols

    def row_objective(self, r: int) -> np.ndarray:
        """Maximise the left-hand side of row ``r`` (in the row's model units)."""
        c = np.zeros(self.num_col)
        col = self.a.getrow(r).tocoo()
        c[col.col] = col.data
        return c

    # -- fixing items -------------------------------------------------------------------------
    def fix(self, item: int, cents: int) -> None:
        """Fix ``item`` at ``cents`` (0 = not funded) in every later solve."""
        if cents == 0:
            self.lo[item] = self.hi[item] = 0.0
            e_value = 0.0
        else:
            self.lo[item] = self.hi[item] = 1.0
            e_value = (cents - int(self.inst.minimum[item])) / self.scale
        e = self.e_col[item]
        if e >= 0:
            self.lo[e] = self.hi[e] = e_value

    def release(self, item: int) -> None:
        self.lo[item], self.hi[item] = 0.0, 1.0
        e = self.e_col[item]
        if e >= 0:
            self.lo[e], self.hi[e] = 0.0, self.span[item]

    # -- LP -----------------------------------------------------------------------------------
    def _solve_lp(
        self, cost: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        if self._lp is None:
            h = highspy.Highs()
            _options(h, mip=False)
            h.passModel(
                _lp_object(
                    self.num_col, self.a, cost, self.lo, self.hi, self.row_lo, self.row_hi, None
                )
            )
            self._lp = h
            self._lp_lo, self._lp_hi = self.lo.copy(), self.hi.copy()
        else:
            h = self._lp
            changed = np.flatnonzero((self._lp_lo != self.lo) | (self._lp_hi != self.hi))
            if len(changed):
                h.changeColsBounds(
                    len(changed), changed.astype(np.int32), self.lo[changed], self.hi[changed]
                )
                self._lp_lo[changed] = self.lo[changed]
                self._lp_hi[changed] = self.hi[changed]
            idx = np.arange(self.num_col, dtype=np.int32)
            h.changeColsCost(self.num_col, idx, np.ascontiguousarray(cost, dtype=np.float64))
        self.lp_solves += 1
        _run(h)
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        first = status
        if status != highspy.HighsModelStatus.kOptimal:
            # A warm start that went wrong: retry once from scratch before giving up.
            h.clearSolver()
            _run(h)
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return None
            if status != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(
                    f"HiGHS LP ended with status {h.modelStatusToString(status)} "
                    f"(first try: {h.modelStatusToString(first)})"
                )
        sol = h.getSolution()
        value = h.getInfo().objective_function_value
        return (
            value,
            np.array(sol.col_value),
            np.array(sol.col_dual),
            np.array(sol.row_dual),
        )

    # -- models over a restricted domain ----------------------------------------------------------
    def _sub_solver(self, integer: bool, gap: float) -> highspy.Highs:
        """One reusable HiGHS instance per kind of solve: creating one costs about a
        millisecond, as much as a small solve."""
        key = (integer, gap)
        h = self._solvers.get(key)
        if h is None:
            h = highspy.Highs()
            _options(h, mip=integer, gap=gap)
            self._solvers[key] = h
        else:
            h.clearModel()
        return h

    def _solve_sub(
        self,
        cost: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        extra: tuple | None,
        integer: bool,
        gap: float = 0.0,
    ) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Solve over columns bounded by ``lo``/``hi``, fixed columns folded into the rows.

        Returns ``(value, columns, |reduced costs|)`` (reduced costs only for an LP) or None when
        infeasible. ``extra = (coef, bound)`` adds the row ``coef . columns >= bound``.
        """
        n = self.inst.n
        lo, hi = lo.copy(), hi.copy()
        off = np.flatnonzero(hi[:n] == 0.0)
        e_off = self.e_col[off]
        e_off = e_off[e_off >= 0]
        lo[e_off] = hi[e_off] = 0.0
        fixed = lo == hi
        keep = np.flatnonzero(~fixed)
        values = np.where(fixed, lo, 0.0)
        activity = self.a @ values
        row_lo = self.row_lo - activity
        row_hi = self.row_hi - activity
        sub = self.a[:, keep].tocsr()
        used_rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        empty = np.ones(sub.shape[0], dtype=bool)
        empty[used_rows] = False
        slack = 1e-6 * np.maximum(1.0, np.abs(activity[empty]))
        if np.any(row_lo[empty] > slack) or np.any(row_hi[empty] < -slack):
            return None
        sub = sub[used_rows, :]
        row_lo, row_hi = row_lo[used_rows], row_hi[used_rows]
        offset = float(cost[fixed] @ values[fixed])
        if extra is not None:
            coef, bound = extra  # rows coef . columns >= bound (one row, or one per line)
            coef, bound = np.atleast_2d(coef), np.atleast_1d(bound)
            sub = sparse.vstack([sub, sparse.csr_matrix(coef[:, keep])])
            row_lo = np.append(row_lo, bound - coef[:, fixed] @ values[fixed])
            row_hi = np.append(row_hi, np.full(len(bound), math.inf))
        if len(keep) == 0:
            if np.any(row_lo > 1e-6) or np.any(row_hi < -1e-6):
                return None
            return offset, values, np.zeros(self.num_col)
        h = self._sub_solver(integer, gap)
        kinds = self.integer[keep] if integer else None
        h.passModel(
            _lp_object(
                len(keep), sub.tocsc(), cost[keep], lo[keep], hi[keep], row_lo, row_hi, kinds
            )
        )
        if integer:
            self.milp_solves += 1
        else:
            self.lp_solves += 1
        _run(h)
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        stopped_early = status == highspy.HighsModelStatus.kSolutionLimit and gap < 0
        if status != highspy.HighsModelStatus.kOptimal and not stopped_early:
            raise RuntimeError(f"HiGHS ended with status {h.modelStatusToString(status)}")
        sol = h.getSolution()
        cols = values.copy()
        cols[keep] = np.array(sol.col_value)
        reduced = np.zeros(self.num_col)
        if integer:
            cols[:n] = np.round(cols[:n])
        else:
            reduced[keep] = np.abs(np.array(sol.col_dual))
        return h.getInfo().objective_function_value + offset, cols, reduced

    def _solve_restricted(
        self,
        cost: np.ndarray,
        fixed_z: np.ndarray,
        z_value: np.ndarray,
        extra: tuple | None,
        gap: float = 0.0,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Solution | None:
        """Exact MILP in which the binaries in ``fixed_z`` are held at ``z_value``, within
        ``bounds`` (default: the model's current bounds)."""
        n = self.inst.n
        lo, hi = (self.lo.copy(), self.hi.copy()) if bounds is None else bounds
        lo, hi = lo.copy(), hi.copy()
        lo[:n][fixed_z] = hi[:n][fixed_z] = z_value[fixed_z]
        out = self._solve_sub(cost, lo, hi, extra, integer=True, gap=gap)
        return None if out is None else Solution(out[0], out[1])

    def optimise(
        self,
        cost: np.ndarray,
        floor: float | None = None,
        extra: tuple | None = None,
        gap: float = 0.0,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
        any_feasible: bool = False,
    ) -> tuple[Solution | None, LpInfo | None]:
        """Maximise ``cost . columns`` exactly over the current bounds, or over ``bounds``
        (see the module docstring). With ``any_feasible`` the first feasible solution found is
        returned (the answer "infeasible" stays exact).

        ``floor``: every solution of interest has at least this value (e.g. minus the budget in a
        cheapest-completion question, where the budget row guarantees it); ``None`` when unknown.
        ``gap`` > 0 (relative) accepts a near-optimal answer: used where any good feasible
        solution will do. Returns the solution (None when infeasible) and its LP relaxation
        (whose row duals are only filled on the full model).
        """
        n = self.inst.n
        if bounds is None:
            lp = self._solve_lp(cost)
            if lp is None:
                return None, None
            v, x, d, y = lp
            d = np.abs(d)
            lo, hi = self.lo, self.hi
        else:
            lo, hi = bounds
            out = self._solve_sub(cost, lo, hi, None, integer=False)
            if out is None:
                return None, None
            v, x, d = out
            y = np.zeros(0)
        tol = 1e-9 * max(1.0, abs(v)) + _DUAL_TOL
        free_now = lo[:n] < hi[:n]
        info = LpInfo(
            value=v,
            reduced=np.where(free_now, d[:n], 0.0),
            fractional=np.abs(x[:n] - np.round(x[:n])) > _INT_TOL,
            z_value=np.round(x[:n]),
            free=free_now,
            row_duals=y,
            tol=tol,
        )
        limit = math.inf if floor is None else v - floor + tol
        top = float(info.reduced.max(initial=0.0))
        delta = tol
        while True:
            final = delta >= limit or delta >= top
            delta = min(delta, limit)
            sol = self._solve_restricted(
                cost,
                info.fixing(delta),
                info.z_value,
                extra,
                -1.0 if any_feasible else gap,
                bounds=(lo, hi),
            )
            if sol is not None:
                missing = v - sol.value + tol
                if final or any_feasible or missing <= delta + gap * max(1.0, abs(v)):
                    return sol, info
                delta = missing  # every solution at least as good as sol survives this fixing
                continue
            if final:
                return None, info
            # Infeasible with these fixings: free the next 64 binaries by reduced cost, or more.
            larger = info.reduced[info.reduced > delta]
            k = min(63, len(larger) - 1)
            delta = max(delta * 16.0, float(np.partition(larger, k)[k]))

    def solve_with_fixing(
        self, cost: np.ndarray, info: LpInfo, delta: float, extra: tuple | None
    ) -> Solution | None:
        """One exact MILP keeping every solution within ``delta`` of ``info``'s LP value."""
        return self._solve_restricted(cost, info.fixing(delta), info.z_value, extra)

    # -- from columns to whole cents ---------------------------------------------------------------
    def cents(self, columns: np.ndarray, movable_from: int = 0) -> np.ndarray | None:
        """Whole-cent amounts for a HiGHS solution, repaired and checked exactly; None if it fails.

        Partial amounts come out of HiGHS as real numbers: they are rounded to the nearest cent
        when within 1e-6 of one, else down; a row the rounding left broken by a few cents gets
        them from partially funded items at index ``movable_from`` or later (earlier items are
        decisions already taken and are never touched).
        """
        inst = self.inst
        n = inst.n
        z = columns[:n] > 0.5
        amounts = np.where(z, inst.requested, 0).astype(np.int64)
        pi = self.partial_items
        if len(pi):
            raw = inst.minimum[pi] + columns[self.e_col[pi]] * self.scale
            near = np.round(raw)
            cents = np.where(np.abs(raw - near) <= 1e-6 * np.maximum(1.0, raw), near, np.floor(raw))
            cents = np.clip(cents, inst.minimum[pi], inst.requested[pi]).astype(np.int64)
            amounts[pi] = np.where(z[pi], cents, 0)
        if inst.feasible(amounts):
            return amounts
        return repair_rounding(inst, amounts, movable_from)


def repair_rounding(inst: Instance, amounts: np.ndarray, movable_from: int) -> np.ndarray | None:
    """Move single cents between partially funded items until every row holds, or give up."""
    amounts = amounts.copy()
    for _ in range(4):
        totals = inst.totals(amounts)
        broken = [
            r
            for r, (row, t) in enumerate(zip(inst.rows, totals, strict=True))
            if (t - row.rhs) * row.sense > 0
        ]
        if not broken:
            return amounts
        for r in broken:
            row = inst.rows[r]
            if row.is_count:
                return None
            need = abs(totals[r] - row.rhs)
            for j in row.members.tolist():
                if need == 0:
                    break
                if amounts[j] == 0 or not inst.partial[j] or j < movable_from:
                    continue
                room = _cent_room(inst, amounts, totals, j, up=row.sense == GE)
                step = min(need, room)
                if step > 0:
                    delta = step if row.sense == GE else -step
                    amounts[j] += delta
                    for q in inst.item_rows[j]:
                        if not inst.rows[q].is_count:
                            totals[q] += delta
                    need -= step
    return amounts if inst.feasible(amounts) else None


def _cent_room(inst: Instance, amounts: np.ndarray, totals: list[int], j: int, up: bool) -> int:
    """How many cents item ``j`` can gain (``up``) or lose without breaking another row."""
    room = int(inst.requested[j] - amounts[j]) if up else int(amounts[j] - inst.minimum[j])
    for q in inst.item_rows[j]:
        row = inst.rows[q]
        if row.is_count:
            continue
        if up and row.sense == LE:
            room = min(room, row.rhs - totals[q])
        elif not up and row.sense == GE:
            room = min(room, totals[q] - row.rhs)
    return max(room, 0)


def set_row(inst: Instance, model: Model | None, r: int, sense: int, rhs: int) -> None:
    """Change row ``r`` to ``sense`` / ``rhs`` in the instance and, if given, in its model."""
    old = inst.rows[r]
    inst.rows[r] = Row(old.is_count, sense, rhs, old.members, old.source)
    if model is None:
        return
    bound = float(rhs) if old.is_count else rhs / model.scale
    lo, hi = (-math.inf, bound) if sense == LE else (bound, math.inf)
    model.row_lo[r], model.row_hi[r] = lo, hi
    if model._lp is not None:
        model._lp.changeRowBounds(r, lo, hi)


# ------------------------------------------------------------------------------------------------
# Minimums that cannot all be met
# ------------------------------------------------------------------------------------------------
def relax_minimums(inst: Instance, model: Model) -> tuple[dict[int, int], np.ndarray | None]:
    """Lower the ge rows that no selection can meet, in constraint order; returns what remains.

    Model: the budget and every le row are hard. If some selection meets every ge row, nothing
    changes. Otherwise ge rows are taken in the order the caller listed the constraints: row k
    keeps the largest level any selection reaches while meeting rows 1..k-1 at their (possibly
    lowered) levels, the rows after k being ignored. An earlier constraint therefore has priority
    over a later one, and the order of the constraints does not matter when they can all be met.
    Returns ``{row: lowered rhs}`` (only rows that had to be lowered) and a selection in whole
    cents meeting the result (the cheapest one when nothing was lowered), ``None`` if none needed.
    """
    ge_rows = [r for r, row in enumerate(inst.rows) if row.sense == GE]
    floor = -inst.budget / model.scale
    sol, _ = model.optimise(model.cost_objective(), floor=floor, any_feasible=True)
    if sol is not None:
        amounts = model.cents(sol.columns)
        if amounts is None:
            raise RuntimeError("selection: could not round a feasible selection to whole cents")
        return {}, amounts
    targets = {r: inst.rows[r].rhs for r in ge_rows}
    for r in ge_rows:
        set_row(inst, model, r, GE, 0)
    lowered: dict[int, int] = {}
    amounts = np.zeros(inst.n, dtype=np.int64)
    for r in ge_rows:
        # max over selections of min(lhs, target) = min(max lhs, target)
        sol, _ = model.optimise(model.row_objective(r))
        cents = model.cents(sol.columns) if sol is not None else None
        if cents is None:
            raise RuntimeError("selection: could not compute how far a minimum can be met")
        amounts = cents
        reached = min(inst.totals(amounts)[r], targets[r])
        set_row(inst, model, r, GE, reached)
        if reached < targets[r]:
            lowered[r] = reached
    return lowered, amounts


# ------------------------------------------------------------------------------------------------
# max-score
# ------------------------------------------------------------------------------------------------
TIE_TOLERANCE = 1e-9  # relative: selections whose objectives differ by less are treated as tied
TIE_DEPTH = 25  # free binaries ordered exactly by the tie-break (2^-25 is well above the gap)


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
    tied selections, not a sample of them.
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
    second = model._solve_restricted(order, fixed, info.z_value, (score_cost, best - tie))
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
        room = _cent_room(inst, amounts, totals, j, up=True)
        if room > 0:
            amounts[j] += room
            for q in inst.item_rows[j]:
                if not inst.rows[q].is_count:
                    totals[q] += room
    return amounts


# ------------------------------------------------------------------------------------------------
# Sequential rules
# ------------------------------------------------------------------------------------------------
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

    def max_amount(self, i: int, used: list[int], upper: int) -> int:
        """Largest amount <= upper the test does not exclude; -1 if none survives."""
        a_i = float(self.alpha[i])
        room = self.slack(i, used, 0, upper) if a_i > 0 else self.slack(i, used, upper, upper)
        if a_i <= 0.0:
            return upper if room >= 0 else -1
        return min(upper, math.floor(room / a_i))


DECAY = 10.0  # max-score's share tie-break: weights fall by e^-10 from first to last
SWAP_LIMIT = 8  # swaps one repair may chain before asking the solver
SWAP_TRIES = 12  # witness items (worst-ranked first) a swap tries to replace
FREE_LIMIT = 400  # items left free by the Lagrangian bound beyond which the LP route is taken


class RankedSearch:
    """The lexicographic optimum in rank order over every feasible selection ("ranked").

    Definition: item 1 gets the largest amount any feasible selection gives it, item 2 the
    largest amount any feasible selection gives it *given item 1's amount*, and so on
    (feasible = budget, every le row and every ge row, at the levels :func:`relax_minimums`
    leaves). Without partial funding this is "fund the best-ranked proposal if some feasible
    selection contains it, then the next...".

    Algorithm: at item i, with items before i decided, let ``u`` be the most the le rows allow
    it given those decisions alone (an upper bound: later items only add to le rows). Then

    1. ``u`` below its minimum: no feasible selection funds it (exact, no solver).
    2. The witness ``W``, a feasible completion of the current decisions kept in whole cents,
       proves an amount feasible: ``prefix + (i at a) + W after i`` is checked row by row. If it
       proves ``u`` the decision is ``u`` (optimal and proven). The witness starts as the
       cheapest selection meeting the minimums and is replaced by each solver answer.
    3. A Lagrangian bound proves amounts infeasible: for multipliers ``lam >= 0`` on the rows
       (taken from the last cheapest-completion LP), every feasible completion satisfies
       ``sum_j tau_j <= sum_r lam_r b_r`` where ``tau_j`` is item j's most favourable
       contribution (0, or its row terms at its minimum or full amount) and ``b_r`` each row's
       remaining right-hand side. This holds for *any* ``lam >= 0`` (weak duality, item by item
       over the exact set {0} U [minimum, requested]), so it is a proof, not a heuristic; sums over
       later items are suffix sums, so the test costs O(rows of i). Evaluated in float64 with a
       safety margin far above rounding error; inside the margin it proves nothing.
    4. Repair: make room for ``a`` in the witness by dropping or shrinking later witness items,
       worst-ranked first, while every ge row still holds; success is again a proof.
    5. Otherwise HiGHS decides: the cheapest completion with ``i`` at ``a`` (exact MILP with
       reduced-cost fixing, where "every feasible completion fits the budget" gives the floor);
       for a partially fundable item whose ``a`` fails, an exact MILP for its largest amount.

    Each decision is thus either proven feasible by an explicit whole-cent selection or proven
    infeasible (by 1, 3 or an exact MILP), and decisions follow the definition's order, so the
    result is the lexicographic optimum. Cost: one pass with O(rows) work per item, plus the
    solver calls of step 5, which happen only for items near the edge of feasibility.
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
        self.solver_calls = 0
        self.primary: Certificate | None = None  # from the last cheapest-completion LP
        self.cheapest_after = np.minimum.accumulate(inst.minimum[::-1])[::-1]
        self._set_witness(self._fill(witness, 0))
        lp = model._solve_lp(model.cost_objective())
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

    def _set_lagrangian(self, duals: np.ndarray) -> None:
        """Multipliers from a cheapest-completion LP (solved as max of -cost)."""
        m = len(self.inst.rows)
        lam = np.maximum(0.0, self.sense * duals[:m])
        lam[self.count_mask] *= self.model.scale  # count rows are in items, not scaled money
        lam[0] += 1.0  # the objective itself is the budget row's left-hand side
        self.primary = Certificate(self, lam)

    def _lagrangian_max(self, i: int, upper: int) -> int:
        """Largest amount <= upper the certificate does not exclude; -1 if none survives."""
        if self.primary is None:
            return upper
        return self.primary.max_amount(i, self.used, upper)

    # -- the pass -------------------------------------------------------------------------------
    def run(self) -> list[Decision]:
        inst = self.inst
        out: list[Decision] = []
        for i in range(inst.n):
            wi = int(self.w[i])
            if wi:
                self._drop_from_witness(i, wi)
            room = inst.budget - self.used[0]
            upper, blocking, limiting = fit(inst, self.used, i)
            minimum = int(inst.minimum[i])
            if upper == 0:
                if wi:
                    raise RuntimeError("selection: witness funds an item the rows exclude")
                out.append(Decision(0, "budget" if 0 in blocking else "cap", blocking, room))
                self.model.fix(i, 0)
                continue
            amount = self._decide(i, upper, minimum, wi)
            if amount == 0:
                pending = tuple(r for r in self.ge_rows if self.used[r] < inst.rows[r].rhs)
                out.append(Decision(0, "minimum", pending, room))
                self.model.fix(i, 0)
                continue
            take(inst, self.used, i, amount)
            self.model.fix(i, amount)
            if amount == upper:
                out.append(Decision(amount, "funded", limiting, room))
            else:
                pending = tuple(r for r in self.ge_rows if self.used[r] < inst.rows[r].rhs)
                out.append(Decision(amount, "funded", pending, room, by_minimum=True))
        return out

    def _decide(self, i: int, upper: int, minimum: int, wi: int) -> int:
        partial = bool(self.inst.partial[i])
        proven = self._witness_max(i, upper, partial)
        if proven == upper:
            return upper
        target = self._lagrangian_max(i, upper)
        if not partial and target < upper:
            target = -1
        target = max(target, proven)
        if target < minimum:
            return 0
        if proven >= target:
            return proven
        if self._repair(i, target):
            return target
        return self._solve(i, minimum, target, proven)

    def _witness_max(self, i: int, upper: int, partial: bool) -> int:
        """Largest amount for ``i`` that ``prefix + (i) + W after i`` proves feasible; -1: none."""
        inst = self.inst
        low, high = int(inst.minimum[i]), upper
        for r in inst.item_rows[i]:
            row = inst.rows[r]
            other = self.used[r] + self.wtot[r]
            if row.is_count:
                if (other + 1 - row.rhs) * row.sense > 0:
                    return -1
            elif row.sense == LE:
                high = min(high, row.rhs - other)
            else:
                low = max(low, row.rhs - other)
        if not partial:
            return upper if low <= upper <= high else -1
        return high if low <= high else -1

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
        for j in (np.flatnonzero(self.w[i + 1 :])[::-1] + i + 1).tolist():
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

    def _add_to_witness(self, k: int, amount: int) -> None:
        for r in self.inst.item_rows[k]:
            self.wtot[r] += 1 if self.is_count[r] else amount
        self.w[k] = amount

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

    def _solve(self, i: int, minimum: int, target: int, proven: int) -> int:
        """Exact answer for item ``i``: the largest amount in ``[low, target]`` that some feasible
        completion allows (``low`` = its minimum, or just above ``proven`` when the witness
        already proves an amount), else ``proven`` (or 0).

        When the Lagrangian slack is narrow, the MILPs run over a restricted domain: every
        feasible completion keeps each later item within the options the bound leaves it (an
        option whose term exceeds its cheapest by more than the slack ``E`` is impossible, as all
        terms together exceed the cheapest by at most ``E``), so restricting loses no feasible
        completion. Otherwise they run on the full model, whose LP also refreshes the multipliers.
        """
        self.solver_calls += 1
        partial = bool(self.inst.partial[i])
        low = max(minimum, proven + 1) if partial else target
        fallback = proven if proven >= minimum else 0
        bounds = self._domains(i, low, target)
        if bounds is False:
            return fallback
        return self._decide_exact(i, low, target, fallback, None if bounds is True else bounds)

    def _domains(self, i: int, low: int, high: int) -> tuple[np.ndarray, np.ndarray] | bool:
        """Column bounds restricted by the Lagrangian bound for ``i`` in ``[low, high]``;
        False when the bound excludes the whole range, True when it leaves too much free."""
        cert = self.primary
        if cert is None:
            return True
        inst, model = self.inst, self.model
        width = cert.slack(i, self.used, low, high)
        if width < 0:
            return False
        later = slice(i + 1, inst.n)
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
        if int((can_skip & can_fund).sum()) > FREE_LIMIT:
            return True
        lo, hi = model.lo.copy(), model.hi.copy()
        lo[later] = np.where(can_fund & ~can_skip, 1.0, 0.0)
        hi[later] = np.where(can_fund, 1.0, 0.0)
        pe = model.partial_items[model.partial_items > i]
        cols, k = model.e_col[pe], pe - (i + 1)
        base = inst.minimum[pe]
        e_lo = np.maximum(0.0, (np.floor(bottom[k]) - base) / model.scale)
        e_hi = np.minimum(model.span[pe], (np.ceil(top[k]) - base) / model.scale)
        # A lower bound on e would also forbid z = 0 (e <= span z): only use it when funded.
        must = can_fund[k] & ~can_skip[k]
        lo[cols] = np.where(must, np.minimum(e_lo, e_hi), 0.0)
        hi[cols] = np.where(can_fund[k], e_hi, 0.0)
        return lo, hi

    def _item_bounds(
        self, i: int, low: int, high: int, bounds: tuple[np.ndarray, np.ndarray] | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``bounds`` (or the model state when None) with item ``i`` funded in [low, high]."""
        model = self.model
        e = model.e_col[i]
        base = int(self.inst.minimum[i])
        if bounds is None:
            lo, hi = model.lo, model.hi
        else:
            lo, hi = bounds[0].copy(), bounds[1].copy()
        lo[i] = hi[i] = 1.0
        if e >= 0:
            lo[e], hi[e] = (low - base) / model.scale, (high - base) / model.scale
        return None if bounds is None else (lo, hi)

    def _decide_exact(
        self,
        i: int,
        low: int,
        high: int,
        fallback: int,
        bounds: tuple[np.ndarray, np.ndarray] | None,
    ) -> int:
        """Largest feasible amount in ``[low, high]`` (``fallback`` if none); sets the witness.

        Feasibility questions ("is there a completion with ``i`` at exactly ``a``?") are cheap
        for HiGHS; "what is the largest ``a``?" is not (its LP bound is weak). So for a partially
        fundable item: ``high``, then ``low``; if ``i`` is in no minimum on cents that still needs
        money, feasibility is monotone in ``a`` (less money only frees le rows) and a binary
        search over whole cents ends it; otherwise one exact MILP maximising ``a``.
        """
        model = self.model
        partial = model.e_col[i] >= 0 and low < high
        if partial and bounds is not None and self._monotone(i):
            found = self._feasible_at(i, low, bounds)  # the usual answer at the budget's edge
            if found is None:
                return fallback
        found = self._feasible_at(i, high, bounds)
        if found is not None:
            return self._adopt(found, high)
        if not partial:
            return fallback
        high -= 1
        if bounds is None:
            narrowed = self._domains(i, low, high)  # with the multipliers just refreshed
            if narrowed is False:
                return fallback
            if narrowed is not True:
                bounds = narrowed
        monotone = self._monotone(i)
        found = self._feasible_at(i, low, bounds)
        if found is None and monotone:
            return fallback
        if monotone:
            return self._search(i, low, high, found, bounds)
        return self._largest(i, low, high, fallback, bounds)

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

    def _search(
        self,
        i: int,
        low: int,
        high: int,
        found: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray] | None,
    ) -> int:
        """Binary search for the largest feasible amount when feasibility is monotone
        (``low`` feasible with witness ``found``, ``high + 1`` infeasible)."""
        good, bad, best = low, high + 1, found
        while bad - good > 1:
            mid = (good + bad) // 2
            witness = self._feasible_at(i, mid, bounds)
            if witness is None:
                bad = mid
            else:
                good, best = mid, witness
        return self._adopt(best, good)

    def _largest(
        self,
        i: int,
        low: int,
        high: int,
        fallback: int,
        bounds: tuple[np.ndarray, np.ndarray] | None,
    ) -> int:
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
        self, i: int, low: int, high: int, bounds: tuple[np.ndarray, np.ndarray] | None
    ) -> tuple[int, np.ndarray] | None:
        """``(amount, completion)`` for some whole-cent amount of ``i`` in [low, high], or None.

        HiGHS answers with a real amount; it is pinned to the whole cents around it and checked
        exactly. If neither works (the answer leant on HiGHS's tolerance), those cents are
        known infeasible (each check at a fixed amount is exact) and the rest is asked again.
        """
        if low > high:
            return None
        model = self.model
        ranged = self._item_bounds(i, low, high, bounds)
        try:
            sol, info = model.optimise(
                model.cost_objective(),
                floor=-self.inst.budget / model.scale,
                bounds=ranged,
                any_feasible=True,
            )
        finally:
            if bounds is None:
                model.release(i)
        if bounds is None and info is not None:
            self._set_lagrangian(info.row_duals)
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

    def _feasible_at(
        self, i: int, amount: int, bounds: tuple[np.ndarray, np.ndarray] | None
    ) -> np.ndarray | None:
        """A whole-cent completion with ``i`` at ``amount`` (filled in rank order), or None."""
        model = self.model
        fixed = self._item_bounds(i, amount, amount, bounds)
        try:
            sol, info = model.optimise(
                model.cost_objective(),
                floor=-self.inst.budget / model.scale,
                bounds=fixed,
                any_feasible=True,
            )
        finally:
            if bounds is None:
                model.release(i)
        if bounds is None and info is not None:
            self._set_lagrangian(info.row_duals)
        cents = model.cents(sol.columns, movable_from=i + 1) if sol is not None else None
        if cents is None or int(cents[i]) != amount:
            return None
        cents = self._fill(cents, i + 1)
        cents[: i + 1] = 0  # the witness covers later items only
        return cents

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
