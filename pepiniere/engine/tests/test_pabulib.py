"""The pabulib reader, and the greedy rule against real participatory-budgeting outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pepiniere.engine.pabulib import PabulibError, parse_pabulib, read_pabulib
from pepiniere.engine.selection import Proposal, select


def _review_folder() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "review"
        if candidate.is_dir():
            return candidate
    return None


REVIEW = _review_folder()
WARSAW = "poland_warszawa_2023_praga-polnoc.pb"
KATOWICE = "poland_katowice_2020_ligota-panewniki.pb"


def reference(name: str) -> Path:
    if REVIEW is None or not (REVIEW / name).is_file():
        pytest.skip(f"reference data ../shared/data/review/{name} is not available here")
    return REVIEW / name


SMALL = '''META
key;value
budget;100
vote_type;cumulative
PROJECTS
project_id;cost;votes;score;name;selected
a;60;2;5;"Parc; ""vert""";1
b;50;1;4;Piste;0
c;40;1;1;Banc;1
VOTES
voter_id;vote;points
1;a,b;3,4
2;a,c;2,1
'''


def test_small_file_with_quoted_name_and_points():
    inst = parse_pabulib(SMALL)
    assert inst.budget == 100
    assert inst.vote_type == "cumulative"
    assert inst.num_ballots == 2
    assert [(p.id, p.cost, p.support) for p in inst.projects] == [
        ("a", 60, 5),
        ("b", 50, 4),
        ("c", 40, 1),
    ]
    assert inst.projects[0].name == 'Parc; "vert"'
    assert inst.selected == {"a", "c"}


def test_approval_support_counts_ballots():
    text = SMALL.replace("cumulative", "approval").replace("votes;score", "votes;extra")
    text = text.replace("voter_id;vote;points\n1;a,b;3,4\n2;a,c;2,1", "voter_id;vote\n1;a,b\n2;a,c")
    inst = parse_pabulib(text)
    assert {p.id: p.support for p in inst.projects} == {"a": 2, "b": 1, "c": 1}


def test_declared_score_that_disagrees_with_the_ballots_is_refused():
    with pytest.raises(PabulibError, match="project a: score column says 6, ballots give 5"):
        parse_pabulib(SMALL.replace("a;60;2;5;", "a;60;2;6;"))


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (SMALL.replace("budget;100", "budget;1e2.5"), "META budget"),
        (SMALL.replace("a;60;", "a;6.5;"), "not a whole number"),
        (SMALL.replace("1;a,b;3,4", "1;a,b;3"), "2 projects, 1 points"),
        (SMALL.replace("2;a,c;2,1", "2;a,z;2,1"), "unknown projects"),
        ("PROJECTS\nproject_id;cost\na;1\n", "data before the META section|missing META"),
    ],
)
def test_malformed_files_say_what_is_wrong(broken, message):
    with pytest.raises(PabulibError, match=message):
        parse_pabulib(broken)


def test_warsaw_file_reads_as_documented():
    inst = read_pabulib(reference(WARSAW))
    assert (inst.budget, inst.vote_type, len(inst.projects), inst.num_ballots) == (
        2_629_401,
        "approval",
        91,
        2_818,
    )
    # The PROJECTS "votes" column was checked against the ballots while parsing.
    assert all(p.support == int(p.columns["votes"]) for p in inst.projects)


def test_katowice_file_reads_as_documented():
    inst = read_pabulib(reference(KATOWICE))
    assert (inst.budget, inst.vote_type, len(inst.projects), inst.num_ballots) == (
        965_990,
        "cumulative",
        23,
        3_653,
    )
    assert all(p.support == int(p.columns["score"]) for p in inst.projects)


def proposals(inst, rank_key=lambda p: ()) -> list[Proposal]:
    return [Proposal(p.id, float(p.support), p.cost, rank_key=rank_key(p)) for p in inst.projects]


@pytest.mark.parametrize("name", [WARSAW, KATOWICE])
def test_greedy_reproduces_the_official_selection(name):
    """Both cities ran the greedy rule (rank by support, fund what still fits). Ties in support
    exist (Warsaw: four pairs; Katowice: six projects with 0 points) but none decides the
    outcome: the id order we use and a tie-break by cost, either way, give the same set."""
    inst = read_pabulib(reference(name))
    assert inst.meta["rule"] == "greedy"
    official = inst.selected
    assert official
    for key in (lambda p: (), lambda p: (p.cost,), lambda p: (-p.cost,)):
        result = select(proposals(inst, key), inst.budget, rule="greedy")
        assert set(result.funded) == official
        assert result.total_cents == sum(p.cost for p in inst.projects if p.id in official)


def test_greedy_stop_would_have_funded_less_in_warsaw():
    inst = read_pabulib(reference(WARSAW))
    greedy = select(proposals(inst), inst.budget, rule="greedy")
    stop = select(proposals(inst), inst.budget, rule="greedy-stop")
    assert set(stop.funded) < set(greedy.funded)
    assert "not_reached" in stop.reason_codes.values()
