"""Who gets funded within the envelope: four selection rules over scored proposals.

Model
-----
Each proposal has a score (higher is better), a request in whole cents and optionally
``min_cents``: then it may be funded any whole number of cents in ``[min_cents, requested_cents]``
("partial funding"); otherwise in full or not at all. ``fundable=False`` means it is below a
threshold: it is never funded and gets the reason "below threshold". Money is always integer
cents; scores may be floats.

Rank order: score descending, then ``rank_key`` ascending (the call's tie-break keys, e.g.
``(-jury_votes, submitted_at)``: tuples compared element by element, so all keys of one call
must be comparable), then ``id`` ascending (ids of one call must be all ``str`` or all ``int``).

A :class:`Constraint` applies to the proposals whose ``tags[tag]`` equals ``value``; a
list/tuple/set/frozenset ``value`` means "any of these values" (``("24", "40", "47", "64")``
= "outside Gironde"), and ``value=None`` means every proposal (e.g. ``max_count`` 6 for an
accelerator cohort). A proposal without the tag is not matched. Kinds, over funded proposals:

- ``max_cents`` / ``min_cents``: funded cents ``<=`` / ``>=`` ``amount`` (int cents);
- ``max_count`` / ``min_count``: number funded (partially or fully) ``<=`` / ``>=`` ``amount``;
- ``max_share``: funded cents ``<= amount x budget``, ``amount`` a fraction of the budget kept as
  an exact :class:`~fractions.Fraction` (give a Fraction, Decimal, int, ``"0.4"`` or a float,
  which is read by its shortest decimal form: ``0.4`` is exactly 2/5). Compared exactly in
  cents: a total of exactly 20 % of the budget meets a 0.2 share.

Rules
-----
- ``"greedy"``: rank order; each proposal gets the most the budget and the max-type constraints
  still allow ("the remaining amount"), if that reaches its minimum: so in full when it fits,
  otherwise the remaining amount when that is at least ``min_cents``.
- ``"greedy-stop"``: the same, but stops at the first proposal the *budget* cannot fund; a
  proposal blocked only by a cap is skipped as in "greedy". (The participatory-budgeting variant.)
- ``"ranked"``: the best selection in rank order among all that meet the budget and every
  constraint, minimums included: the best-ranked proposal is funded if some such selection
  funds it, then the next given that decision, and so on. Its amount is the first that some
  such selection allows among: the remaining amount at its turn (its full request when it
  fits), its ``min_cents``, any amount in between (largest first). Under max-type constraints
  alone it is exactly "greedy" (and computed that way); with minimums it funds the best-ranked
  proposals that still leave the minimums reachable. Exact, every decision proven: see
  :class:`~pepiniere.engine._selection_ranked.RankedSearch`.
- ``"max-score"``: exact MILP (HiGHS, gap 0) maximising ``sum(score x funded / requested)``;
  partially fundable proposals have a continuous share and an on/off binary. Ties (objectives
  within 1e-9 relative) go to the selection that funds better-ranked proposals, see
  :func:`~pepiniere.engine._selection_max_score.max_score`.

Greedy rules never look at minimum constraints: the ones they miss are listed in ``.unmet``.
When no selection can meet every minimum, "ranked" and "max-score" keep the budget and every
max-type constraint hard and lower the minimums in the order the constraints were given: each
keeps the highest level reachable while the earlier ones keep theirs; ``.unmet`` says which and
by how much, then the rule applies as usual. Partial amounts found by the MILP are rounded to
whole cents (checked exactly afterwards), which can cost at most a cent per partial proposal.

Every proposal gets a reason (``.reasons`` text, ``.reason_codes`` machine code from
:data:`REASON_CODES`, ``.reason_params`` for the UI). "It would have been funded without
constraint Y" is said when, at its turn, it fits the budget and every other constraint.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from pepiniere.engine._selection_max_score import max_score
from pepiniere.engine._selection_model import (
    GE,
    LE,
    Instance,
    Model,
    Row,
    relax_minimums,
    set_row,
)
from pepiniere.engine._selection_ranked import Decision, RankedSearch, greedy

ProposalId = str | int

RULES = ("ranked", "max-score", "greedy", "greedy-stop")
CONSTRAINT_KINDS = ("max_cents", "min_cents", "max_count", "min_count", "max_share")
REASON_CODES = {
    "funded": "funded in full",
    "partially_funded": "funded part of the request",
    "below_threshold": "below a threshold: never funded",
    "budget_exhausted": "the budget left could not fund it",
    "constraint_binding": "a max-type constraint (cap) was binding",
    "held_for_minimum": "the budget left was needed to meet a minimum constraint",
    "not_reached": "greedy-stop ended before its turn",
    "not_selected": "not in the score-maximising selection although it fits",
}


@dataclass(frozen=True)
class Proposal:
    """One application as the engine sees it. ``note`` is free text for the below-threshold
    reason (e.g. "overall score 9.5 < 10")."""

    id: ProposalId
    score: float
    requested_cents: int
    min_cents: int | None = None
    fundable: bool = True
    tags: Mapping[str, Any] = field(default_factory=dict, hash=False)
    rank_key: tuple = ()
    note: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.id, bool) or not isinstance(self.id, str | int):
            raise ValueError(f"proposal id must be a str or an int, not {self.id!r}")
        if isinstance(self.score, bool) or not isinstance(self.score, int | float):
            raise ValueError(f"proposal {self.id!r}: score must be a number")
        if not math.isfinite(self.score):
            raise ValueError(f"proposal {self.id!r}: score must be finite")
        _check_cents(self.requested_cents, f"proposal {self.id!r}: requested_cents", minimum=1)
        if self.min_cents is not None:
            _check_cents(self.min_cents, f"proposal {self.id!r}: min_cents", minimum=1)
            if self.min_cents > self.requested_cents:
                raise ValueError(f"proposal {self.id!r}: min_cents exceeds requested_cents")
        object.__setattr__(self, "tags", dict(self.tags))
        object.__setattr__(self, "rank_key", tuple(self.rank_key))

    @property
    def lowest_cents(self) -> int:
        """The smallest amount it can be funded."""
        return self.requested_cents if self.min_cents is None else self.min_cents


@dataclass(frozen=True)
class Constraint:
    """A cap or a minimum on the proposals matching ``tags[tag] == value`` (see the module doc)."""

    tag: str
    value: Any
    kind: str
    amount: int | Fraction
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CONSTRAINT_KINDS:
            raise ValueError(
                f"constraint kind must be one of {CONSTRAINT_KINDS}, not {self.kind!r}"
            )
        if isinstance(self.value, list | tuple | set | frozenset):
            object.__setattr__(self, "value", frozenset(self.value))
        if self.kind == "max_share":
            object.__setattr__(self, "amount", _fraction(self.amount))
        else:
            _check_cents(self.amount, f"constraint {self.tag}={self.value!r}: amount", minimum=0)

    @property
    def is_minimum(self) -> bool:
        return self.kind in ("min_cents", "min_count")

    def matches(self, proposal: Proposal) -> bool:
        if self.value is None:
            return True
        if self.tag not in proposal.tags:
            return False
        tag_value = proposal.tags[self.tag]
        if isinstance(self.value, frozenset):
            return tag_value in self.value
        return bool(tag_value == self.value)

    def describe(self) -> str:
        """A short English sentence fragment naming the constraint (``label`` when given)."""
        if self.label:
            return self.label
        if self.value is None:
            scope = "all proposals"
        elif isinstance(self.value, frozenset):
            scope = f"{self.tag} in {{{', '.join(sorted(map(str, self.value)))}}}"
        else:
            scope = f"{self.tag} = {self.value}"
        if self.kind == "max_share":
            return f"at most {_percent(Fraction(self.amount))} of the budget for {scope}"
        bound = "at most" if self.kind.startswith("max") else "at least"
        if self.kind.endswith("count"):
            return f"{bound} {self.amount} funded for {scope}"
        return f"{bound} {euros(int(self.amount))} for {scope}"


@dataclass(frozen=True)
class Unmet:
    """A minimum constraint the selection does not meet; ``shortfall`` in its unit (cents or
    proposals)."""

    constraint: Constraint
    shortfall: int
    message: str


@dataclass(frozen=True)
class Selection:
    rule: str
    budget_cents: int
    funded: dict[ProposalId, int]  # in rank order
    reserve: list[ProposalId]  # unfunded fundable proposals, in rank order
    total_cents: int
    objective: float  # sum of score x funded / requested
    rank: dict[ProposalId, int]  # 1-based position in rank order (all proposals)
    unmet: list[Unmet]
    reasons: dict[ProposalId, str]
    reason_codes: dict[ProposalId, str]
    reason_params: dict[ProposalId, dict[str, Any]]
    per_tag: dict[tuple[str, Any], tuple[int, int]]  # (tag, value) -> (funded cents, count)
    solver_calls: int = 0  # HiGHS MILP solves used (0 for the greedy rules)


def select(
    proposals: Iterable[Proposal],
    budget_cents: int,
    rule: str = "ranked",
    constraints: Iterable[Constraint] = (),
) -> Selection:
    """Choose what to fund within ``budget_cents`` under ``rule`` and ``constraints``.

    Deterministic: the same proposals in any order give the same result. Raises ``ValueError``
    on malformed input (duplicate ids, negative amounts, unknown rule); never for constraints
    that cannot be met, which are reported in ``.unmet``.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, not {rule!r}")
    _check_cents(budget_cents, "budget_cents", minimum=0)
    proposals = list(proposals)
    constraints = list(constraints)
    ids = [p.id for p in proposals]
    if len(set(ids)) != len(ids):
        raise ValueError("proposal ids must be unique")
    try:
        ordered = sorted(proposals, key=lambda p: (-p.score, p.rank_key, p.id))
    except TypeError as exc:
        raise ValueError("rank_key tuples and ids must be comparable within a call") from exc
    candidates = [p for p in ordered if p.fundable]
    inst = _compile(candidates, budget_cents, constraints)
    targets = [row.rhs for row in inst.rows]
    solver_calls = 0
    decisions: list[Decision] | None = None
    if rule in ("greedy", "greedy-stop"):
        decisions = greedy(inst, stop=rule == "greedy-stop")
        amounts = _amounts(decisions)
    elif not candidates:
        amounts = np.zeros(0, dtype=np.int64)
        decisions = []
        for r, row in enumerate(inst.rows):
            if row.sense == GE:
                set_row(inst, None, r, GE, 0)
    elif rule == "ranked":
        decisions = greedy(inst, stop=False)
        amounts = _amounts(decisions)
        if not inst.feasible(amounts):
            model = Model(inst)
            _, witness = relax_minimums(inst, model)
            if not inst.feasible(amounts):
                decisions = RankedSearch(inst, model, witness).run()
                amounts = _amounts(decisions)
            solver_calls = model.milp_solves
    else:
        model = Model(inst)
        best = max_score(inst, model)
        if best is None:  # only when some minimum cannot be met
            relax_minimums(inst, model)
            best = max_score(inst, model)
        if best is None:
            raise RuntimeError("selection: max-score found no selection meeting the constraints")
        amounts = best
        solver_calls = model.milp_solves
    if not inst.feasible(amounts) and not _only_minimums_broken(inst, amounts, rule):
        raise RuntimeError("selection: internal error, the result breaks a hard constraint")
    return _result(
        rule,
        budget_cents,
        ordered,
        candidates,
        inst,
        targets,
        amounts,
        decisions,
        constraints,
        solver_calls,
    )


