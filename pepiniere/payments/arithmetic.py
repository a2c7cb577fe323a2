"""Instalment arithmetic in whole cents (pure Python, no Django): the schedule's amounts, the
final instalment, the recovery on termination and the split of a payment between co-funders.

Every function takes and returns integer cents; percentages and aid rates are Decimals (70.00 for
70 %). Rounding always goes down to the cent, so that nothing computed is ever above what the
rule allows; the last element of a split absorbs what the rounding left, so that a split always
adds up exactly to its total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal

HUNDRED = Decimal(100)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def schedule_amounts(total_cents: int, percents: Sequence[Decimal]) -> list[int]:
    """The amount of each step of a schedule: percent × total, rounded down to the cent, the last
    step taking the rest, so that the amounts add up exactly to the total. The percents must be
    positive or zero and add up to 100."""
    if total_cents < 0:
        raise ValueError("total_cents must not be negative")
    if not percents:
        raise ValueError("a schedule has at least one step")
    if any(p < 0 for p in percents) or sum(percents, Decimal(0)) != HUNDRED:
        raise ValueError("the percents must be positive and add up to 100")
    return split_by_weights(total_cents, percents)


def split_by_weights(total_cents: int, weights: Sequence[Decimal | int]) -> list[int]:
    """`total_cents` split in proportion to `weights` (not all zero), each part rounded down to
    the cent and the last non-zero weight taking the rest: the parts add up exactly to the
    total and none is negative."""
    if total_cents < 0:
        raise ValueError("total_cents must not be negative")
    weight_sum = sum((Decimal(w) for w in weights), Decimal(0))
    if not weights or weight_sum <= 0 or any(Decimal(w) < 0 for w in weights):
        raise ValueError("weights must be positive, not all zero")
    parts = [_floor(Decimal(total_cents) * Decimal(w) / weight_sum) for w in weights]
    last = max(i for i, w in enumerate(weights) if Decimal(w) > 0)
    parts[last] += total_cents - sum(parts)
    return parts


def split_largest_remainder(total_cents: int, weights: Sequence[int]) -> list[int]:
    """`total_cents` split in proportion to integer `weights` by the largest remainder method:
    each part is its exact share rounded down or up (never beyond), the parts add up to the
    total, and the cents left go to the largest remainders (ties: the earlier weight)."""
    weight_sum = sum(weights)
    if total_cents < 0 or not weights or weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValueError("a positive total and positive weights, not all zero")
    quotients = [divmod(total_cents * w, weight_sum) for w in weights]
    parts = [q for q, _r in quotients]
    left = total_cents - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-quotients[i][1], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def justified_cents(*, award_cents: int, aid_rate: Decimal, accepted_eligible_cents: int) -> int:
    """What the accepted expenses justify: min(award, aid rate × accepted eligible expenses),
    rounded down to the cent."""
    if not (Decimal(0) <= aid_rate <= HUNDRED):
        raise ValueError("the aid rate is a percentage between 0 and 100")
    earned = _floor(Decimal(max(accepted_eligible_cents, 0)) * aid_rate / HUNDRED)
    return min(award_cents, earned)


def final_instalment_cents(
    *, award_cents: int, aid_rate: Decimal, accepted_eligible_cents: int, already_paid_cents: int
) -> int:
    """DESIGN.md: the final instalment is min(award, aid rate × accepted eligible expenses) −
    already paid. Negative means the beneficiary was paid more than its expenses justify: the
    opposite of the result is the recovery to raise (never a negative payment)."""
    justified = justified_cents(
        award_cents=award_cents,
        aid_rate=aid_rate,
        accepted_eligible_cents=accepted_eligible_cents,
    )
    return justified - already_paid_cents


def termination_recovery_cents(
    *, award_cents: int, aid_rate: Decimal, accepted_eligible_cents: int, paid_cents: int
) -> int:
    """On termination: what was paid beyond what the accepted expenses justify (0 when none)."""
    return max(
        0,
        -final_instalment_cents(
            award_cents=award_cents,
            aid_rate=aid_rate,
            accepted_eligible_cents=accepted_eligible_cents,
            already_paid_cents=paid_cents,
        ),
    )


def funder_parts(
    *, shares_cents: Mapping[int, int], paid_before_cents: int, amount_cents: int
) -> dict[int, int]:
    """How a payment of `amount_cents` (after `paid_before_cents` already paid on the award)
    counts against each co-funder's share of the award (funder id → share in cents).

    The parts are taken cumulatively: part = split(paid before + amount) − split(paid before),
    where split(x) divides x in proportion to the shares. So the payments of an award add up,
    funder by funder, to exactly that funder's share once the award is paid in full, and a
    funder's cumulative part never exceeds its share while the total paid stays within the award.
    A negative `amount_cents` (money recovered) gives the parts to take back."""
    funders = sorted(shares_cents)
    weights = [shares_cents[f] for f in funders]
    after = paid_before_cents + amount_cents
    if paid_before_cents < 0 or after < 0:
        raise ValueError("the paid total must stay positive")
    before_split = split_largest_remainder(paid_before_cents, weights)
    after_split = split_largest_remainder(after, weights)
    return {f: after_split[i] - before_split[i] for i, f in enumerate(funders)}
