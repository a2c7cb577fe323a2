"""The historical import of grants (issue 15): real files, the report's accounting, encodings,
separators, French decimals, duplicates, all-or-nothing, refusal, de minimis and organisations."""

from __future__ import annotations

import csv
import datetime
import io
import random
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction

from pepiniere.audit.models import AuditEntry
from pepiniere.demo.identifiers import fictional_siret
from pepiniere.grants import deminimis
from pepiniere.grants.models import AidRecord, AidSource
from pepiniere.lib.testing.factories import make_organisation, make_user
from pepiniere.opendata import export, import_report, importing, reading
from pepiniere.opendata.models import ImportBatch, ImportedGrant
from pepiniere.opendata.tests.helpers import OpenWorld, shared_data
from pepiniere.organisations import services as organisation_services
from pepiniere.organisations.models import Organisation

pytestmark = pytest.mark.django_db

ANTIBES = "21060004500392"  # a commune: its SIREN says département 06
HEADER = (
    "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,"
    "notificationUE,pourcentageSubvention,dispositifAide"
)


def siret(n: int) -> str:
    return fictional_siret(random.Random(n))


def run(path: Path, *args: str) -> tuple[str, list[dict[str, str]]]:
    """The command's output and its report's rows."""
    out = io.StringIO()
    # The report goes into a folder of its own: never beside the input (../shared/data is
    # reference data, read only).
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.csv"
        call_command("import_grants", str(path), "--report", str(report), *args, stdout=out)
        with report.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
    header, body = rows[0], rows[1:]
    assert header[0].startswith("enregistrement (n° dans le fichier")
    return out.getvalue(), [
        dict(zip(["n", "outcome", "reason", "name", "amount"], r, strict=True)) for r in body
    ]


def counts(output: str) -> dict[str, int]:
    found = {}
    for label, outcome in (
        ("importée(s) :", "imported"),
        ("importée(s) avec une alerte :", "flagged"),
        ("refusée(s) :", "rejected"),
        ("doublon(s), déjà importée(s) :", "duplicate"),
    ):
        line = next(li for li in output.splitlines() if li.startswith(label))
        found[outcome] = int(line.removeprefix(label).split()[0])
    return found


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def records_in(path: Path) -> int:
    if path.suffix == ".json":
        import json

        return len(json.loads(path.read_text(encoding="utf-8"))["grants"])
    text = path.read_text(encoding="utf-8")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > 2 else ","
    return sum(1 for _row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)) - 1


REAL = [
    ("scdl", "exemple_valide.csv"),
    ("scdl", "exemple_invalide_erreurs_cellules.csv"),
    ("scdl", "etalab_format-subventions_exemple.csv"),
    ("real", "cd49_maine-et-loire_conventions-de-subventions.csv"),
    ("real", "cd44_loire-atlantique_subventions-aux-associations.csv"),
    ("real", "360giving_nominettrust_2016.json"),
]


@pytest.mark.parametrize(("folder", "name"), REAL)
def test_every_reference_file_imports_and_accounts_for_each_record(folder, name):
    path = shared_data(folder, name)
    output, rows = run(path)
    found = counts(output)
    total = records_in(path)
    assert sum(found.values()) == total == len(rows)
    assert [int(r["n"]) for r in rows] == list(range(1, total + 1))
    assert {r["outcome"] for r in rows} <= {"imported", "flagged", "rejected", "duplicate"}
    assert all(r["reason"] for r in rows)
    imported = found["imported"] + found["flagged"]
    assert ImportedGrant.objects.count() == imported > 0
    assert found["rejected"] <= total // 10 + 5  # real files mostly import


