"""The SCDL and 360Giving exports: who is published, and the files pass the official schemas."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal

import hypothesis
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from hypothesis import strategies as st

from pepiniere.applications.models import Application
from pepiniere.opendata import export
from pepiniere.opendata.models import PublicationPolicy, Withholding
from pepiniere.opendata.tests.helpers import OpenWorld, shared_data
from pepiniere.programmes.models import Funder

pytestmark = pytest.mark.django_db


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def frictionless_errors(text: str, tmp_path) -> list[str]:
    from frictionless import Resource, Schema, system

    schema = Schema.from_descriptor(str(shared_data("scdl", "schema.json")))
    path = tmp_path / "subventions.csv"
    path.write_text(text, encoding="utf-8")
    with system.use_context(trusted=True):
        report = Resource(path=str(path), schema=schema).validate()
    return [error.message for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors
    ]


def giving_errors(package: dict) -> list[str]:
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    folder = shared_data("360giving")
    grant_schema = json.loads((folder / "360-giving-schema.json").read_text())
    package_schema = json.loads((folder / "360-giving-package-schema.json").read_text())
    remote = package_schema["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resource(
        remote, Resource.from_contents(grant_schema, default_specification=DRAFT202012)
    )
    validator = jsonschema.Draft202012Validator(
        package_schema,
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(package)]


def test_a_signed_agreement_is_one_scdl_row_that_passes_the_schema(tmp_path):
    world = OpenWorld("23000")
    world.signed()
    text = export.scdl_csv(export.lines())
    (row,) = rows(text)
    funder, organisation = world.call.funder, world.application.organisation
    assert row["nomAttribuant"] == funder.name
    assert row["idAttribuant"] == funder.siret
    assert row["idBeneficiaire"] == organisation.siret
    assert row["montant"] == "23000.00"
    assert row["pourcentageSubvention"] == "1"
    assert row["dateConvention"] == timezone.localdate().isoformat()
    assert row["referenceDecision"] == "CP-2026-001"
    assert row["objet"] == "Capteurs pour vignes"
    assert row["nature"] == "aide en numéraire"
    assert row["conditionsVersement"] == "échelonné"  # 50/30/20 by default
    start, end = row["datesPeriodeVersement"].split("/")
    assert start == row["dateConvention"] and end >= start
    assert row["notificationUE"] == "oui"
    assert row["idRAE"] == "" and row["dispositifAide"] == ""
    assert frictionless_errors(text, tmp_path) == []


def test_the_reference_valid_example_passes_our_validation(tmp_path):
    text = shared_data("scdl", "exemple_valide.csv").read_text(encoding="utf-8")
    assert frictionless_errors(text, tmp_path) == []
    bad = shared_data("scdl", "exemple_invalide_erreurs_cellules.csv").read_text(encoding="utf-8")
    assert len(frictionless_errors(bad, tmp_path)) == 16  # as data/README.md says


def test_a_co_funded_award_gives_each_funder_its_share(tmp_path):
    world = OpenWorld("40000", state_part="10000")
    world.signed()
    text = export.scdl_csv(export.lines())
    by_funder = {row["nomAttribuant"]: row for row in rows(text)}
    assert by_funder[world.call.funder.name]["pourcentageSubvention"] == "0.75"
    assert by_funder["État — Mission French Tech"]["pourcentageSubvention"] == "0.25"
    assert {row["montant"] for row in by_funder.values()} == {"40000.00"}
    assert frictionless_errors(text, tmp_path) == []
    assert world.state is not None
    (only,) = rows(export.scdl_csv(export.lines(world.state)))
    assert only["idAttribuant"] == world.state.siret


def test_unsigned_small_and_withheld_lines_are_absent():
    unsigned = OpenWorld("40000")
    unsigned.send()
    small = OpenWorld("22999.99")
    small.signed()
    withheld = OpenWorld("30000")
    withheld.signed()
    Withholding.objects.create(
        award=withheld.award,
        funder=withheld.call.funder,
        reason="Secret des affaires (art. L. 311-6 CRPA)",
        withheld_by=withheld.officer,
        withheld_at=timezone.now(),
    )
    found = export.lines()
    assert export.count_outcomes(found) == {
        "published": 0,
        "withheld": 1,
        "too_small": 1,
        "not_signed": 1,
    }
    assert rows(export.scdl_csv(found)) == []
    PublicationPolicy.objects.create(funder=small.call.funder, publish_below_threshold=True)
    (row,) = rows(export.scdl_csv(export.lines()))
    assert row["montant"] == "22999.99"


def test_the_360giving_package_passes_the_schema_with_exact_amounts():
    first = OpenWorld("23000")
    first.signed()
    second = OpenWorld("40000", state_part="10000.01")
    second.signed()
    text = export.giving_json(export.lines(), issued=datetime.date(2026, 12, 4))
    assert '"amountAwarded": 23000.00' in text
    package = json.loads(text, parse_float=Decimal)
    assert giving_errors(json.loads(text)) == []
    grants = package["grants"]
    assert len(grants) == 2
    assert len({g["id"] for g in grants}) == 2
    assert grants[0]["id"] == (
        f"FR-SIRET-{first.call.funder.siret}-{first.award.agreement.reference}"
    )
    assert grants[0]["currency"] == "EUR"
    assert grants[0]["amountAwarded"] == Decimal("23000.00")
    organisation = first.application.organisation
    assert grants[0]["recipientOrganization"][0]["id"] == f"FR-SIREN-{organisation.siret[:9]}"
    assert [f["id"] for f in grants[1]["fundingOrganization"]] == [
        f"FR-SIRET-{second.call.funder.siret}",
        f"FR-SIRET-{second.state.siret}",  # type: ignore[union-attr]
    ]


def test_the_command_prints_one_line_per_outcome_and_refuses_bad_input(tmp_path, capsys):
    world = OpenWorld("30000")
    world.signed()
    OpenWorld("40000").send()
    out = tmp_path / "subventions.csv"
    call_command("export_opendata", "--format", "scdl", "--out", str(out))
    printed = capsys.readouterr().out
    assert "publiée(s) : 1 ligne(s)" in printed
    assert "pas encore signée : 1 ligne(s)" in printed
    assert "moins de 23 000 € : 0 ligne(s)" in printed
    assert len(rows(out.read_text(encoding="utf-8"))) == 1
    giving = tmp_path / "grants.json"
    call_command(
        "export_opendata",
        "--format",
        "360giving",
        "--funder",
        world.call.funder.siret,
        "--out",
        str(giving),
    )
    assert len(json.loads(giving.read_text())["grants"]) == 1
    with pytest.raises(CommandError, match="Format inconnu"):
        call_command("export_opendata", "--format", "xml", "--out", str(out))
    with pytest.raises(CommandError, match="Aucun financeur n'a le SIRET 12345678901234"):
        call_command(
            "export_opendata", "--format", "scdl", "--funder", "12345678901234", "--out", str(out)
        )
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("export_opendata", "--format", "scdl", "--out", str(tmp_path / "no" / "f"))


def test_the_streamed_files_do_not_depend_on_the_chunk_size_and_match_one_whole_dump():
    worlds = [OpenWorld(str(23000 + 1000 * n)) for n in range(3)]
    for world in worlds:
        world.signed()
    co_funded = OpenWorld("40000", state_part="10000.01")
    co_funded.signed()
    issued = datetime.date(2026, 12, 4)
    whole = export.lines()
    assert [len(list(export.iter_lines(chunk=size))) for size in (1, 2, 50)] == [5, 5, 5]
    for size in (1, 2):
        chunked = list(export.iter_lines(chunk=size))
        assert export.scdl_csv(chunked) == export.scdl_csv(whole)
        assert export.giving_json(chunked, issued=issued) == export.giving_json(
            whole, issued=issued
        )
    text = export.giving_json(whole, issued=issued)
    package = json.loads(text, parse_float=Decimal)
    assert [g["amountAwarded"] for g in package["grants"]] == [
        Decimal("23000.00"), Decimal("24000.00"), Decimal("25000.00"), Decimal("40000.00")
    ]  # fmt: skip
    grant_lines = text.splitlines()[5:-2]  # one grant a line, between the header and the end
    assert [json.loads(line.rstrip(","))["id"] for line in grant_lines] == [
        g["id"] for g in package["grants"]
    ]
    assert json.loads(export.giving_json([], issued=issued))["grants"] == []


def test_user_text_cannot_forge_an_amount_in_the_360giving_file():
    world = OpenWorld("30000")
    world.signed()
    # A NUL as the marker starts, where the database keeps one (PostgreSQL's text refuses it).
    title = "\x00amount:1.00" if connection.vendor == "sqlite" else "\\u0000amount:1.00"
    Application.objects.filter(pk=world.application.pk).update(
        title=title, summary="\\u0000amount:2.00"
    )
    (grant,) = json.loads(export.giving_json(export.lines(), issued=datetime.date(2026, 12, 4)))[
        "grants"
    ]
    assert grant["title"] == title
    assert grant["description"] == "\\u0000amount:2.00"
    assert grant["amountAwarded"] == 30000


def test_the_export_reads_a_fixed_number_of_queries_per_chunk(django_assert_max_num_queries):
    for n in range(4):
        OpenWorld(str(30000 + n)).signed()
    # 2 (funders, policies) + 1 (awards) + 4 per chunk (shares, withholdings, versions, steps).
    with django_assert_max_num_queries(2 + 1 + 4):
        assert len(list(export.iter_lines(chunk=10))) == 4
    with django_assert_max_num_queries(2 + 1 + 4 * 4):
        assert len(list(export.iter_lines(chunk=1))) == 4


def test_the_command_writes_nothing_when_a_published_funder_has_no_siret(tmp_path):
    world = OpenWorld("30000")
    world.signed()
    world.call.funder.siret = ""
    world.call.funder.save(update_fields=["siret"])
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(CommandError, match="sans SIRET"):
        call_command("export_opendata", "--format", "scdl", "--out", str(folder / "s.csv"))
    assert list(folder.iterdir()) == []


def test_the_id_ranges_of_a_split_export_cover_every_award_once():
    for n in range(5):
        OpenWorld(str(30000 + n)).signed()
    OpenWorld("40000", state_part="10000.01").signed()
    for parts in (1, 2, 3, 10):
        ranges = export.split_ids(None, parts)
        assert ranges[0][0] is None and ranges[-1][1] is None
        assert len(ranges) == min(parts, 6)
        split = [[line.award_id for line in export.iter_lines(ids=ids)] for ids in ranges]
        assert all(split)  # no empty range
        assert [award for part in split for award in part] == [
            line.award_id for line in export.iter_lines()
        ]


_texts = st.text(st.characters(codec="utf-8"), max_size=12)


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(
    title=_texts,
    summary=_texts,
    call_title=_texts,
    name=_texts,
    siren=st.sampled_from(["", "123456789"]),
    siret=st.sampled_from(["", "12345678901234"]),
    rna=st.sampled_from(["", "W332001234"]),
    reference=st.one_of(st.none(), _texts),
    funder_names=st.lists(_texts, min_size=1, max_size=3),
    cents=st.integers(min_value=1, max_value=10**12),
)
def test_the_written_360giving_grant_is_the_json_of_its_object(
    title, summary, call_title, name, siren, siret, rna, reference, funder_names, cents
):
    """giving_text writes each grant straight as text: byte for byte what json writes of
    giving_grant's object, its amount from its Decimal text, whatever the user typed."""
    amount = Decimal(cents) / 100
    signed = datetime.datetime(2016, 3, 1, 9, 30, tzinfo=datetime.UTC)
    version = export.Version(
        amount,
        signed,
        datetime.date(2016, 3, 1),
        datetime.date(2016, 1, 1),
        datetime.date(2017, 12, 31),
        ("signature",),
    )
    funders = [
        Funder(pk=n + 1, name=funder_name, slug=f"f{n}", siret="23330001900020" if n else "")
        for n, funder_name in enumerate(funder_names)
    ]
    grant = export.Grant(
        7, datetime.date(2015, 7, 10), "CP", True, amount, title, summary, call_title,
        funders[0], 9, name, siret, siren, rna, reference, datetime.date(2016, 3, 1), version,
    )  # fmt: skip
    marker = "\x00amount"
    expected = (
        json.JSONEncoder(ensure_ascii=False)
        .encode(export.giving_grant(grant, funders, lambda _value: marker))
        .replace('"\\u0000amount"', export.decimal_text(amount))
    )
    assert export.giving_text(grant, funders) == expected
