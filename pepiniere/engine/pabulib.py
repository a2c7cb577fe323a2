"""A small reader for the pabulib ``.pb`` format of participatory-budgeting instances.

Format (pabulib.org, "PB file format"): three sections, each introduced by a line ``META``,
``PROJECTS`` or ``VOTES``, then a header row and ``;``-separated rows (CSV quoting with double
quotes, so a name may contain ``;`` or ``"``). META has ``key;value`` rows (``budget``,
``vote_type``, ``rule``...). PROJECTS has at least ``project_id`` and ``cost``, often ``votes``,
``score``, ``name`` and the official ``selected`` (1 when funded). VOTES has one row per voter
with ``vote`` (comma-separated project ids) and, for cumulative or scoring ballots, ``points``.

Support of a project (what the greedy rule ranks by):

- ``approval`` (and ``ordinal``): the number of ballots that list it;
- ``cumulative`` and ``scoring``: the sum of the points it received.

It is counted from VOTES; when PROJECTS carries the same figure (``votes`` for approval,
``score`` for points) the two must agree, else :class:`PabulibError`. Costs and the budget are
integers in the instance's currency. Used as test fixtures for the selection engine.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

SECTIONS = ("META", "PROJECTS", "VOTES")
POINT_BALLOTS = ("cumulative", "scoring")


class PabulibError(ValueError):
    """The file is not valid pabulib, with the line or project that is wrong."""


@dataclass(frozen=True)
class PabulibProject:
    id: str
    cost: int
    support: int  # votes (approval) or points (cumulative), counted from the ballots
    selected: bool | None  # the official outcome, None when the file does not say
    name: str = ""
    columns: dict[str, str] = field(default_factory=dict, hash=False)  # every PROJECTS column


@dataclass(frozen=True)
class PabulibInstance:
    meta: dict[str, str]
    budget: int
    vote_type: str
    projects: list[PabulibProject]  # in file order
    num_ballots: int

    @property
    def selected(self) -> set[str]:
        """Ids of the officially selected projects."""
        return {p.id for p in self.projects if p.selected}


def read_pabulib(path: str | Path) -> PabulibInstance:
    """Parse a ``.pb`` file (UTF-8, with or without a byte-order mark)."""
    return parse_pabulib(Path(path).read_text(encoding="utf-8-sig"))


def parse_pabulib(text: str) -> PabulibInstance:
    """Parse the text of a ``.pb`` file; raises :class:`PabulibError` with the reason."""
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for number, line in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if not line or all(not cell.strip() for cell in line):
            continue
        head = line[0].strip()
        if len(line) == 1 and head in SECTIONS:
            if head in sections:
                raise PabulibError(f"line {number}: section {head} appears twice")
            current = sections[head] = []
            continue
        if current is None:
            raise PabulibError(f"line {number}: data before the META section")
        current.append([cell.strip() for cell in line])
    for name in ("META", "PROJECTS"):
        if not sections.get(name):
            raise PabulibError(f"missing {name} section")
    meta = {r[0]: r[1] if len(r) > 1 else "" for r in sections["META"][1:]}
    vote_type = meta.get("vote_type", "approval")
    budget = _integer(meta.get("budget", ""), "META budget")
    projects = _table(sections["PROJECTS"], "PROJECTS")
    ballots = _table(sections.get("VOTES", []), "VOTES") if sections.get("VOTES") else []
    support = _support(ballots, vote_type)
    unknown = set(support) - {row.get("project_id", "") for row in projects}
    if unknown:
        raise PabulibError(f"VOTES: ballots name unknown projects {sorted(unknown)[:5]}")
    out = []
    for row in projects:
        pid = row.get("project_id", "")
        if not pid:
            raise PabulibError("PROJECTS: a row has no project_id")
        counted = support.get(pid, 0)
        column = "score" if vote_type in POINT_BALLOTS else "votes"
        if ballots and row.get(column):
            declared = _integer(row[column], f"project {pid} {column}")
            if declared != counted:
                raise PabulibError(
                    f"project {pid}: {column} column says {declared}, ballots give {counted}"
                )
        elif not ballots:
            counted = _integer(row.get(column, "0") or "0", f"project {pid} {column}")
        selected = row.get("selected")
        out.append(
            PabulibProject(
                id=pid,
                cost=_integer(row.get("cost", ""), f"project {pid} cost"),
                support=counted,
                selected=None if selected in (None, "") else selected == "1",
                name=row.get("name", ""),
                columns=row,
            )
        )
    return PabulibInstance(meta, budget, vote_type, out, len(ballots))


def _table(rows: list[list[str]], section: str) -> list[dict[str, str]]:
    header = rows[0]
    out = []
    for k, row in enumerate(rows[1:], start=1):
        if len(row) > len(header):
            raise PabulibError(f"{section} row {k}: {len(row)} fields, header has {len(header)}")
        out.append(dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)))
    return out


def _support(ballots: list[dict[str, str]], vote_type: str) -> Counter[str]:
    support: Counter[str] = Counter()
    for k, ballot in enumerate(ballots, start=1):
        chosen = [p for p in ballot.get("vote", "").split(",") if p]
        if vote_type in POINT_BALLOTS:
            points = [_integer(x, f"VOTES row {k} points") for x in ballot["points"].split(",")]
            if len(points) != len(chosen):
                raise PabulibError(f"VOTES row {k}: {len(chosen)} projects, {len(points)} points")
            for pid, value in zip(chosen, points, strict=True):
                support[pid] += value
        else:
            support.update(set(chosen))
    return support


def _integer(text: str, what: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PabulibError(f"{what}: {text!r} is not a number") from None
    if value != value.to_integral_value():
        raise PabulibError(f"{what}: {text!r} is not a whole number")
    return int(value)