def test_the_valid_example_imports_whole_and_the_invalid_one_says_why():
    _output, rows = run(shared_data("scdl", "exemple_valide.csv"))
    assert {r["outcome"] for r in rows} <= {"imported", "flagged"}
    flagged = [r for r in rows if r["outcome"] == "flagged"]
    # The impossible payment date both validators miss (data/README.md).
    assert any("2017-30-05" in r["reason"] for r in flagged)
    grant = ImportedGrant.objects.get(record_number=1)
    assert grant.funder_name == "Antibes"  # ANTIBES in the file
    assert grant.beneficiary_name == "CEA du Personnel de la Ville d'Antibes Juan-les-Pins"
    assert grant.amount == Decimal("99786.57") and grant.share == Decimal("0.05")

    _output, rows = run(shared_data("scdl", "exemple_invalide_erreurs_cellules.csv"))
    by_number = {int(r["n"]): r for r in rows}
    assert by_number[9]["outcome"] == "rejected" and by_number[9]["reason"] == "montant absent"
    assert "clé de Luhn" in by_number[1]["reason"]  # 21860194600000 fails the check
    assert "9 chiffres au lieu des 14" in by_number[6]["reason"]  # idAttribuant 218601946
    assert "écrit sur 100" in by_number[1]["reason"]  # pourcentageSubvention 100
    fifth = ImportedGrant.objects.get(
        batch__file_name__startswith="exemple_invalide", record_number=5
    )
    assert fifth.amount == Decimal("100000.10")  # "100000,1"
    assert fifth.beneficiary_siret == "32402138500000"  # written 32402138500000.0
    fourth = ImportedGrant.objects.get(
        batch__file_name__startswith="exemple_invalide", record_number=4
    )
    assert fourth.agreement_date == datetime.date(2016, 12, 5)  # 05/12/2016
    assert "RNA « W3222 » invalide" in by_number[4]["reason"]


def test_the_same_content_in_utf8_with_bom_and_cp1252_gives_the_same_import(tmp_path):
    text = (
        HEADER.replace(",", ";")
        + "\r\nCommune d'Antibes;"
        + ANTIBES
        + ";27/06/2017;DÉL-2017-12;Élan Numérique;"
        + siret(1)
        + ";;Création d'un tiers-lieu à Antibes;100\u00a0000,00;aide en numéraire;unique;2017-06-27;;non;1;\r\n"
    )
    results = []
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        text_here = text.replace("\u00a0", " ") if encoding == "cp1252" else text
        path = write(tmp_path, text_here, encoding, f"{encoding}.csv")
        evaluation = importing.preview(path.read_bytes(), funder=None)
        (record,) = evaluation.parsed.records
        results.append(
            (
                [(li.outcome, li.reason) for li in evaluation.lines],
                record.funder_name,
                record.beneficiary_name,
                record.object,
                record.reference,
                record.amount,
                record.fingerprint(),
            )
        )
    assert results[0] == results[1] == results[2]
    assert results[0][0] == [("imported", "importée")]
    assert results[0][5] == Decimal("100000.00") and results[0][2] == "Élan Numérique"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_separator_is_detected(tmp_path, delimiter):
    row = [
        "Ville d'Antibes",
        ANTIBES,
        "2017-06-27",
        "D-1",
        "Structure Une",
        siret(2),
        "",
        "Objet, avec une virgule",
        "1 500,50",
        "aide en numéraire",
        "unique",
        "2017-06-27",
        "",
        "non",
        "1",
        "",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER.split(","))
    writer.writerow(row)
    evaluation = importing.preview(buffer.getvalue().encode(), funder=None)
    assert evaluation.parsed.delimiter == delimiter
    (record,) = evaluation.parsed.records
    assert record.amount == Decimal("1500.50") and record.object == "Objet, avec une virgule"
    assert evaluation.counts["imported"] == 1


def test_an_unquoted_french_decimal_in_a_comma_file_is_joined_again(tmp_path):
    good = f"Ville,{ANTIBES},2017-06-27,R1,Structure A,{siret(3)},,Objet A,100\u202f000,00,aide en numéraire,unique,2017-06-27,,non,1,"
    short = f"Ville,{ANTIBES},2017-06-27,R2,Structure B,{siret(4)},,Objet B,12,aide en numéraire"
    path = write(tmp_path, f"{HEADER}\n{good}\n{short}\n")
    _output, rows = run(path)
    assert rows[0]["outcome"] == "flagged" and "recollées" in rows[0]["reason"]
    assert ImportedGrant.objects.get().amount == Decimal("100000.00")
    assert rows[1]["outcome"] == "rejected" and "10 champs au lieu des 16" in rows[1]["reason"]


def test_a_second_import_of_the_same_file_adds_nothing(tmp_path):
    path = shared_data("real", "cd49_maine-et-loire_conventions-de-subventions.csv")
    first, _rows = run(path)
    grants, organisations = ImportedGrant.objects.count(), Organisation.objects.count()
    second, rows = run(path)
    again = counts(second)
    assert again["imported"] == again["flagged"] == 0
    assert again["duplicate"] == counts(first)["imported"] + counts(first)["flagged"]
    assert again["rejected"] == counts(first)["rejected"]
    assert (ImportedGrant.objects.count(), Organisation.objects.count()) == (grants, organisations)


