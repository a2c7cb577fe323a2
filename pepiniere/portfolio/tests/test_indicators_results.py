"""RCO04, RCR02, RCR17 and RCR19 against a portfolio computed by hand; the command prints them."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.lib.testing.factories import make_call, make_funder, make_organisation
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.portfolio import indicators_results as results
from pepiniere.portfolio.indicators import Scope
from pepiniere.portfolio.models import ReportStatus
from pepiniere.portfolio.tests.factories import award, report

pytestmark = pytest.mark.django_db
D = datetime.date


def signed_agreement(grant, eligible_budget: str, *, signed: bool = True) -> None:
    now = timezone.now()
    agreement = Agreement.objects.create(
        award=grant, reference=f"CONV-{grant.pk}", created_by=grant.awarded_by, created_at=now
    )
    AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        amount=grant.amount,
        aid_rate=Decimal("50"),
        eligible_budget=Decimal(eligible_budget),
        start_date=grant.decision_date,
        end_date=grant.decision_date + datetime.timedelta(days=700),
        created_by=grant.awarded_by,
        created_at=now,
        signed_at=now if signed else None,
    )


@pytest.fixture
def portfolio():
    """Two calls of one programme; awards of 40 000 €.

    | firm | created    | awards           | budget        | baseline CA | CA 2020 | funds raised (eq / loans)    | reports showing activity |
    | A    | 2015-06-01 | call 1 2016-03-01 | signed 100 000 | 2015: 500  | 800     | 2015: 1000/0 (before) 2017: 5000/2000 | 2019 |
    | B    | 2001-01-01 | call 1 2016, call 2 2018 | application 60 000 (call 2) | 2015: 900 | 700 | 2021: 9000/0 (after Y) | 2020 |
    | C    | 2016-01-01 | call 2 2018-03-01 | none          | 2017: 100  | 300     | 2019: 0/3000 | 2020 |
    | D    | association | call 2 2018      | signed 500 000 | 2017: 10  | 99      | 2019: 7000/7000 | — |
    | E    | 2013-03-02 | call 1 2016-03-01 | unsigned 90 000 | —         | 400     | — | none (only an empty 2019) |
    | F    | 2013-03-01 | call 1 2016-03-01 | —             | —          | —       | — | — |

    2020, programme: RCR02 co-financing A 60 000 + B 20 000 (60 000 − 40 000) = 80 000 € over 2
    enterprises (D an association, E's version unsigned); equity 5 000 (A), loans 2 000 (A) +
    3 000 (C) = 5 000 over 2; RCR19: A and C higher, B lower: 2 of 3; RCR17: new are A (2015 →
    2016), C (2016 → 2018), E (2013-03-02 → 2016-03-01, just under 3 years); F is exactly 3 years
    old: not new. Observable in 2020 (first award ≤ 2017): A and E; A survives (2019), E does not
    (its 2019 report shows no activity): 1 of 2."""
    funder = make_funder()
    call1 = make_call(funder=funder)
    call2 = make_call(funder=funder, programme=call1.programme)
    a = make_organisation(name="A", creation_date=D(2015, 6, 1))
    b = make_organisation(name="B", creation_date=D(2001, 1, 1))
    c = make_organisation(name="C", creation_date=D(2016, 1, 1))
    d = make_organisation(name="D", kind=OrganisationKind.ASSOCIATION)
    e = make_organisation(name="E", creation_date=D(2013, 3, 2))
    f = make_organisation(name="F", creation_date=D(2013, 3, 1))
    grants = {}
    for org, call, on in (
        (a, call1, D(2016, 3, 1)),
        (b, call1, D(2016, 3, 1)),
        (b, call2, D(2018, 3, 1)),
        (c, call2, D(2018, 3, 1)),
        (d, call2, D(2018, 3, 1)),
        (e, call1, D(2016, 3, 1)),
        (f, call1, D(2016, 3, 1)),
    ):
        grants[(org.name, call.pk)] = award(org, call, on)
    signed_agreement(grants[("A", call1.pk)], "100000")
    signed_agreement(grants[("D", call2.pk)], "500000")
    signed_agreement(grants[("E", call1.pk)], "90000", signed=False)
    b2 = grants[("B", call2.pk)].application
    b2.project_budget = Decimal("60000")
    b2.save()
    report(a, 2015, baseline=True, revenue=500, fte=3)
    report(a, 2015, equity_raised=1000)  # the year before its award: not counted
    report(a, 2017, equity_raised=5000, loans_raised=2000)
    report(a, 2019, headcount=4)
    report(a, 2020, revenue=800)
    report(b, 2015, baseline=True, revenue=900)
    report(b, 2020, revenue=700, headcount=9)
    report(b, 2021, equity_raised=9000)
    report(c, 2017, baseline=True, revenue=100)
    report(c, 2019, loans_raised=3000)
    report(c, 2020, revenue=300, fte=2)
    report(d, 2017, baseline=True, revenue=10)
    report(d, 2019, equity_raised=7000, loans_raised=7000)
    report(d, 2020, revenue=99)
    report(e, 2019, headcount=0, revenue=0)
    report(e, 2020, revenue=400, status=ReportStatus.DRAFT)  # not counted
    return {"call1": call1, "call2": call2, "programme": call1.programme, "funder": funder}


def test_each_indicator_is_the_hand_computed_figure(portfolio, django_assert_num_queries):
    scope = Scope(programme_id=portfolio["programme"].pk)
    with django_assert_num_queries(6):  # the award years, then one per part
        figures = results.totals(scope, 2020)
    # The accelerator is registered (AcceleratorConfig.ready): no stay here, so 0.
    assert figures["RCO04"] == {"supported": results.Cell(0, 0)}
    assert figures["RCR02"] == {
        "cofunding": results.Cell(Decimal("80000.00"), 2),
        "equity": results.Cell(Decimal("5000.00"), 1),
        "loans": results.Cell(Decimal("5000.00"), 2),
    }
    assert figures["RCR17"] == {"surviving": results.Cell(1, 1), "observable": results.Cell(2, 2)}
    assert figures["RCR19"] == {"higher": results.Cell(2, 2), "compared": results.Cell(3, 3)}


def test_new_enterprises_are_exactly_under_three_years(portfolio):
    scope = Scope(programme_id=portfolio["programme"].pk)
    names = sorted(results.new_enterprises(scope).values_list("name", flat=True))
    assert names == ["A", "C", "E"]


def test_the_year_moves_what_is_counted(portfolio):
    scope = Scope(programme_id=portfolio["programme"].pk)
    figures = results.totals(scope, 2017)
    # Only the 2016 awards up to 2017: A's 60 000; A's 2017 funds; nobody observable for 3 years.
    assert figures["RCR02"]["cofunding"] == results.Cell(Decimal("60000.00"), 1)
    assert figures["RCR02"]["equity"] == results.Cell(Decimal("5000.00"), 1)
    assert figures["RCR17"]["observable"] == results.Cell(0, 0)
    assert figures["RCR19"]["compared"] == results.Cell(0, 0)


def test_breakdowns_follow_the_money_and_the_first_award(portfolio):
    scope = Scope(programme_id=portfolio["programme"].pk)
    groups = {g.label: g.cells for g in results.breakdown(scope, 2020, "call")}
    call1, call2 = portfolio["call1"].title, portfolio["call2"].title
    # Co-financing follows the award: B's 20 000 is call 2's; the firms follow their first award.
    assert groups[call1]["RCR02"]["cofunding"] == results.Cell(Decimal("60000.00"), 1)
    assert groups[call2]["RCR02"]["cofunding"] == results.Cell(Decimal("20000.00"), 1)
    assert groups[call1]["RCR19"] == {"higher": results.Cell(1, 1), "compared": results.Cell(2, 2)}
    assert groups[call2]["RCR19"] == {"higher": results.Cell(1, 1), "compared": results.Cell(1, 1)}
    assert groups[call2]["RCR02"]["loans"] == results.Cell(Decimal("3000.00"), 1)
    years = [g.key for g in results.breakdown(scope, 2020, "award_year")]
    assert years == [2016, 2018]
    departements = results.breakdown(scope, 2020, "departement")
    assert [g.label for g in departements] == ["33 Gironde"]


def test_series_by_year(portfolio):
    scope = Scope(programme_id=portfolio["programme"].pk)
    by_year = results.series(scope, 2020)
    assert by_year[2016]["RCR02"]["cofunding"].value == Decimal("60000.00")
    assert by_year[2018]["RCR02"]["cofunding"].value == Decimal("20000.00")
    assert by_year[2019]["RCR02"]["loans"] == results.Cell(Decimal("3000.00"), 1)
    assert by_year[2020]["RCR19"]["higher"] == results.Cell(2, 2)
    assert 2021 not in by_year


def test_a_registered_accelerator_fills_rco04(portfolio):
    scope = Scope(programme_id=portfolio["programme"].pk)

    def coached(scope):
        return Organisation.objects.filter(name__in=["A", "D", "Z"]).values("pk")

    results.non_financial_support.register(coached)
    try:
        assert results.totals(scope, 2020, {"RCO04"})["RCO04"] == {
            "supported": results.Cell(1, 1)  # D is an association
        }
    finally:
        results.non_financial_support._providers.remove(coached)


def test_another_funder_sees_nothing(portfolio):
    scope = Scope(funder_ids=frozenset({make_funder("Autre").pk}))
    figures = results.totals(scope, 2020)
    assert figures["RCR02"]["cofunding"] == results.Cell(Decimal("0.00"), 0)
    assert figures["RCR19"]["compared"] == results.Cell(0, 0)


def test_the_command_prints_every_indicator(portfolio):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "indicators", "--programme", portfolio["programme"].slug, "--year", "2020", stdout=out
    )
    rows = json.loads(out.getvalue())
    codes = {r["indicator"] for r in rows}
    assert codes >= {"RCO01", "RCO02", "RCO04", "RCO05", "RCR01", "RCR02", "RCR17", "RCR19"}
    cofunding = next(r for r in rows if r["breakdown"] == "cofunding")
    assert (cofunding["value"], cofunding["unit"]) == ("80000.00", "EUR")
    rco04 = next(r for r in rows if r["indicator"] == "RCO04")
    assert rco04["value"] == "0"  # the accelerator is registered; no stay in this programme
    out = io.StringIO()
    call_command(
        "indicators",
        "--call",
        portfolio["call2"].slug,
        "--year",
        "2020",
        "--format",
        "csv",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert "RCR19,higher,2020,1,enterprises,0" in lines
    assert "RCO04,supported,2020,0,enterprises,0" in lines
    del err


def test_sector_breakdowns_read_text_keys(portfolio):
    from pepiniere.calls.models import Sector
    from pepiniere.portfolio import indicators

    fintech = Sector.objects.get(code="fintech")
    portfolio["call1"].sectors.add(fintech)
    scope = Scope(programme_id=portfolio["programme"].pk)
    groups = {g.label: g.cells for g in results.breakdown(scope, 2020, "sector")}
    assert groups["Fintech et finance participative"]["RCR02"]["cofunding"] == results.Cell(
        Decimal("60000.00"), 1
    )
    assert "non renseigné" in groups  # call 2 has no sector
    # RCR01 by sector used to read the sector's code as an integer.
    assert indicators.rcr01_by(scope, 2020, "sector") == []  # nobody has FTE in both reports
