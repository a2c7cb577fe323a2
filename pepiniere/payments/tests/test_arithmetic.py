"""The instalment arithmetic as properties: whole cents, never above the award, schedules and
splits that add up exactly."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pepiniere.payments import arithmetic as a

cents = st.integers(min_value=0, max_value=10**13)
rates = st.decimals(min_value=0, max_value=100, places=2)


@st.composite
def percent_lists(draw):
    """Percents with two decimals adding up to 100 (a schedule as a call sets it)."""
    n = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10000]
    return [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(n)]


@settings(max_examples=300, deadline=None)
@given(total=cents, percents=percent_lists())
def test_a_schedule_adds_up_exactly_to_the_award_in_whole_non_negative_cents(total, percents):
    amounts = a.schedule_amounts(total, percents)
    assert sum(amounts) == total
    assert all(x >= 0 for x in amounts)
    # Every step but the last (non-zero) one is percent × total rounded down.
    last = max(i for i, p in enumerate(percents) if p > 0)
    for amount, percent in zip(amounts[:last], percents[:last], strict=True):
        exact = Decimal(total) * percent / 100
        assert exact - 1 < amount <= exact


def test_the_usual_schedule_of_an_odd_amount_gives_its_rounding_to_the_last_step():
    assert a.schedule_amounts(3333333, [Decimal(50), Decimal(30), Decimal(20)]) == [
        1666666,
        999999,
        666668,
    ]


def test_a_schedule_that_does_not_add_up_to_100_is_refused():
    with pytest.raises(ValueError):
        a.schedule_amounts(1000, [Decimal(50), Decimal(30)])


@settings(max_examples=300, deadline=None)
@given(award=cents, rate=rates, accepted=cents, paid=cents)
def test_the_final_instalment_never_takes_the_total_above_the_award(award, rate, accepted, paid):
    final = a.final_instalment_cents(
        award_cents=award, aid_rate=rate, accepted_eligible_cents=accepted, already_paid_cents=paid
    )
    assert isinstance(final, int)
    if final > 0:
        assert paid + final <= award
        # and never above what the expenses justify
        assert paid + final <= Decimal(accepted) * rate / 100
    recovery = a.termination_recovery_cents(
        award_cents=award, aid_rate=rate, accepted_eligible_cents=accepted, paid_cents=paid
    )
    assert recovery == max(0, -final)


def test_the_final_instalment_is_pro_rata_of_the_accepted_expenses():
    # 40 000 € at 70 % of 50 000 € of eligible expenses; 36 000 € accepted → 25 200 € earned,
    # 28 000 € already paid → 2 800 € to recover.
    final = a.final_instalment_cents(
        award_cents=4_000_000,
        aid_rate=Decimal("70.00"),
        accepted_eligible_cents=3_600_000,
        already_paid_cents=2_800_000,
    )
    assert final == -280_000
    # all expenses accepted: min(award, 70 % × 60 000 €) − 28 000 € = 12 000 €
    assert (
        a.final_instalment_cents(
            award_cents=4_000_000,
            aid_rate=Decimal("70"),
            accepted_eligible_cents=6_000_000,
            already_paid_cents=2_800_000,
        )
        == 1_200_000
    )


def test_the_aid_rate_rounds_down_to_the_cent():
    # 33.33 % of 0,10 € is 0,033 € → 3 cents, never 4
    assert (
        a.justified_cents(award_cents=100, aid_rate=Decimal("33.33"), accepted_eligible_cents=10)
        == 3
    )


@settings(max_examples=300, deadline=None)
@given(
    shares=st.lists(st.integers(1, 10**9), min_size=1, max_size=4),
    payments=st.lists(st.integers(0, 10**9), min_size=1, max_size=5),
)
def test_payments_split_between_co_funders_never_exceed_a_share(shares, payments):
    by_funder = {i + 1: s for i, s in enumerate(shares)}
    award = sum(shares)
    paid = 0
    cumulative = dict.fromkeys(by_funder, 0)
    for amount in payments:
        amount = min(amount, award - paid)
        parts = a.funder_parts(shares_cents=by_funder, paid_before_cents=paid, amount_cents=amount)
        assert sum(parts.values()) == amount
        paid += amount
        for f, part in parts.items():
            cumulative[f] += part
            assert 0 <= cumulative[f] <= by_funder[f]
    if paid == award:
        assert cumulative == by_funder


@settings(max_examples=200, deadline=None)
@given(total=cents, weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_a_split_by_weights_adds_up_and_is_never_negative(total, weights):
    if not any(weights):
        weights = [*weights[:-1], 1]
    parts = a.split_by_weights(total, weights)
    assert sum(parts) == total and min(parts) >= 0