def test_names_double_encoded_by_the_funder_are_repaired(tmp_path):
    # cd49 writes « CÅ’UR » (UTF-8 read as Windows-1252) and « CÃƒâ€¦Ã¢â‚¬â„¢UR » (three times).
    run(shared_data("real", "cd49_maine-et-loire_conventions-de-subventions.csv"))
    grants = ImportedGrant.objects.all()
    names = {g.beneficiary_name for g in grants}
    assert "Les Restaurants du Cœur - les Relais du Cœur de Maine-et-Loire" in names
    texts = [f"{g.beneficiary_name} {g.object}" for g in grants]
    assert not any("Å" in text or "Ã" in text for text in texts)
    assert any("soutien à l'enseignement agricole" in text for text in texts)
    assert reading.clean_name("SociÃ©tÃ© GÃ©nÃ©rale") == "Société Générale"
    assert reading.clean_name("Ångström AB") == "Ångström AB"  # not mojibake: unchanged
    assert reading.clean_name("Â€uro") == "Â€uro"  # its repair would be a control character


def test_identical_records_of_one_file_are_duplicates_of_the_first(tmp_path):
    row = f'Ville,{ANTIBES},2017-06-27,R1,Structure A,{siret(5)},,Objet A,"1500",aide en numéraire,unique,2017-06-27,,non,1,'
    respelled = row.replace("Objet A", "  OBJET   a ").replace('"1500"', '"1 500,00"')
    path = write(tmp_path, f"{HEADER}\n{row}\n{respelled}\n")
    _output, rows = run(path)
    assert rows[1]["outcome"] == "duplicate" and "n° 1" in rows[1]["reason"]


def test_a_database_failure_half_way_leaves_nothing(tmp_path, monkeypatch):
    path = shared_data("scdl", "exemple_valide.csv")
    before = (Organisation.objects.count(), AidRecord.objects.count())
    inserts = []

    def fail_on_the_grants(execute, sql, params, many, context):
        """The database fails once the batch and the organisations are in: at the grants'
        INSERT (SQLite), or at the batch's audit row that follows their COPY (PostgreSQL,
        where COPY does not pass through execute wrappers)."""
        if sql.lstrip().upper().startswith("INSERT"):
            inserts.append(sql)
            if '"opendata_importedgrant"' in sql or (
                connection.vendor == "postgresql" and '"audit_auditentry"' in sql
            ):
                raise OperationalError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_on_the_grants), pytest.raises(CommandError) as error:
        run(path)
    assert "rien n'a été écrit" in str(error.value)
    assert '"organisations_organisation"' in inserts[1]
    assert ImportBatch.objects.count() == ImportedGrant.objects.count() == 0
    assert (Organisation.objects.count(), AidRecord.objects.count()) == before


def test_dry_run_writes_nothing(tmp_path):
    output, rows = run(shared_data("scdl", "exemple_valide.csv"), "--dry-run")
    assert counts(output)["imported"] == 28 and "rien n'a été écrit" in output
    assert ImportBatch.objects.count() == ImportedGrant.objects.count() == 0
    assert not Organisation.objects.filter(verified=False).exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "nom;adresse;total\nA;B;12\n",
            "Colonnes introuvables : nomBeneficiaire, montant, dateConvention",
        ),
        ("", "Le fichier est vide."),
        ('{"grants": 12}', "Paquet 360Giving sans liste « grants »."),
        ("{not json", "JSON illisible (ligne 1, colonne 2)"),
    ],
)
def test_a_file_whose_columns_cannot_be_understood_is_refused_whole(tmp_path, content, reason):
    path = write(tmp_path, content)
    with pytest.raises(CommandError) as error:
        call_command("import_grants", str(path), stdout=io.StringIO())
    assert reason in str(error.value)
    assert ImportBatch.objects.count() == 0


def test_broken_siret_is_kept_and_flagged_and_the_siren_matches_the_organisation(tmp_path):
    organisation = make_organisation(siret=siret(6))
    last = (int(organisation.siret[-1]) + 1) % 10
    broken = organisation.siret[:-1] + str(last)  # right SIREN, one digit off: Luhn fails
    row = f"Ville,{ANTIBES},2017-06-27,R1,{organisation.name.upper()},{broken},,Objet,1000,aide en numéraire,unique,2017-06-27,,non,1,"
    _output, rows = run(write(tmp_path, f"{HEADER}\n{row}\n"))
    assert rows[0]["outcome"] == "flagged"
    assert f"SIRET du bénéficiaire {broken} invalide (clé de Luhn fausse)" in rows[0]["reason"]
    grant = ImportedGrant.objects.get()
    assert grant.beneficiary_siret == broken and grant.organisation == organisation


