"""Match-funding of crowdfunding campaigns: the regional top-up a campaign earns, in whole cents.

Model
-----
A campaign raises ``raised = Σ counted pledges`` against a ``target``. The rule that applies to it
(DESIGN.md, "Accelerator, labels, match-funded crowdfunding") gives:

- a ratio ``(region, raised)``: ``(1, 1)`` is 1 € of top-up for 1 € raised, ``(3, 1)`` 3 € for 1 €
  (flagship projects), ``(1, 3)`` 1 € for 3 € raised;
- all or nothing: nothing is paid below ``threshold_percent`` (100 by default) of the target,
  i.e. when ``raised × 100 < target × threshold_percent`` (integer arithmetic, no rounding);
- a cap per project;
- investment spending only: when the rule matches investment only, the top-up never exceeds the
  investment expenses the campaign declared (``investment_cents``; ``None`` when the rule matches
  every expense);
- the pool: never more than what remains of the pool's budget (``pool_remaining_cents``). A pool
  that cannot cover the whole top-up pays what it still holds (« dans la limite des crédits
  disponibles »); an empty pool refuses.

The top-up is ``min(raised × region // raised_part, cap, investment, pool)``: the ratio's product
is rounded down to the cent (the funder never pays a fraction of a cent it did not promise), every
other bound is already in cents. The result says which bound decided (``reason``), so a page can
explain it.

Raised counts every counted pledge, above the target too (an over-funded campaign earns more, up
to the cap). Pledges are summed, so the result does not depend on their order.

:func:`allocate_pool` shares one pool between campaigns that close together: in order of end time
then id (the earliest-ending first, a fixed tie-break), each takes its top-up from what the
previous ones left; the sum never exceeds the pool.

Inputs are plain integers; anything else (floats, booleans, negatives, a zero ratio part, a
non-positive target) raises ``ValueError``. Pure and deterministic: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

# Reason codes, from the first bound that decided (refusals first).
TARGET_MISSED = "target_missed"  # refused: below the threshold of the target
NO_INVESTMENT = "no_investment"  # refused: investment only, and no investment declared
POOL_EXHAUSTED = "pool_exhausted"  # refused: nothing left in the pool
POOL_BINDING = "pool_binding"  # paid: what the pool still held, less than due
CAP_BINDING = "cap_binding"  # paid: the cap per project
INVESTMENT_BINDING = "investment_binding"  # paid: the declared investment expenses
RATIO = "ratio"  # paid: the ratio applied to what was raised, no other bound reached

REFUSALS = frozenset({TARGET_MISSED, NO_INVESTMENT, POOL_EXHAUSTED})


@dataclass(frozen=True)
class TopUp:
    """The top-up a campaign earns. ``cents`` is 0 exactly when ``reason`` is a refusal.
    ``due_cents`` is what the rule gives before the pool (what a full pool would pay)."""

    cents: int
    reason: str
    raised_cents: int
    target_cents: int
    percent: int  # of the target reached, rounded down
    due_cents: int

    @property
    def refused(self) -> bool:
        return self.reason in REFUSALS


def _whole(name: str, value: object, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer number of cents, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'at least 0'}, got {value}")
    return value


def check_ratio(ratio: object) -> tuple[int, int]:
    """The ratio as ``(region, raised)`` positive integers, or ValueError."""
    if not isinstance(ratio, tuple) or len(ratio) != 2:
        raise ValueError(f"ratio must be a pair (region, raised), got {ratio!r}")
    return (
        _whole("ratio region part", ratio[0], positive=True),
        _whole("ratio raised part", ratio[1], positive=True),
    )


def compute_top_up(
    *,
    target_cents: int,
    pledges_cents: Iterable[int],
    ratio: tuple[int, int],
    cap_cents: int,
    pool_remaining_cents: int,
    investment_cents: int | None = None,
    threshold_percent: int = 100,
) -> TopUp:
    """The top-up of one campaign (see the module's model). ``pledges_cents`` are the counted
    pledges only (refunded and failed payments are the caller's to leave out)."""
    target = _whole("target_cents", target_cents, positive=True)
    region, raised_part = check_ratio(ratio)
    cap = _whole("cap_cents", cap_cents)
    pool = _whole("pool_remaining_cents", pool_remaining_cents)
    investment = None if investment_cents is None else _whole("investment_cents", investment_cents)
    threshold = _whole("threshold_percent", threshold_percent, positive=True)
    if threshold > 100:
        raise ValueError(f"threshold_percent is at most 100, got {threshold}")
    if isinstance(pledges_cents, (str, bytes)):
        raise ValueError("pledges_cents must be an iterable of integers")
    raised = sum(_whole("pledge", p, positive=True) for p in pledges_cents)
    percent = raised * 100 // target

    def result(cents: int, reason: str, due: int) -> TopUp:
        return TopUp(cents, reason, raised, target, percent, due)

    if raised * 100 < target * threshold:
        return result(0, TARGET_MISSED, 0)
    if investment == 0:
        return result(0, NO_INVESTMENT, 0)
    by_ratio = raised * region // raised_part
    due, reason = by_ratio, RATIO
    if cap < due:
        due, reason = cap, CAP_BINDING
    if investment is not None and investment < due:
        due, reason = investment, INVESTMENT_BINDING
    if pool == 0 and due > 0:
        return result(0, POOL_EXHAUSTED, due)
    if pool < due:
        return result(pool, POOL_BINDING, due)
    return result(due, reason, due)


@dataclass(frozen=True)
class PoolRequest:
    """One campaign closing on the pool: its end time (any comparable value: an aware datetime,
    an ISO string, a timestamp) and id order the allocation; the rest are compute_top_up's."""

    id: Hashable
    ends_at: object
    target_cents: int
    pledges_cents: Sequence[int]
    ratio: tuple[int, int]
    cap_cents: int
    investment_cents: int | None = None
    threshold_percent: int = 100


def allocate_pool(requests: Iterable[PoolRequest], *, pool_cents: int) -> dict[Hashable, TopUp]:
    """Each campaign's top-up from one shared pool, earliest end first, then by id; the sum of
    the top-ups never exceeds ``pool_cents``. Deterministic whatever the order of ``requests``."""
    remaining = _whole("pool_cents", pool_cents)
    ordered = sorted(requests, key=lambda r: (r.ends_at, r.id))
    ids = [r.id for r in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("every campaign appears once")
    out: dict[Hashable, TopUp] = {}
    for request in ordered:
        top_up = compute_top_up(
            target_cents=request.target_cents,
            pledges_cents=request.pledges_cents,
            ratio=request.ratio,
            cap_cents=request.cap_cents,
            pool_remaining_cents=remaining,
            investment_cents=request.investment_cents,
            threshold_percent=request.threshold_percent,
        )
        remaining -= top_up.cents
        out[request.id] = top_up
    return out
