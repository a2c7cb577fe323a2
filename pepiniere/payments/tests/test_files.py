"""The mandatement CSV and the SEPA pain.001.001.09 file, as the accountant and the bank read them."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pepiniere.payments.files import (
    MANDATEMENT_COLUMNS,
    SEPA_CHARACTERS,
    SEPA_NAMESPACE,
    OrderLine,
    Payer,
    PaymentFileError,
    sepa_errors,
    sepa_text,
    write_mandatement,
    write_sepa,
)

PARIS = ZoneInfo("Europe/Paris")
NS = {"p": SEPA_NAMESPACE}
REGION = Payer(
    name="Région Nouvelle-Aquitaine",
    siret="99291417600019",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPP",
)
CREATED = datetime(2026, 12, 3, 18, 40, tzinfo=PARIS)
EXECUTION = date(2026, 12, 10)


def order(n: int = 1, **changes: object) -> OrderLine:
    line = OrderLine(
        end_to_end_id=f"PEP-R000012-I{n:06d}",
        amount_cents=1_250_000 + n,
        beneficiary_name="Écocollab « Les Amis » & Cie",
        beneficiary_siret="99660487200019",
        iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
        budget_line="Feuille de route 2015–2017 / Innovation / ecocollab",
        purpose="Convention CONV-2015-ECOCOLLAB-003 — tranche 1 sur 3",
        agreement_reference="CONV-2015-ECOCOLLAB-003",
    )
    return replace(line, **changes)  # type: ignore[arg-type]


def sepa(lines, payer=REGION, message_id="PEP-R000012") -> bytes:
    out = io.BytesIO()
    write_sepa(
        lines, out, message_id=message_id, payer=payer, execution_date=EXECUTION, created_at=CREATED
    )
    return out.getvalue()


def mandatement(lines, payer=REGION) -> bytes:
    out = io.BytesIO()
    write_mandatement(
        lines, out, run_reference="PEP-R000012", payer=payer, execution_date=EXECUTION
    )
    return out.getvalue()


# --- SEPA -----------------------------------------------------------------------------------


def test_a_sepa_file_is_valid_against_the_iso_20022_schema_and_says_what_it_pays():
    lines = [order(1), order(2, bic=""), order(3, amount_cents=5, beneficiary_siret="")]
    xml = sepa(lines)

    assert sepa_errors(xml) == []
    root = etree.fromstring(xml)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == "PEP-R000012"
    assert (
        root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", namespaces=NS)
        == "2026-12-03T18:40:00+01:00"
    )
    for path in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert root.findtext(f"{path}/p:NbOfTxs", namespaces=NS) == "3"
        assert root.findtext(f"{path}/p:CtrlSum", namespaces=NS) == "25000.08"
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert block is not None
    assert block.findtext("p:PmtInfId", namespaces=NS) == "PEP-R000012-1"
    assert block.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-12-10"
    assert block.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Region Nouvelle-Aquitaine"
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "FR7630006000011234567890189"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "AGRIFRPP"

    first, second, third = block.findall("p:CdtTrfTxInf", NS)
    assert first.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == "PEP-R000012-I000001"
    amount = first.find("p:Amt/p:InstdAmt", NS)
    assert amount is not None
    assert (amount.text, amount.get("Ccy")) == ("12500.01", "EUR")
    assert third.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "0.05"
    assert first.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "COBADEFFXXX"
    assert second.find("p:CdtrAgt", NS) is None  # IBAN-only when the BIC is unknown
    assert first.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Ecocollab Les Amis + Cie"
    assert first.findtext("p:Cdtr/p:Id/p:OrgId/p:Othr/p:Id", namespaces=NS) == "99660487200019"
    assert third.find("p:Cdtr/p:Id", NS) is None
    assert first.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE89370400440532013000"
    assert (
        first.findtext("p:RmtInf/p:Ustrd", namespaces=NS)
        == "Convention CONV-2015-ECOCOLLAB-003 - tranche 1 sur 3"
    )


def test_a_payer_without_bic_is_written_notprovided_and_stays_valid():
    xml = sepa([order()], payer=replace(REGION, bic=""))
    assert sepa_errors(xml) == []
    root = etree.fromstring(xml)
    agent = "p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAgt/p:FinInstnId"
    assert root.findtext(f"{agent}/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"


def test_the_same_run_written_twice_gives_the_same_bytes():
    lines = [order(1), order(2)]
    assert sepa(lines) == sepa(lines)


def test_a_broken_iban_is_an_error_of_the_schema():
    xml = sepa([order()]).replace(b"DE89370400440532013000", b"DE89-3704 0044!")
    errors = sepa_errors(xml)
    assert errors and "IBAN" in errors[0]


def test_a_missing_or_wrong_control_sum_is_an_error():
    xml = sepa([order(1), order(2)])
    header_sum = b"<CtrlSum>25000.03</CtrlSum><InitgPty>"
    assert header_sum in xml

    missing = sepa_errors(xml.replace(header_sum, b"<InitgPty>"))
    assert missing == ["en-tête du message : CtrlSum (somme de contrôle) manque"]

    wrong = sepa_errors(xml.replace(header_sum, b"<CtrlSum>25000.00</CtrlSum><InitgPty>"))
    assert wrong == [
        "en-tête du message : CtrlSum vaut 25000.00 mais les montants totalisent 25000.03"
    ]


def test_wrong_check_digits_a_duplicate_id_and_accents_are_errors_the_schema_misses():
    xml = sepa([order(1), order(2)])
    xml = xml.replace(b"DE89370400440532013000", b"DE89370400440532013001", 1)
    xml = xml.replace(b"PEP-R000012-I000002", b"PEP-R000012-I000001")
    xml = xml.replace(b"<Nm>Ecocollab", "<Nm>Écocollab".encode(), 1)

    errors = sepa_errors(xml)

    assert (
        "ordre PEP-R000012-I000001 : la clé de contrôle de l'IBAN « DE89370400440532013001 » est fausse"
        in errors
    )
    assert "ordre PEP-R000012-I000001 : identifiant de bout en bout en double" in errors
    assert any("caractères hors jeu SEPA : É" in e for e in errors)


def test_unreadable_xml_is_one_error_not_an_exception():
    assert sepa_errors(b"<Document>")[0].startswith("XML illisible")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=99_999_999_999), min_size=1, max_size=30))
def test_control_sum_is_the_sum_of_the_amounts_in_cents_for_any_list(amounts):
    xml = sepa([order(n, amount_cents=cents) for n, cents in enumerate(amounts)])
    root = etree.fromstring(xml)
    written = root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS)
    assert written is not None
    units, decimals = written.split(".")
    assert len(decimals) == 2
    assert int(units) * 100 + int(decimals) == sum(amounts)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == str(
        len(amounts)
    )
    assert sepa_errors(xml) == []


# --- refusals -------------------------------------------------------------------------------


def test_a_payer_without_siret_or_iban_is_refused_with_the_reason():
    with pytest.raises(PaymentFileError, match="n'a pas de SIRET"):
        sepa([order()], payer=replace(REGION, siret=""))
    with pytest.raises(PaymentFileError, match="n'a pas de SIRET"):
        mandatement([order()], payer=replace(REGION, siret=""))
    with pytest.raises(PaymentFileError, match="n'a pas d'IBAN"):
        sepa([order()], payer=replace(REGION, iban=""))
    # The public accountant pays from the Treasury: the mandatement needs no payer IBAN.
    assert mandatement([order()], payer=replace(REGION, iban=""))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iban": "DE89370400440532013001"}, "la clé de contrôle de l'IBAN"),
        ({"iban": "DE89 3704"}, "n'a pas la forme d'un IBAN"),
        ({"iban": ""}, "pas de coordonnées bancaires validées"),
        ({"bic": "COBA"}, "n'est pas un BIC"),
        ({"amount_cents": 0}, "le montant doit être positif"),
        ({"end_to_end_id": "PEP R12"}, "identifiant de bout en bout"),
        ({"end_to_end_id": "X" * 36}, "identifiant de bout en bout"),
        ({"beneficiary_name": "東京"}, "nom du bénéficiaire est vide"),
        ({"beneficiary_siret": "1234"}, "14 chiffres"),
    ],
)
def test_an_order_a_bank_would_reject_is_refused_with_its_id(changes, message):
    bad = order(2, **changes)
    for write in (sepa, mandatement):
        with pytest.raises(PaymentFileError, match=message) as refused:
            write([order(1), bad])
        assert refused.value.message.startswith(f"Ordre {bad.end_to_end_id} ")


def test_a_refused_sepa_file_writes_nothing():
    out = io.BytesIO()
    with pytest.raises(PaymentFileError):
        write_sepa(
            [order(1), order(1)],
            out,
            message_id="PEP-R000012",
            payer=REGION,
            execution_date=EXECUTION,
            created_at=CREATED,
        )
    assert out.getvalue() == b""


def test_an_empty_run_and_a_naive_creation_time_are_refused():
    with pytest.raises(PaymentFileError, match="Aucun ordre"):
        sepa([])
    with pytest.raises(PaymentFileError, match="fuseau"):
        write_sepa(
            [order()],
            io.BytesIO(),
            message_id="PEP-R1",
            payer=REGION,
            execution_date=EXECUTION,
            created_at=datetime(2026, 12, 3, 18, 40),
        )


# --- mandatement ----------------------------------------------------------------------------


def test_the_mandatement_file_round_trips_through_a_csv_reader():
    lines = [order(1), order(2, bic="", beneficiary_siret=""), order(3, amount_cents=7)]
    data = mandatement(lines)

    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [column.header for column in MANDATEMENT_COLUMNS]
    assert len(rows) == 4
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert records[0] == {
        "reference_lot": "PEP-R000012",
        "numero_ordre": "1",
        "date_execution": "10/12/2026",
        "siret_payeur": "99291417600019",
        "ligne_budgetaire": "Feuille de route 2015–2017 / Innovation / ecocollab",
        "beneficiaire": "Écocollab « Les Amis » & Cie",
        "siret_beneficiaire": "99660487200019",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "montant": "12500,01",
        "objet": "Convention CONV-2015-ECOCOLLAB-003 — tranche 1 sur 3",
        "reference_convention": "CONV-2015-ECOCOLLAB-003",
        "identifiant_bout_en_bout": "PEP-R000012-I000001",
    }
    assert (records[1]["bic"], records[1]["siret_beneficiaire"]) == ("", "")
    assert records[2]["montant"] == "0,07"
    for record, line in zip(records, lines, strict=True):
        units, cents = record["montant"].split(",")
        assert int(units) * 100 + int(cents) == line.amount_cents
        assert record["identifiant_bout_en_bout"] == line.end_to_end_id


def test_the_mandatement_returns_the_count_and_leaves_the_output_open():
    out = io.BytesIO()
    count = write_mandatement(
        iter([order(1), order(2)]),
        out,
        run_reference="PEP-R000012",
        payer=REGION,
        execution_date=EXECUTION,
    )
    assert count == 2
    assert not out.closed


def test_a_name_that_looks_like_a_formula_stays_text_in_the_mandatement():
    data = mandatement([order(beneficiary_name='=HYPERLINK("http://evil.test")')])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1][5] == '\'=HYPERLINK("http://evil.test")'


# --- SEPA character set ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Région Nouvelle-Aquitaine", "Region Nouvelle-Aquitaine"),
        ("Œuvre des Forêts", "OEuvre des Forets"),
        ("Straße Ærø", "Strasse AEro"),
        ("Association « Les Amis » & Cie", "Association Les Amis + Cie"),
        ("Convention n° 3 — tranche 1/3 ; solde !", "Convention no 3 - tranche 1/3 , solde ."),
        ("L’Atelier   numérique", "L'Atelier numerique"),
        ("Ça coûte 10 € @ 5%", "Ca coute 10 EUR 5"),
    ],
)
def test_sepa_text_transliterates_to_the_sepa_latin_set(text, expected):
    assert sepa_text(text) == expected


def test_sepa_text_cuts_at_the_length_without_a_trailing_space():
    assert sepa_text("Région " * 20, 70) == ("Region " * 10).strip()


@given(st.text(), st.integers(min_value=1, max_value=140))
def test_sepa_text_always_gives_sepa_characters_within_the_length(text, length):
    result = sepa_text(text, length)
    assert set(result) <= SEPA_CHARACTERS
    assert len(result) <= length
    assert result == result.strip()