def test_an_unknown_beneficiary_becomes_an_unverified_organisation_someone_can_claim(tmp_path):
    number = siret(7)
    row = f"Ville,{ANTIBES},2017-06-27,R1,ATELIER DES POSSIBLES,{number},,Objet,1000,aide en numéraire,unique,2017-06-27,,non,1,"
    run(write(tmp_path, f"{HEADER}\n{row}\n"))
    organisation = ImportedGrant.objects.get().organisation
    assert organisation is not None and not organisation.verified
    assert organisation.siren == number[:9] and organisation.departement_id == "06"
    assert organisation.name == "Atelier des Possibles"
    entry = AuditEntry.objects.get(action="create_from_import", object_id=organisation.pk)
    assert entry.reason == "structure non vérifiée créée par l'import « f.csv »"
    user = make_user()
    claimed = organisation_services.create_organisation(
        actor=user,
        data={
            "name": "Atelier des possibles",
            "kind": "association",
            "siret": number,
            "departement_id": "06",
        },
    )
    assert claimed == organisation
    claimed.refresh_from_db()
    assert claimed.verified and claimed.members.get() == user


def test_imported_de_minimis_aid_counts_in_the_ledger_and_other_aid_does_not(tmp_path):
    # De minimis: « minimis » in the object, or notificationUE « oui » (SCDL 2.1.1: « au titre
    # d'une aide de minimis notifiée à la Commission », what the platform's export writes).
    organisation = make_organisation(siret=siret(8))
    rows = [
        f'Ville,{ANTIBES},2025-03-01,R1,X,{organisation.siret},,Aide de minimis au démarrage,"40 000,00",aide en numéraire,unique,2025-03-01,,non,0.5,',
        f"Ville,{ANTIBES},2025-04-01,R2,X,{organisation.siret},,Aide au fonctionnement,90000,aide en numéraire,unique,2025-04-01,,non,1,",
        f"Ville,{ANTIBES},2025-05-01,R3,X,{organisation.siret},,Aide au démarrage,15000,aide en numéraire,unique,2025-05-01,,oui,1,",
    ]
    run(write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"))
    records = list(AidRecord.objects.order_by("granted_on"))
    assert [r.source for r in records] == [AidSource.IMPORTED] * 2
    assert [r.amount for r in records] == [Decimal("20000.00"), Decimal("15000.00")]
    assert records[0].granted_on == datetime.date(2025, 3, 1)
    ledger = deminimis.ledger(organisation, datetime.date(2026, 1, 1), for_officer=True)
    assert ledger["verified"] == Decimal("35000.00")
    other = ImportedGrant.objects.get(reference="R2")
    assert other.eu_notified is False and not other.de_minimis and other.aid_record is None
    notified = ImportedGrant.objects.get(reference="R3")
    assert notified.eu_notified is True and notified.de_minimis


def test_an_export_imported_into_an_empty_database_exports_the_same_file(tmp_path):
    """Round trip on the file itself: the SCDL the platform publishes, imported, written back
    from the imported grants, is byte-identical (same rows in the same order: the import keeps
    the file's order, and every field the SCDL has is kept)."""
    with transaction.atomic():
        OpenWorld("40000", state_part="10000").signed()
        OpenWorld("23000").signed()
        published = export.scdl_csv(export.lines())
        transaction.set_rollback(True)  # back to an empty database
    assert not Organisation.objects.exists()
    path = write(tmp_path, published)
    output, rows = run(path)
    assert counts(output)["rejected"] == counts(output)["duplicate"] == 0
    assert len(rows) == 3
    again = io.StringIO()
    import_report.write_imported_scdl(ImportedGrant.objects.order_by("record_number"), again)
    assert again.getvalue() == published


def test_nul_characters_never_reach_the_database(tmp_path):
    row = f"Ville,{ANTIBES},2017-06-27,R1,Structure\x00 A,{siret(9)},,Obj\x00et,1000,aide en numéraire,unique,2017-06-27,,non,1,"
    run(write(tmp_path, f"{HEADER}\n{row}\n"))
    package = '{"grants": [{"id": "G-1", "title": "Ti\\u0000tre", "currency": "EUR", "amountAwarded": 10, "awardDate": "2020-01-02", "recipientOrganization": [{"id": "FR-SIREN-%s", "name": "B"}], "fundingOrganization": [{"id": "X", "name": "F"}]}]}'
    run(write(tmp_path, package % siret(10)[:9], name="p.json"))
    assert set(ImportedGrant.objects.values_list("object", flat=True)) == {"Objet", "Titre"}