# ------------------------------------------------------------------------------------------------
# compiling and helpers
# ------------------------------------------------------------------------------------------------
def _check_cents(value: object, what: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{what} must be an integer number of cents, not {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}")


def _fraction(amount: object) -> Fraction:
    if isinstance(amount, bool):
        raise ValueError("max_share amount must be a fraction of the budget")
    if isinstance(amount, float):
        value = Fraction(repr(amount))
    elif isinstance(amount, Fraction | Decimal | int | str):
        value = Fraction(amount)
    else:
        raise ValueError(f"max_share amount must be a fraction of the budget, not {amount!r}")
    if not 0 <= value <= 1:
        raise ValueError("max_share amount must be between 0 and 1")
    return value


def _percent(share: Fraction) -> str:
    pct = share * 100
    if pct.denominator == 1:
        return f"{pct.numerator} %"
    return f"{float(pct):.4g} %"


def euros(cents: int) -> str:
    """``1234567`` -> ``"12 345.67 €"`` (the UI formats money itself; this is for log text)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{rest:02d} €".replace(",", " ")


def _compile(candidates: list[Proposal], budget: int, constraints: list[Constraint]) -> Instance:
    n = len(candidates)
    rows = [Row(False, LE, budget, np.arange(n), None)]
    by_value = _index_by_tag(candidates, {c.tag for c in constraints if c.value is not None})
    for c in constraints:
        members = _matching(c, by_value, n)
        if c.kind == "max_share":
            share = Fraction(c.amount)
            rhs = share.numerator * budget // share.denominator
        else:
            rhs = int(c.amount)
        is_count = c.kind.endswith("count")
        sense = GE if c.is_minimum else LE
        rows.append(Row(is_count, sense, rhs, members, c))
    return Instance(
        requested=np.array([p.requested_cents for p in candidates], dtype=np.int64),
        minimum=np.array([p.lowest_cents for p in candidates], dtype=np.int64),
        score=np.array([float(p.score) for p in candidates], dtype=np.float64),
        rows=rows,
    )


def _index_by_tag(proposals: list[Proposal], tags: set[str]) -> dict[str, dict[Any, list[int]]]:
    """``{tag: {value: [positions of the proposals with that value]}}``, in one pass."""
    out: dict[str, dict[Any, list[int]]] = {tag: {} for tag in tags}
    for j, p in enumerate(proposals):
        for tag, index in out.items():
            if tag in p.tags:
                index.setdefault(p.tags[tag], []).append(j)
    return out


def _matching(c: Constraint, by_value: dict[str, dict[Any, list[int]]], n: int) -> np.ndarray:
    """Positions of the proposals ``c`` applies to, increasing (same rule as ``c.matches``)."""
    if c.value is None:
        return np.arange(n)
    index = by_value[c.tag]
    values = c.value if isinstance(c.value, frozenset) else [c.value]
    found = [j for v in values for j in index.get(v, [])]
    return np.array(sorted(found), dtype=np.int64)


def _amounts(decisions: list[Decision]) -> np.ndarray:
    return np.array([d.amount for d in decisions], dtype=np.int64)


def _only_minimums_broken(inst: Instance, amounts: np.ndarray, rule: str) -> bool:
    """Greedy rules may leave minimums unmet; nothing may ever break the budget or a cap."""
    if rule not in ("greedy", "greedy-stop"):
        return False
    totals = inst.totals(amounts)
    return all(
        row.sense == GE or total <= row.rhs for row, total in zip(inst.rows, totals, strict=True)
    )


# ------------------------------------------------------------------------------------------------
# the result and its reasons
# ------------------------------------------------------------------------------------------------
def _result(
    rule: str,
    budget: int,
    ordered: list[Proposal],
    candidates: list[Proposal],
    inst: Instance,
    targets: list[int],
    amounts: np.ndarray,
    decisions: list[Decision] | None,
    constraints: list[Constraint],
    solver_calls: int,
) -> Selection:
    rank = {p.id: k + 1 for k, p in enumerate(ordered)}
    funded = {p.id: int(a) for p, a in zip(candidates, amounts.tolist(), strict=True) if a > 0}
    reserve = [p.id for p, a in zip(candidates, amounts.tolist(), strict=True) if a == 0]
    reserve_position = {pid: k + 1 for k, pid in enumerate(reserve)}
    totals = inst.totals(amounts)
    unmet = []
    for r, row in enumerate(inst.rows):
        if isinstance(row.source, Constraint) and row.source.is_minimum and totals[r] < targets[r]:
            unmet.append(_unmet(row.source, targets[r], totals[r], rule))
    stop_rank = None
    if rule == "greedy-stop" and decisions is not None:
        stop_rank = next(
            (rank[p.id] for p, d in zip(candidates, decisions, strict=True) if d.cause == "budget"),
            None,
        )
    codes: dict[ProposalId, str] = {}
    texts: dict[ProposalId, str] = {}
    params: dict[ProposalId, dict[str, Any]] = {}
    for p in ordered:
        if not p.fundable:
            codes[p.id] = "below_threshold"
            texts[p.id] = "Below threshold." + (f" {p.note}" if p.note else "")
            params[p.id] = {"rank": rank[p.id], "note": p.note}
    for j, p in enumerate(candidates):
        base = {"rank": rank[p.id], "requested_cents": p.requested_cents}
        if decisions is not None:
            code, text, extra = _sequential_reason(inst, j, p, decisions[j], rank, stop_rank)
        else:
            code, text, extra = _final_state_reason(inst, j, p, int(amounts[j]), totals, rank)
        if p.id in reserve_position:
            extra["reserve_position"] = reserve_position[p.id]
            text += f" Reserve position {reserve_position[p.id]}."
        codes[p.id], texts[p.id], params[p.id] = code, text, base | extra
    return Selection(
        rule=rule,
        budget_cents=budget,
        funded=funded,
        reserve=reserve,
        total_cents=int(amounts.sum()),
        objective=math.fsum(
            p.score * a / p.requested_cents
            for p, a in zip(candidates, amounts.tolist(), strict=True)
            if a
        ),
        rank=rank,
        unmet=unmet,
        reasons={pid: texts[pid] for pid in rank},
        reason_codes={pid: codes[pid] for pid in rank},
        reason_params={pid: params[pid] for pid in rank},
        per_tag=_per_tag(ordered, funded, constraints),
        solver_calls=solver_calls,
    )


def _unmet(c: Constraint, target: int, reached: int, rule: str) -> Unmet:
    short = target - reached
    if c.kind == "min_count":
        amounts = f"{reached} funded, {short} short"
    else:
        amounts = f"{euros(reached)} funded, {euros(short)} short"
    if rule in ("greedy", "greedy-stop"):
        why = f"the {rule} pass does not meet it"
    else:
        why = "no selection meets it within the budget and the earlier constraints"
    return Unmet(c, short, f"Minimum not met: {c.describe()} ({amounts}); {why}.")


def _names(inst: Instance, rows: Iterable[int]) -> list[str]:
    return [_describe(inst.rows[r].source) for r in rows if inst.rows[r].source is not None]


@functools.lru_cache(maxsize=1024)
def _describe(c: Constraint) -> str:
    return c.describe()


def _funded_reason(
    p: Proposal, amount: int, rank: int, limits: list[str], by_minimum: bool
) -> tuple[str, str, dict[str, Any]]:
    extra: dict[str, Any] = {"amount_cents": amount}
    if amount == p.requested_cents:
        return "funded", f"Funded in full at rank {rank}: {euros(amount)}.", extra
    if by_minimum:
        why = "the rest is needed to meet " + " and ".join(limits)
    elif limits:
        why = "limited by " + " and ".join(limits)
    else:
        why = "limited by the budget left"
    extra["constraints"] = limits
    text = f"Partially funded at rank {rank}: {euros(amount)} of {euros(p.requested_cents)}, {why}."
    return "partially_funded", text, extra


def _sequential_reason(
    inst: Instance,
    j: int,
    p: Proposal,
    d: Decision,
    rank: dict[ProposalId, int],
    stop_rank: int | None,
) -> tuple[str, str, dict[str, Any]]:
    n = rank[p.id]
    left = {"budget_left_cents": d.room}
    if d.cause == "funded":
        rows = [r for r in d.rows if r != 0]
        return _funded_reason(p, d.amount, n, _names(inst, rows), d.by_minimum)
    if d.cause == "budget":
        text = (
            f"Budget exhausted at rank {n}: {euros(d.room)} left, {euros(p.lowest_cents)} needed."
        )
        return "budget_exhausted", text, left
    if d.cause == "not_reached":
        return "not_reached", f"Not considered: the list stopped at rank {stop_rank}.", left
    if d.cause == "cap":
        names = _names(inst, d.rows)
        text = f"Not funded at rank {n}: {' and '.join(names)} binding."
        without = names[0] if len(names) == 1 else None
        if without:
            text += " It would have been funded without this constraint."
        return "constraint_binding", text, left | {"constraints": names, "without": without}
    # "minimum": it fitted the budget and every cap, but no feasible selection funds it.
    pending = [r for r in d.rows if r not in inst.item_rows[j]] or list(d.rows)
    names = _names(inst, pending)
    text = f"Not funded at rank {n}: the budget left ({euros(d.room)}) is needed to meet "
    text += " and ".join(names) + "."
    without = names[0] if len(d.rows) == 1 else None
    if without:
        text += " It would have been funded without this constraint."
    return "held_for_minimum", text, left | {"constraints": names, "without": without}


def _final_state_reason(
    inst: Instance,
    j: int,
    p: Proposal,
    amount: int,
    totals: list[int],
    rank: dict[ProposalId, int],
) -> tuple[str, str, dict[str, Any]]:
    """Reasons for max-score, which has no "turn": judged against the final selection."""
    n = rank[p.id]
    if amount:
        limits = []
        if amount < p.requested_cents:
            limits = _names(inst, [r for r in inst.item_rows[j] if r and _le_full(inst, r, totals)])
        return _funded_reason(p, amount, n, limits, by_minimum=False)
    left = inst.budget - totals[0]
    extra: dict[str, Any] = {"budget_left_cents": left}
    prefix = "Not in the score-maximising selection"
    if p.lowest_cents > left:
        text = f"{prefix}: {euros(left)} of the budget left, {euros(p.lowest_cents)} needed."
        return "budget_exhausted", text, extra
    blocking = []
    for r in inst.item_rows[j]:
        row = inst.rows[r]
        if r == 0 or row.sense != LE:
            continue
        if (row.is_count and totals[r] + 1 > row.rhs) or (
            not row.is_count and row.rhs - totals[r] < p.lowest_cents
        ):
            blocking.append(r)
    if blocking:
        names = _names(inst, blocking)
        without = names[0] if len(names) == 1 else None
        text = f"{prefix}: {' and '.join(names)} binding."
        if without:
            text += " It would have been funded without this constraint."
        return "constraint_binding", text, extra | {"constraints": names, "without": without}
    return "not_selected", f"{prefix}: funding it would not raise the total score.", extra


def _le_full(inst: Instance, r: int, totals: list[int]) -> bool:
    row = inst.rows[r]
    return row.sense == LE and not row.is_count and totals[r] == row.rhs


def _per_tag(
    ordered: list[Proposal], funded: dict[ProposalId, int], constraints: list[Constraint]
) -> dict[tuple[str, Any], tuple[int, int]]:
    """Funded cents and count for every value of every constrained tag, and for every
    constraint's own set of values (a frozenset, or None for "all proposals")."""
    chosen = [p for p in ordered if p.id in funded]
    tags = {c.tag for c in constraints if c.value is not None}
    every = _index_by_tag(ordered, tags)
    picked = _index_by_tag(chosen, tags)
    out: dict[tuple[str, Any], tuple[int, int]] = {}
    for tag in sorted(tags):
        for value in sorted(every[tag], key=lambda v: (type(v).__name__, str(v))):
            positions = picked[tag].get(value, [])
            out[(tag, value)] = (sum(funded[chosen[j].id] for j in positions), len(positions))
    for c in constraints:
        if (c.value is None or isinstance(c.value, frozenset)) and (c.tag, c.value) not in out:
            if c.value is None:
                group = chosen
            else:
                group = [chosen[j] for j in _matching(c, picked, len(chosen)).tolist()]
            out[(c.tag, c.value)] = (sum(funded[p.id] for p in group), len(group))
    return out
