"""The exact machinery under ``select(rule="ranked" | "max-score")``: rows, HiGHS models, cents.

Nothing here is public: :mod:`pepiniere.engine.selection` compiles proposals and constraints into an
:class:`Instance` (fundable proposals in rank order, integer cents); the rules live in
:mod:`~pepiniere.engine._selection_ranked` and :mod:`~pepiniere.engine._selection_max_score`.

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
every feasible completion costs at most the budget) or found on the way: solve the MILP with only
the binaries of near-zero reduced cost free; its value ``w`` is a valid ``floor``; free more
binaries in rounds, cheapest reduced cost first, each round solved exactly from the best solution
so far, until every binary with ``|d_j| <= v - w`` is free: that last solve is exact and small
(tens to a few thousand binaries). The rounds grow gently (at most twice as many free binaries
each): on the 10 000-proposal benchmark one large round without a good incumbent costs two
seconds, three small ones and the exact one 0.6 s.

These restricted MILPs are solved without HiGHS presolve and without its feasibility-jump
heuristic: on them both cost far more than the search itself (presolve's probing is most of the
time of a 1 000-column model that root cuts prove infeasible), and the incumbent handed over from
the previous round gives the cut-off presolve would otherwise help to find.

Determinism and silence: one thread, a fixed seed, models built in rank order, so the same call
gives the same answer, whatever the order of the proposals given. HiGHS never writes to stdout.
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
# A question expected to be infeasible goes straight to its last MILP when that MILP keeps at most
# this many binaries free; beyond, small MILPs first (a "feasible" answer then comes cheaply).
AT_ONCE_LIMIT = 1024


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


# ------------------------------------------------------------------------------------------------
# HiGHS plumbing
# ------------------------------------------------------------------------------------------------
class _Highs(highspy.Highs):
    """highspy's solver, silent from its construction.

    highspy prints the HiGHS banner ("Running HiGHS ... Copyright ...") on stdout the first time a
    solver of the process registers its callbacks with ``output_flag`` still at its default (on),
    and ``Highs.__init__`` does that before any option can be set. Library code must not write to
    stdout, so the flag goes off just before.
    """

    def enableCallbacks(self) -> None:  # noqa: N802 (highspy's name)
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()  # type: ignore[no-untyped-call]  # highspy.highs is untyped


# How a MILP is solved: "exact" (gap 0), "feasible" (stop at the first feasible solution; the
# answer "infeasible" is still proven).
_EXACT = "exact"
_FEASIBLE = "feasible"


def _new_highs(mip: bool, kind: str = _EXACT) -> highspy.Highs:
    """A silent HiGHS with one thread and a fixed seed: it is then deterministic."""
    h = _Highs()  # type: ignore[no-untyped-call]  # highspy.highs is untyped
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if mip:
        if kind == _FEASIBLE:
            h.setOptionValue("mip_max_improving_sols", 1)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-9)
        # The LP's own tolerance. At HiGHS's default (1e-6) a binary at 1e-6 counts as 0 while
        # ``e <= span z`` lets a partial item take cents (``span`` reaches 1e5 scaled units):
        # HiGHS then chases such near-solutions, up to a hundred times slower to prove
        # "infeasible".
        h.setOptionValue("mip_feasibility_tolerance", 1e-7)
        # See the module docstring: presolve and these heuristics cost more than they save on the
        # small restricted models reduced-cost fixing leaves.
        h.setOptionValue("presolve", "off")
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        h.setOptionValue("mip_heuristic_run_rins", False)
        h.setOptionValue("mip_heuristic_run_rens", False)
        h.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
        h.setOptionValue("mip_detect_symmetry", False)
    return h


def _run(h: highspy.Highs) -> None:
    """``h.run()``, surviving two known HiGHS failures, each retried deterministically.

    - We solve with one thread for reproducibility; HiGHS refuses that when this thread's
      scheduler was started with another count (by other code in the process) until the
      scheduler is reset.
    - Rarely, a MIP's "optimal" answer breaks a row by 1e-4 and HiGHS reports a solve error; the
      same model solved the other way (presolve switched) solves cleanly.
    """
    if h.run() != highspy.HighsStatus.kError:
        return
    if h.getModelStatus() != highspy.HighsModelStatus.kSolveError:
        highspy.Highs.resetThreadScheduler(False)
        if h.run() != highspy.HighsStatus.kError:
            return
    _, presolve = h.getOptionValue("presolve")
    h.setOptionValue("presolve", "on" if presolve == "off" else "off")
    try:
        if h.run() != highspy.HighsStatus.kError:
            return
    finally:
        h.setOptionValue("presolve", presolve)
    raise RuntimeError("selection: HiGHS could not solve a model (solve error)")


def _pass_model(
    h: highspy.Highs,
    csc: tuple[np.ndarray, np.ndarray, np.ndarray],
    num_row: int,
    cost: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    integer: np.ndarray | None,
) -> None:
    """Hand a maximisation to HiGHS; ``csc = (indptr, indices, data)`` column-wise. Through the
    array form of ``passModel``: filling a ``HighsLp`` field by field copies its arrays element by
    element, which costs more than a small solve."""
    indptr, indices, data = csc
    num_col = len(indptr) - 1
    kinds = np.zeros(num_col, dtype=np.int32) if integer is None else integer.astype(np.int32)
    status = h.passModel(
        num_col,
        num_row,
        len(indices),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(col_lo, dtype=np.float64),
        np.ascontiguousarray(col_hi, dtype=np.float64),
        np.ascontiguousarray(row_lo, dtype=np.float64),
        np.ascontiguousarray(row_hi, dtype=np.float64),
        indptr[:-1].astype(np.int32),
        indices.astype(np.int32),
        np.ascontiguousarray(data, dtype=np.float64),
        kinds,
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("selection: HiGHS refused a model")


def _add_rows(h: highspy.Highs, coef: np.ndarray, lower: np.ndarray) -> None:
    """Add the rows ``coef . columns >= lower`` (one per line of ``coef``) to ``h``'s model."""
    rows, cols = np.nonzero(coef)
    starts = np.searchsorted(rows, np.arange(coef.shape[0])).astype(np.int32)
    h.addRows(
        coef.shape[0],
        np.ascontiguousarray(lower, dtype=np.float64),
        np.full(coef.shape[0], math.inf),
        len(cols),
        starts,
        cols.astype(np.int32),
        np.ascontiguousarray(coef[rows, cols], dtype=np.float64),
    )


