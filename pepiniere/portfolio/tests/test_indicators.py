"""RCR01 against a portfolio computed by hand, with a firm supported twice and a firm whose FTE
fell; RCO01/02/05; the command."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pepiniere.lib.testing.factories import make_call, make_funder, make_organisation
from pepiniere.organisations.models import OrganisationKind
from pepiniere.portfolio import indicators
from pepiniere.portfolio.models import ReportStatus
from pepiniere.portfolio.tests.factories import award, report

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def portfolio():
    """Two calls of one programme.

    | firm | awards            | baseline (FTE, research) | 2020 (FTE, research) | created | maintained | research |
    | A    | call 1, 2016      | 2015: 10, 1              | 15, 3                | 5       | 10         | 2        |
    | B    | call 1 2016, call 2 2018 | 2015: 4 ; 2017: 8 | 12, 0                | 8       | 4          | 0        |
    | C    | call 2, 2018      | 2017: 20, 2              | 12, 1 (fell)         | 0       | 12         | 0        |
    | D    | call 2, 2018      | 2017: 2 (submitted only) | 6 (submitted only)   | 4       | 2          | 0        |
    | E    | call 1, 2016      | 2015: 3                  | no 2020 report       | —       | —          | —        |
    Totals 2020: created 17, maintained 28, research 2, 4 organisations, 1 unvalidated."""
    funder = make_funder()
    call1 = make_call(funder=funder)
    call2 = make_call(funder=funder, programme=call1.programme)
    young = D(2015, 6, 1)
    a = make_organisation(name="A", creation_date=young)
    b = make_organisation(name="B", creation_date=D(2001, 1, 1))
    c = make_organisation(name="C", creation_date=D(2016, 1, 1))
    d = make_organisation(name="D", kind=OrganisationKind.ASSOCIATION)
    e = make_organisation(name="E", creation_date=D(2010, 1, 1))
    for org, call, on in (
        (a, call1, D(2016, 3, 1)),
        (b, call1, D(2016, 3, 1)),
        (b, call2, D(2018, 3, 1)),
        (c, call2, D(2018, 3, 1)),
        (d, call2, D(2018, 3, 1)),
        (e, call1, D(2016, 3, 1)),
    ):
        award(org, call, on)
    report(a, 2015, baseline=True, fte=10, research_fte=1, headcount=11)
    report(a, 2020, fte=15, research_fte=3, headcount=16)
    report(b, 2015, baseline=True, fte=4, headcount=5)
    report(b, 2017, baseline=True, fte=8, headcount=8)
    report(b, 2020, fte=12, research_fte=0, headcount=12)
    report(c, 2017, baseline=True, fte=20, research_fte=2, headcount=300)
    report(c, 2020, fte=12, research_fte=1, headcount=12)
    report(d, 2017, baseline=True, fte=2, status=ReportStatus.SUBMITTED, headcount=60)
    report(d, 2020, fte=6, status=ReportStatus.SUBMITTED)
    report(e, 2015, baseline=True, fte=3, headcount=3)
    report(e, 2019, fte=30)  # another year: not in RCR01 2020
    return {"funder": funder, "call1": call1, "call2": call2, "programme": call1.programme}


def test_rcr01_is_the_hand_computed_sum_over_distinct_firms(portfolio, django_assert_num_queries):
    scope = indicators.Scope(programme_id=portfolio["programme"].pk)
    with django_assert_num_queries(1):
        jobs = indicators.rcr01(scope, 2020)
    assert (jobs.created, jobs.maintained, jobs.research) == (
        Decimal("17.00"),
        Decimal("28.00"),
        Decimal("2.00"),
    )
    assert (jobs.organisations, jobs.unvalidated) == (4, 1)
    assert jobs.relies_on_unvalidated


def test_breakdowns_put_each_firm_in_its_first_award_group_and_add_up(portfolio):
    scope = indicators.Scope(programme_id=portfolio["programme"].pk)
    by_call = {
        j.label: (j.created, j.organisations) for j in indicators.rcr01_by(scope, 2020, "call")
    }
    # B's first award is call 1: counted there only.
    assert by_call == {
        portfolio["call1"].title: (Decimal("13.00"), 2),
        portfolio["call2"].title: (Decimal("4.00"), 2),
    }
    by_year = {j.group: j.created for j in indicators.rcr01_by(scope, 2020, "award_year")}
    assert by_year == {2016: Decimal("13.00"), 2018: Decimal("4.00")}
    # A call alone counts its own supported firms, B included (it was supported there too).
    call2 = indicators.rcr01(indicators.Scope(call_id=portfolio["call2"].pk), 2020)
    assert (call2.created, call2.organisations) == (Decimal("12.00"), 3)


def test_drill_down_lists_the_firms_and_reports_behind_the_figure(portfolio):
    scope = indicators.Scope(programme_id=portfolio["programme"].pk)
    rows = indicators.drill_down(scope, 2020)
    assert [(r["name"], r["created"], r["base_year"], r["validated"]) for r in rows] == [
        ("B", Decimal("8.00"), 2015, True),
        ("A", Decimal("5.00"), 2015, True),
        ("D", Decimal("4.00"), 2017, False),
        ("C", Decimal("0.00"), 2017, True),
    ]


def test_output_indicators_count_distinct_enterprises(portfolio):
    scope = indicators.Scope(programme_id=portfolio["programme"].pk)
    assert indicators.rco02(scope) == 4  # D is an association, B counted once
    assert indicators.rco05(scope) == 2  # A (created 2015, aided 2016), C (2016 → 2018)
    sizes = indicators.rco01(scope)
    # At the earliest baseline: A 11 (small), B 5 and E 3 (micro), C 300 (large).
    assert sizes == {"micro": 2, "small": 1, "medium": 0, "large": 1, "unknown": 0}


def test_an_officer_of_another_funder_counts_nothing(portfolio):
    other = make_funder("Autre financeur")
    scope = indicators.Scope(funder_ids=frozenset({other.pk}))
    assert indicators.rcr01(scope, 2020).organisations == 0


def test_the_command_prints_json_and_one_line_per_outcome(portfolio, capsys):
    out = io.StringIO()
    call_command(
        "indicators", "--programme", portfolio["programme"].slug, "--year", "2020", stdout=out
    )
    rows = json.loads(out.getvalue())
    created = [r for r in rows if r["indicator"] == "RCR01" and r["breakdown"] == "created"]
    assert created == [
        {
            "indicator": "RCR01",
            "breakdown": "created",
            "year": 2020,
            "value": "17.00",
            "unit": "FTE",
            "unvalidated": 1,
        }
    ]
    assert {
        "indicator": "RCO02",
        "breakdown": "",
        "year": None,
        "value": "4",
        "unit": "enterprises",
        "unvalidated": 0,
    } in rows
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        "RCR01 2020: 17.00 FTE created, 28.00 maintained, 2.00 research created, over 4 organisation(s)"
    )
    assert len(lines) == 9  # one line per indicator: RCR01 twice, RCO01/02/04/05, RCR02/17/19


def test_the_command_writes_csv_and_refuses_an_unknown_slug(portfolio):
    out = io.StringIO()
    call_command(
        "indicators",
        "--call",
        portfolio["call1"].slug,
        "--year",
        "2020",
        "--format",
        "csv",
        stdout=out,
    )
    text = out.getvalue().splitlines()
    assert text[0] == "indicator,breakdown,year,value,unit,unvalidated"
    assert "RCR01,created,2020,13.00,FTE,0" in text
    with pytest.raises(CommandError, match="unknown programme 'nope'"):
        call_command("indicators", "--programme", "nope")


def test_pages_show_fte_with_one_decimal_everywhere(client):
    """« 191,3 » beside « 64,4 » (stored 64.38), « 30,0 »: one format for FTE on every page
    (indicators, drill-down, the programmes' promises, an organisation's page); exports keep
    two decimals."""
    import re

    from django.urls import reverse

    from pepiniere.accounts.models import Role
    from pepiniere.lib.testing.factories import make_user, page_text, plain

    def read(url: str) -> str:
        # Each cell apart (tags read as spaces), typographic spaces as plain ones.
        return " ".join(plain(re.sub(r"<[^>]+>", " ", page_text(client.get(url)))).split())

    funder = make_funder()
    call1 = make_call(funder=funder, title="Innovation 2016")
    call2 = make_call(funder=funder, programme=call1.programme, title="Formation 2016")
    x = make_organisation(name="Xylème")
    y = make_organisation(name="Yole")
    award(x, call1, D(2016, 3, 1))
    award(y, call2, D(2016, 3, 1))
    report(x, 2015, baseline=True, fte=10, headcount=10)
    report(x, 2020, fte="201.30", headcount=210)
    report(y, 2015, baseline=True, fte=20, headcount=20)
    report(y, 2020, fte="84.38", headcount=90)
    client.force_login(make_user(role=Role.OFFICER, funder=funder))

    text = read(reverse("kpi:indicators") + "?annee=2020")
    assert "255,7 ETP créés · 30,0 ETP maintenus · 0,0 ETP de recherche créés" in text
    assert "Innovation 2016 191,3 10,0 0,0 1" in text
    assert "Formation 2016 64,4 20,0 0,0 1" in text
    assert "64,38" not in text and "255,68" not in text

    text = read(reverse("kpi:drill_down") + "?annee=2020")
    assert "84,4" in text and "201,3" in text and "10,0" in text and "84,38" not in text

    text = read(reverse("portfolio:organisation", args=[y.pk]))
    assert "84,4" in text and "20,0" in text and "84,38" not in text

    rows = indicators.drill_down(indicators.Scope(funder_ids=frozenset({funder.pk})), 2020)
    assert {r["name"]: r["created"] for r in rows} == {
        "Xylème": Decimal("191.30"),
        "Yole": Decimal("64.38"),
    }
