"""The match-funding top-up: its guarantees as properties, and the cases a page explains."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pepiniere.engine import matchfunding as mf

cents = st.integers(min_value=0, max_value=10**9)
pledges = st.lists(st.integers(min_value=1, max_value=10**7), max_size=40)
ratios = st.tuples(st.integers(1, 5), st.integers(1, 5))
investments = st.none() | cents


def top_up(**kwargs: object) -> mf.TopUp:
    values: dict[str, object] = {
        "target_cents": 1_000_000,
        "pledges_cents": [1_000_000],
        "ratio": (1, 1),
        "cap_cents": 500_000,
        "pool_remaining_cents": 10**8,
    }
    values.update(kwargs)
    return mf.compute_top_up(**values)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    target=st.integers(1, 10**8),
    pledged=pledges,
    ratio=ratios,
    cap=cents,
    pool=cents,
    investment=investments,
    threshold=st.integers(1, 100),
)
def test_never_above_cap_pool_ratio_or_investment_and_zero_below_target(
    target: int,
    pledged: list[int],
    ratio: tuple[int, int],
    cap: int,
    pool: int,
    investment: int | None,
    threshold: int,
) -> None:
    result = mf.compute_top_up(
        target_cents=target,
        pledges_cents=pledged,
        ratio=ratio,
        cap_cents=cap,
        pool_remaining_cents=pool,
        investment_cents=investment,
        threshold_percent=threshold,
    )
    raised = sum(pledged)
    assert isinstance(result.cents, int)
    assert 0 <= result.cents <= cap
    assert result.cents <= pool
    # ratio × raised, in exact integers: cents × raised_part <= raised × region
    assert result.cents * ratio[1] <= raised * ratio[0]
    if investment is not None:
        assert result.cents <= investment
    if raised * 100 < target * threshold:
        assert result.cents == 0 and result.reason == mf.TARGET_MISSED
    assert result.refused == (result.reason in mf.REFUSALS)
    if result.refused:
        assert result.cents == 0
    # Whole cents, rounded down: one more cent would break the ratio or a bound.
    if not result.refused:
        assert (
            (result.cents + 1) * ratio[1] > raised * ratio[0]
            or result.cents == cap
            or result.cents == pool
            or result.cents == investment
        )


@settings(max_examples=200, deadline=None)
@given(pledged=pledges, ratio=ratios, data=st.data())
def test_independent_of_pledge_order(
    pledged: list[int], ratio: tuple[int, int], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(pledged))
    one = top_up(pledges_cents=pledged, ratio=ratio, target_cents=max(1, sum(pledged) // 2))
    other = top_up(pledges_cents=shuffled, ratio=ratio, target_cents=max(1, sum(pledged) // 2))
    assert one == other


def test_one_for_one_up_to_the_cap() -> None:
    assert top_up(pledges_cents=[400_000, 650_000]).cents == 500_000
    result = top_up(pledges_cents=[1_000_000], cap_cents=2_000_000)
    assert (result.cents, result.reason) == (1_000_000, mf.RATIO)


def test_three_for_one_flagship_and_one_for_three() -> None:
    assert top_up(ratio=(3, 1), cap_cents=1_500_000, pledges_cents=[400_000, 600_000]).cents == (
        1_500_000
    )
    # 1 € for 3 €: 10 000,01 € raised gives 3 333,33 € (rounded down to the cent).
    result = top_up(ratio=(1, 3), pledges_cents=[1_000_001], cap_cents=10**7)
    assert result.cents == 333_333 and result.reason == mf.RATIO


def test_all_or_nothing_at_the_target() -> None:
    missed = top_up(pledges_cents=[845_000])
    assert (missed.cents, missed.reason, missed.percent) == (0, mf.TARGET_MISSED, 84)
    just = top_up(pledges_cents=[999_999, 1])
    assert just.cents == 500_000 and just.percent == 100


def test_investment_only_and_pool_bounds() -> None:
    result = top_up(investment_cents=320_000)
    assert (result.cents, result.reason) == (320_000, mf.INVESTMENT_BINDING)
    assert top_up(investment_cents=0).reason == mf.NO_INVESTMENT
    short = top_up(pool_remaining_cents=120_000)
    assert (short.cents, short.reason, short.due_cents) == (120_000, mf.POOL_BINDING, 500_000)
    empty = top_up(pool_remaining_cents=0)
    assert (empty.cents, empty.reason, empty.due_cents) == (0, mf.POOL_EXHAUSTED, 500_000)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_cents": 0},
        {"target_cents": 10.5},
        {"pledges_cents": [100, -1]},
        {"pledges_cents": [100.0]},
        {"pledges_cents": [0]},
        {"pledges_cents": "100"},
        {"ratio": (1, 0)},
        {"ratio": (1,)},
        {"ratio": [1, 1]},
        {"cap_cents": -1},
        {"cap_cents": True},
        {"pool_remaining_cents": None},
        {"investment_cents": -5},
        {"threshold_percent": 0},
        {"threshold_percent": 101},
    ],
)
def test_malformed_input_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        top_up(**kwargs)


requests = st.lists(
    st.builds(
        lambda i, day, target, pledged, cap: mf.PoolRequest(
            id=i,
            ends_at=datetime.datetime(2026, 6, 1, 12) + datetime.timedelta(hours=day),
            target_cents=target,
            pledges_cents=pledged,
            ratio=(1, 1),
            cap_cents=cap,
        ),
        st.integers(0, 10**6),
        st.integers(0, 3),
        st.integers(1, 10**6),
        pledges,
        cents,
    ),
    max_size=12,
    unique_by=lambda r: r.id,
)


@settings(max_examples=200, deadline=None)
@given(batch=requests, pool=cents, data=st.data())
def test_pool_allocation_is_deterministic_and_never_overspends(
    batch: list[mf.PoolRequest], pool: int, data: st.DataObject
) -> None:
    allocated = mf.allocate_pool(batch, pool_cents=pool)
    assert sum(t.cents for t in allocated.values()) <= pool
    assert allocated == mf.allocate_pool(data.draw(st.permutations(batch)), pool_cents=pool)
    # Earliest end first: a campaign is only short of pool if every earlier one took its share.
    ordered = sorted(batch, key=lambda r: (r.ends_at, r.id))
    spent = 0
    for request in ordered:
        result = allocated[request.id]
        assert result.cents <= pool - spent
        spent += result.cents


def test_same_day_ties_go_by_id() -> None:
    same = datetime.datetime(2026, 6, 1, 23, 59)
    batch = [
        mf.PoolRequest(
            id=7,
            ends_at=same,
            target_cents=100,
            pledges_cents=[100_000],
            ratio=(1, 1),
            cap_cents=60_000,
        ),
        mf.PoolRequest(
            id=3,
            ends_at=same,
            target_cents=100,
            pledges_cents=[100_000],
            ratio=(1, 1),
            cap_cents=60_000,
        ),
    ]
    allocated = mf.allocate_pool(batch, pool_cents=100_000)
    assert allocated[3].cents == 60_000 and allocated[7].cents == 40_000
    assert allocated[7].reason == mf.POOL_BINDING