# ------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------
Bounds = tuple[np.ndarray, np.ndarray]


@dataclass
class LpInfo:
    """An LP relaxation (of a maximisation) and what reduced-cost fixing needs."""

    value: float
    reduced: np.ndarray  # |reduced cost| of each free binary, 0 for fixed ones
    fractional: np.ndarray
    z_value: np.ndarray
    free: np.ndarray
    row_duals: np.ndarray
    tol: float

    def fixing(self, delta: float) -> np.ndarray:
        """Binaries that no solution within ``delta`` of the LP value can move off their LP value."""
        fixed: np.ndarray = self.free & ~self.fractional & (self.reduced > delta + self.tol)
        return fixed


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
            rows_i.append(np.full(len(mem), r))
            cols_i.append(mem)
            if row.is_count:
                vals.append(np.ones(len(mem)))
                bound = float(row.rhs)
            else:
                vals.append(inst.minimum[mem] / s)
                pm = mem[inst.partial[mem]]
                rows_i.append(np.full(len(pm), r))
                cols_i.append(self.e_col[pm])
                vals.append(np.ones(len(pm)))
                bound = row.rhs / s
            row_lo.append(-math.inf if row.sense == LE else bound)
            row_hi.append(bound if row.sense == LE else math.inf)
        m = len(inst.rows)
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
        self._lp_cost = np.zeros(0)
        self.milp_solves = 0
        self._solvers: dict[str, highspy.Highs] = {}

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
        """Undo :meth:`fix`: the item is free again."""
        self.lo[item], self.hi[item] = 0.0, 1.0
        e = self.e_col[item]
        if e >= 0:
            self.lo[e], self.hi[e] = 0.0, self.span[item]

    # -- LP -----------------------------------------------------------------------------------
    def solve_lp(
        self, cost: np.ndarray, extra: tuple | None = None
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """The LP relaxation over the current bounds: ``(value, columns, column duals, row
        duals)``, or None when infeasible. One persistent HiGHS: bound changes warm-start the dual
        simplex from the previous basis. ``extra = (coef, bound)``: the rows ``coef . columns >=
        bound`` are added for this solve only (their duals come last)."""
        if self._lp is None:
            h = _new_highs(mip=False)
            a = self.a
            _pass_model(
                h,
                (a.indptr, a.indices, a.data),
                a.shape[0],
                cost,
                self.lo,
                self.hi,
                self.row_lo,
                self.row_hi,
                None,
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
            if not np.array_equal(cost, self._lp_cost):
                idx = np.arange(self.num_col, dtype=np.int32)
                h.changeColsCost(self.num_col, idx, np.ascontiguousarray(cost, dtype=np.float64))
        self._lp_cost = cost.copy()
        base_rows = h.getNumRow()
        if extra is not None:
            _add_rows(h, np.atleast_2d(extra[0]), np.atleast_1d(extra[1]))
        try:
            return self._run_lp(h)
        finally:
            added = h.getNumRow() - base_rows
            if added:
                h.deleteRows(added, np.arange(base_rows, base_rows + added, dtype=np.int32))

    def _run_lp(self, h: highspy.Highs) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """Solve the persistent LP as it stands; see :meth:`solve_lp`."""
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

    # -- MILPs ------------------------------------------------------------------------------------
    def _sub_solver(self, kind: str) -> highspy.Highs:
        """One reusable HiGHS instance per kind of MILP: creating one costs about a
        millisecond, as much as a small solve."""
        h = self._solvers.get(kind)
        if h is None:
            h = _new_highs(mip=True, kind=kind)
            self._solvers[kind] = h
        else:
            h.clearModel()
        return h

    def _milp(
        self,
        cost: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        extra: tuple | None,
        kind: str = _EXACT,
        start: np.ndarray | None = None,
    ) -> Solution | None:
        """The MILP over columns bounded by ``lo``/``hi``, fixed columns folded into the rows;
        None when infeasible. ``extra = (coef, bound)`` adds the rows ``coef . columns >=
        bound``; ``start`` (every column) is handed to HiGHS as a first incumbent when it fits
        the bounds."""
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
        # Column slice by hand: scipy's fancy indexing costs more than the small solve.
        a = self.a
        starts, ends = a.indptr[keep], a.indptr[keep + 1]
        lengths = ends - starts
        indptr = np.zeros(len(keep) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        take_at = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        indices, data = a.indices[take_at], a.data[take_at]
        empty = np.bincount(indices, minlength=a.shape[0]) == 0
        slack = 1e-6 * np.maximum(1.0, np.abs(activity[empty]))
        if np.any(row_lo[empty] > slack) or np.any(row_hi[empty] < -slack):
            return None
        row_lo[empty], row_hi[empty] = -math.inf, math.inf  # nothing left in them
        # Products as sums, not BLAS dots: OpenBLAS would start threads for these sizes, which
        # then spin on the other cores.
        offset = float((cost[fixed] * values[fixed]).sum())
        extra_rows = None
        if extra is not None:  # rows coef . columns >= bound (one row, or one per line)
            coef, bound = np.atleast_2d(extra[0]), np.atleast_1d(extra[1])
            extra_rows = (coef[:, keep], bound - (coef[:, fixed] * values[fixed]).sum(axis=1))
        if len(keep) == 0:
            lows = row_lo if extra_rows is None else np.append(row_lo, extra_rows[1])
            if np.any(lows > 1e-6) or np.any(row_hi < -1e-6):
                return None
            return Solution(offset, values)
        h = self._sub_solver(kind)
        _pass_model(
            h,
            (indptr, indices, data),
            a.shape[0],
            cost[keep],
            lo[keep],
            hi[keep],
            row_lo,
            row_hi,
            self.integer[keep],
        )
        if extra_rows is not None:
            _add_rows(h, *extra_rows)
        if start is not None and np.array_equal(start[fixed], values[fixed]):
            given = highspy.HighsSolution()
            given.col_value = np.ascontiguousarray(start[keep], dtype=np.float64)
            given.value_valid = True
            h.setSolution(given)
        self.milp_solves += 1
        _run(h)
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        stopped_early = status == highspy.HighsModelStatus.kSolutionLimit and kind == _FEASIBLE
        if status != highspy.HighsModelStatus.kOptimal and not stopped_early:
            raise RuntimeError(f"HiGHS ended with status {h.modelStatusToString(status)}")
        cols = values.copy()
        cols[keep] = np.array(h.getSolution().col_value)
        cols[:n] = np.round(cols[:n])
        return Solution(h.getInfo().objective_function_value + offset, cols)

    def solve_restricted(
        self,
        cost: np.ndarray,
        fixed_z: np.ndarray,
        z_value: np.ndarray,
        extra: tuple | None,
        kind: str = _EXACT,
        start: np.ndarray | None = None,
    ) -> Solution | None:
        """The MILP over the model's current bounds with the binaries in ``fixed_z`` held at
        ``z_value``; ``start`` is a first incumbent."""
        n = self.inst.n
        lo, hi = self.lo.copy(), self.hi.copy()
        lo[:n][fixed_z] = hi[:n][fixed_z] = z_value[fixed_z]
        return self._milp(cost, lo, hi, extra, kind=kind, start=start)

    def any_feasible(self, bounds: Bounds, extra: tuple | None = None) -> Solution | None:
        """Some solution within ``bounds`` meeting every row (and ``extra``), None if there is
        none: one MILP stopped at its first feasible solution, the cheapest completion as its
        objective. For domains a Lagrangian bound already restricted (no LP first: HiGHS's root
        LP is that LP, and on these small domains the extra solve costs more than it saves)."""
        return self._milp(self.cost_objective(), bounds[0], bounds[1], extra, _FEASIBLE)

    def optimise(
        self,
        cost: np.ndarray,
        floor: float | None = None,
        extra: tuple | None = None,
        any_feasible: bool = False,
        at_once: bool = False,
        granularity: float = 0.0,
    ) -> tuple[Solution | None, LpInfo | None]:
        """Maximise ``cost . columns`` exactly over the current bounds, with the rows ``extra``
        added (see :meth:`_milp`), by reduced-cost fixing (see the module docstring). With
        ``any_feasible`` the first feasible solution found is returned (the answer "infeasible"
        stays exact).

        ``floor``: every solution of interest has at least this value (e.g. minus the budget in a
        cheapest-completion question, where the budget row guarantees it); ``None`` when unknown.
        ``at_once``: with a ``floor``, go straight to the last (exact) fixing instead of first
        trying smaller MILPs, if it leaves at most ``AT_ONCE_LIMIT`` binaries free; for questions
        whose answer is most likely "infeasible", where the smaller MILPs would be wasted. ``granularity`` > 0: every solution's value is a multiple
        of it (a count), so a better solution is better by that much at least. Returns the
        solution (None when infeasible) and the LP relaxation.

        Otherwise the binaries are freed in rounds, cheapest reduced cost first, twice as many
        (at least 16 more) per round, each round solved exactly from the best solution so far: a
        small round finds a good incumbent quickly, which bounds how many binaries the last,
        exact round must free. One large round without a good incumbent can cost seconds.
        """
        n = self.inst.n
        lp = self.solve_lp(cost, extra)
        if lp is None:
            return None, None
        v, x, d, y = lp
        tol = 1e-9 * max(1.0, abs(v)) + _DUAL_TOL
        free_now = self.lo[:n] < self.hi[:n]
        info = LpInfo(
            value=v,
            reduced=np.where(free_now, np.abs(d[:n]), 0.0),
            fractional=np.abs(x[:n] - np.round(x[:n])) > _INT_TOL,
            z_value=np.round(x[:n]),
            free=free_now,
            row_duals=y,
            tol=tol,
        )
        kind = _FEASIBLE if any_feasible else _EXACT
        limit = math.inf if floor is None else v - floor + tol
        top = float(info.reduced.max(initial=0.0))
        ranked_reduced = np.sort(info.reduced[info.free & ~info.fractional])
        delta = tol
        if at_once and np.searchsorted(ranked_reduced, limit, side="right") <= AT_ONCE_LIMIT:
            delta = limit
        incumbent: Solution | None = None
        while True:
            final = delta >= limit or delta >= top
            delta = min(delta, limit)
            sol = self.solve_restricted(
                cost,
                info.fixing(delta),
                info.z_value,
                extra,
                kind,
                start=None if incumbent is None else incumbent.columns,
            )
            if sol is not None:
                # Every solution better than ``sol`` survives fixing at ``missing``.
                missing = v - sol.value - granularity + tol
                if any_feasible or final or missing <= delta + tol:
                    return sol, info
                incumbent = sol
                now = int(np.searchsorted(ranked_reduced, delta, side="right"))
                then = int(np.searchsorted(ranked_reduced, missing, side="right"))
                grow = max(2 * now, now + 16)
                delta = missing if then <= grow else float(ranked_reduced[grow - 1])
                continue
            if final:  # infeasibility is proven
                return None, info
            # Infeasible with these fixings: free the next 64 binaries by reduced cost, or more.
            larger = info.reduced[info.reduced > delta]
            k = min(63, len(larger) - 1)
            delta = max(delta * 16.0, float(np.partition(larger, k)[k]))

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
                room = cent_room(inst, amounts, totals, j, up=row.sense == GE)
                step = min(need, room)
                if step > 0:
                    delta = step if row.sense == GE else -step
                    amounts[j] += delta
                    for q in inst.item_rows[j]:
                        if not inst.rows[q].is_count:
                            totals[q] += delta
                    need -= step
    return amounts if inst.feasible(amounts) else None


def cent_room(inst: Instance, amounts: np.ndarray, totals: list[int], j: int, up: bool) -> int:
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
def relax_minimums(inst: Instance, model: Model) -> tuple[dict[int, int], np.ndarray]:
    """Lower the ge rows that no selection can meet, in constraint order; returns what remains.

    Model: the budget and every le row are hard. If some selection meets every ge row, nothing
    changes. Otherwise ge rows are taken in the order the caller listed the constraints: row k
    keeps the largest level any selection reaches while meeting rows 1..k-1 at their (possibly
    lowered) levels, the rows after k being ignored. An earlier constraint therefore has priority
    over a later one, and the order of the constraints does not matter when they can all be met.
    Returns ``{row: lowered rhs}`` (only rows that had to be lowered) and a selection in whole
    cents meeting the result.

    Each level is found by first asking whether the target itself is reachable (a feasibility
    question, usually quick); only when it is not, by maximising the row, exactly (a count row
    has whole values, so that search stops as soon as it reaches the LP bound rounded down).
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
        # max over selections of min(lhs, target) = min(max lhs, target): first whether the
        # target itself is reachable (a feasibility question), only then the maximum.
        set_row(inst, model, r, GE, targets[r])
        sol, _ = model.optimise(model.cost_objective(), floor=floor, any_feasible=True)
        cents = model.cents(sol.columns) if sol is not None else None
        if cents is not None:
            amounts = cents
            continue
        set_row(inst, model, r, GE, 0)
        granularity = 1.0 if inst.rows[r].is_count else 0.0
        sol, _ = model.optimise(model.row_objective(r), granularity=granularity)
        cents = model.cents(sol.columns) if sol is not None else None
        if cents is None:
            raise RuntimeError("selection: could not compute how far a minimum can be met")
        amounts = cents
        reached = min(inst.totals(amounts)[r], targets[r])
        set_row(inst, model, r, GE, reached)
        if reached < targets[r]:
            lowered[r] = reached
    return lowered, amounts
