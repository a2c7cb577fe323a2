"""The files a payment run sends out: the mandatement file and the SEPA credit transfer file.

Pure: plain dataclasses in, bytes out; no model, no database. `payments.runs.order_lines(run)` turns
a run into `OrderLine`s, the funder into a `Payer`; the writers refuse what a bank or the public
accountant would reject (a payer without SIRET or IBAN, an IBAN whose check digits are wrong, a
duplicate end-to-end id, an amount that is not a positive whole number of cents) with
`PaymentFileError`, whose message says, in French, which order and what is wrong, before a byte of
that order is written.

**Mandatement file** (`write_mandatement`): the payment orders for the public accountant's finance
system, one line per order, CSV in UTF-8 with a byte order mark, `;` separator and CRLF line ends
(the French spreadsheet habit: Excel opens it with accents and columns right), a header line then
the columns of `MANDATEMENT_COLUMNS`:

    reference_lot            run reference (the same on every line), e.g. PEP-R000012
    numero_ordre             1, 2, 3… in file order
    date_execution           requested execution date, JJ/MM/AAAA
    siret_payeur             the funder's SIRET (14 digits)
    ligne_budgetaire         e.g. « Feuille de route 2015–2017 / Innovation / ecocollab »
    beneficiaire             beneficiary's name, as registered (accents kept)
    siret_beneficiaire       14 digits; empty for an association known only by its RNA
    iban                     beneficiary's IBAN, capitals, no spaces
    bic                      beneficiary's BIC, empty when unknown (IBAN-only transfer)
    montant                  euros with a decimal comma and two decimals, no thousands separator: 12500,00
    objet                    purpose, e.g. « Convention CONV-2015-ECOCOLLAB-003 — tranche 1 sur 3 »
    reference_convention     agreement reference, e.g. CONV-2015-ECOCOLLAB-003
    identifiant_bout_en_bout end-to-end id of the order (the one in the SEPA file), e.g. PEP-R000012-I000045

A decimal comma because the file is read in French spreadsheets and `;`-separated like every other
CSV the platform writes; text cells that a spreadsheet would read as a formula get a leading `'`
(`pepiniere.lib.spreadsheet`).

**SEPA credit transfer** (`write_sepa`): ISO 20022 `pain.001.001.09`, one payment information block
(one debtor account, one execution date, batch booking, service level SEPA, charges shared SLEV),
one `CdtTrfTxInf` per order. Amounts in cents are written `123.45`; `NbOfTxs` and `CtrlSum` are
given in the group header and in the block. Names and remittance text are transliterated to the
SEPA Latin character set (`sepa_text`: « Région » → « Region »). The creditor's BIC is written when
known and left out otherwise (IBAN-only, allowed in SEPA since 2016); a debtor without BIC gets
`NOTPROVIDED`. SIRETs go in `Id/OrgId/Othr` with the ISO code `SRET`. Written incrementally with
lxml's `xmlfile`: the XML is never held in memory; only each order's name in SEPA characters is
kept between the checks (which the header's control sums need before the orders) and the writing.

`sepa_errors(xml)` validates against the official XSD vendored in `schemas/` and adds the rules the
schema cannot express: control sums and counts present and right, currency EUR, amounts in whole
cents, unique end-to-end ids, IBAN check digits, names in the SEPA character set.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, Any, cast

from django.utils.translation import gettext as _
from lxml import etree
from stdnum.fr import siret as stdnum_siret

from pepiniere.lib.spreadsheet import SafeCsvWriter

SEPA_VERSION = "pain.001.001.09"
SEPA_NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SEPA_VERSION}"
SEPA_SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / f"{SEPA_VERSION}.xsd"
_NS = "{" + SEPA_NAMESPACE + "}"

# Lengths the EPC SEPA Credit Transfer rulebook allows (the XSD allows 140 for names).
NAME_MAX = 70
REMITTANCE_MAX = 140
ID_MAX = 35


@dataclass(frozen=True)
class OrderLine:
    """One payment order = one authorised instalment."""

    end_to_end_id: str  # <= 35 chars, unique in the file, e.g. "PEP-R000012-I000045"
    amount_cents: int
    beneficiary_name: str
    beneficiary_siret: str
    iban: str
    bic: str  # "" when unknown
    budget_line: str  # "Feuille de route 2015–2017 / Innovation / ecocollab"
    purpose: str  # "Convention CONV-2015-ECOCOLLAB-003 — tranche 1 sur 3" (remittance, <= 140)
    agreement_reference: str


@dataclass(frozen=True)
class Payer:
    """The funder that pays: its SIRET, and for SEPA its account."""

    name: str
    siret: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Column:
    header: str
    meaning: str


MANDATEMENT_COLUMNS: tuple[Column, ...] = (
    Column("reference_lot", "run reference, the same on every line"),
    Column("numero_ordre", "order number in the file: 1, 2, 3…"),
    Column("date_execution", "requested execution date, JJ/MM/AAAA"),
    Column("siret_payeur", "the funder's SIRET"),
    Column("ligne_budgetaire", "budget line: programme / axis / call"),
    Column("beneficiaire", "beneficiary's name"),
    Column(
        "siret_beneficiaire", "beneficiary's SIRET, empty for an association known by its RNA only"
    ),
    Column("iban", "beneficiary's IBAN, capitals, no spaces"),
    Column("bic", "beneficiary's BIC, empty when unknown"),
    Column("montant", "euros, decimal comma, two decimals, no thousands separator"),
    Column("objet", "purpose of the payment"),
    Column("reference_convention", "agreement reference"),
    Column("identifiant_bout_en_bout", "end-to-end id of the order"),
)


class PaymentFileError(ValueError):
    """An order or a payer that cannot go into a payment file; ``message`` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- SEPA character set ---------------------------------------------------------------------

# The EPC "SEPA Latin" basic set every bank must accept.
SEPA_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)
# Letters that Unicode decomposition does not reduce to a base letter, and punctuation with a
# usual SEPA spelling. Double quotes and guillemets are dropped (« Les Amis » → Les Amis).
_SPECIAL: dict[int, str] = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "ı": "i",
        "&": "+",
        "’": "'",
        "‘": "'",
        "‛": "'",
        "`": "'",
        "´": "'",
        "«": "",
        "»": "",
        "“": "",
        "”": "",
        "„": "",
        '"': "",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "_": "-",
        "°": "o",
        "€": "EUR",
        ";": ",",
        "!": ".",
    }
)
_SPECIAL_RE = re.compile("[" + re.escape("".join(chr(c) for c in _SPECIAL)) + "]")
_NOT_SEPA = re.compile(r"[^a-zA-Z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r"  +")


@lru_cache(maxsize=4096)  # a run pays the same beneficiaries and purposes again and again
def sepa_text(value: str, max_length: int = REMITTANCE_MAX) -> str:
    """`value` in the SEPA Latin character set, at most `max_length` characters.

    Accents go (« Région Nouvelle-Aquitaine » → « Region Nouvelle-Aquitaine »), ligatures and
    letters without a decomposition get their usual spelling (Œ → OE, ß → ss), & becomes +, dashes
    become -, other ASCII characters a space, other letters (Greek, Cyrillic…) are dropped; runs of
    spaces collapse."""
    if _NOT_SEPA.search(value):
        value = _SPECIAL_RE.sub(lambda match: _SPECIAL[ord(match.group())], value)
        # NFKD splits « é » into « e » + a combining accent, which the ASCII encoding drops.
        ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        value = _NOT_SEPA.sub(" ", ascii_text)
    return _SPACES.sub(" ", value).strip()[:max_length].rstrip()


# --- identifiers ----------------------------------------------------------------------------

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
# EPC: identifiers in the SEPA set, no space, never starting or ending with "/" nor containing "//".
_SEPA_ID = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)")


_IBAN_LETTERS = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)})
_SIRET = re.compile(r"[0-9]{14}")


def compact(code: str) -> str:
    """An IBAN or BIC as banks exchange it: capitals, no spaces."""
    return "".join(code.split()).upper()


def iban_problem(iban: str) -> str | None:
    """None when `iban` (compact) has the IBAN shape and right check digits, else what is wrong."""
    if not _IBAN.fullmatch(iban):
        return _(
            "« %(iban)s » n'a pas la forme d'un IBAN (2 lettres, 2 chiffres, 11 à 30 lettres ou chiffres)"
        ) % {"iban": iban}
    if int((iban[4:] + iban[:4]).translate(_IBAN_LETTERS)) % 97 != 1:
        return _("la clé de contrôle de l'IBAN « %(iban)s » est fausse") % {"iban": iban}
    return None


def format_amount(cents: int, *, decimal: str = ".") -> str:
    """12345 → « 123.45 » (SEPA) or, with decimal=",", « 123,45 » (mandatement)."""
    return f"{cents // 100}{decimal}{cents % 100:02d}"


def _check_payer(payer: Payer, *, need_account: bool) -> None:
    if not payer.siret.strip():
        raise PaymentFileError(
            _(
                "Le financeur « %(name)s » n'a pas de SIRET : renseignez-le (administration, "
                "Financeurs) avant de produire un fichier de paiement."
            )
            % {"name": payer.name}
        )
    if not stdnum_siret.is_valid(payer.siret):
        raise PaymentFileError(
            _("Le SIRET du financeur « %(name)s » (%(siret)s) n'est pas valide.")
            % {"name": payer.name, "siret": payer.siret}
        )
    if not need_account:
        return
    if not payer.iban.strip():
        raise PaymentFileError(
            _(
                "Le financeur « %(name)s » n'a pas d'IBAN : renseignez-le (administration, "
                "Financeurs) avant de produire un virement SEPA."
            )
            % {"name": payer.name}
        )
    problem = iban_problem(compact(payer.iban))
    if problem:
        raise PaymentFileError(
            _("Compte du financeur « %(name)s » : %(problem)s.")
            % {"name": payer.name, "problem": problem}
        )
    if payer.bic and not _BIC.fullmatch(compact(payer.bic)):
        raise PaymentFileError(
            _("Le BIC du financeur « %(name)s » (%(bic)s) n'est pas un BIC.")
            % {"name": payer.name, "bic": payer.bic}
        )


def _check_line(line: OrderLine, seen: set[str]) -> str:
    """Refuse the line (PaymentFileError) or return the beneficiary's name in SEPA characters."""

    def refuse(problem: str) -> PaymentFileError:
        return PaymentFileError(
            _("Ordre %(id)s (%(name)s) : %(problem)s.")
            % {"id": line.end_to_end_id, "name": line.beneficiary_name, "problem": problem}
        )

    if not _SEPA_ID.fullmatch(line.end_to_end_id):
        raise refuse(
            _(
                "l'identifiant de bout en bout doit compter 1 à 35 caractères parmi lettres, "
                "chiffres et / - ? : ( ) . , ' +, sans espace ni « / » au début, à la fin ou doublé"
            )
        )
    if line.end_to_end_id in seen:
        raise refuse(_("l'identifiant de bout en bout figure déjà dans le fichier"))
    seen.add(line.end_to_end_id)
    if isinstance(line.amount_cents, bool) or not isinstance(line.amount_cents, int):
        raise refuse(_("le montant doit être un nombre entier de centimes"))
    if line.amount_cents <= 0:
        raise refuse(_("le montant doit être positif"))
    sepa_name = sepa_text(line.beneficiary_name, NAME_MAX)
    if not sepa_name:
        raise refuse(_("le nom du bénéficiaire est vide une fois écrit en caractères SEPA"))
    # Its check digits were checked when the organisation was registered; here only its shape.
    if line.beneficiary_siret and not _SIRET.fullmatch(line.beneficiary_siret):
        raise refuse(
            _("le SIRET du bénéficiaire « %(siret)s » doit compter 14 chiffres")
            % {"siret": line.beneficiary_siret}
        )
    if not line.iban.strip():
        raise refuse(_("le bénéficiaire n'a pas de coordonnées bancaires validées"))
    problem = iban_problem(compact(line.iban))
    if problem:
        raise refuse(problem)
    if line.bic and not _BIC.fullmatch(compact(line.bic)):
        raise refuse(_("« %(bic)s » n'est pas un BIC") % {"bic": line.bic})
    return sepa_name


# --- mandatement ----------------------------------------------------------------------------


def write_mandatement(
    lines: Iterable[OrderLine],
    out: IO[bytes],
    *,
    run_reference: str,
    payer: Payer,
    execution_date: date,
) -> int:
    """Write the mandatement CSV (columns: `MANDATEMENT_COLUMNS`) and return the number of orders.

    Streams: each order is checked, then written. On `PaymentFileError` what was written before
    stays in `out`: callers write to a buffer or a temporary file and keep it only on success."""
    _check_payer(payer, need_account=False)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = SafeCsvWriter(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(column.header for column in MANDATEMENT_COLUMNS)
        day = execution_date.strftime("%d/%m/%Y")
        seen: set[str] = set()
        count = 0
        for line in lines:
            _check_line(line, seen)
            count += 1
            writer.writerow(
                (
                    run_reference,
                    str(count),
                    day,
                    payer.siret,
                    line.budget_line,
                    line.beneficiary_name,
                    line.beneficiary_siret,
                    compact(line.iban),
                    compact(line.bic),
                    format_amount(line.amount_cents, decimal=","),
                    line.purpose,
                    line.agreement_reference,
                    line.end_to_end_id,
                )
            )
    finally:
        text.detach()  # flushes, and leaves `out` open: it belongs to the caller
    return count


# --- SEPA -----------------------------------------------------------------------------------


def _leaf(xf: Any, tag: str, text: str, attrib: dict[str, str] | None = None) -> None:
    with xf.element(_NS + tag, attrib or {}):
        xf.write(text)


def _organisation_id(xf: Any, siret: str) -> None:
    with xf.element(_NS + "Id"), xf.element(_NS + "OrgId"), xf.element(_NS + "Othr"):
        _leaf(xf, "Id", siret)
        with xf.element(_NS + "SchmeNm"):
            _leaf(xf, "Cd", "SRET")


def _party(xf: Any, tag: str, name: str, siret: str) -> None:
    with xf.element(_NS + tag):
        _leaf(xf, "Nm", name)
        if siret:
            _organisation_id(xf, siret)


def write_sepa(
    lines: Sequence[OrderLine],
    out: IO[bytes],
    *,
    message_id: str,
    payer: Payer,
    execution_date: date,
    created_at: datetime,
) -> int:
    """Write a SEPA credit transfer file (pain.001.001.09) and return the number of orders.

    `message_id` (at most 32 characters of the SEPA identifier set) names the file for the bank
    and must be unique per payer; the payment information block is `message_id` + « -1 ».
    Every order is checked before anything is written."""
    _check_payer(payer, need_account=True)
    if not _SEPA_ID.fullmatch(message_id) or len(message_id) > ID_MAX - 2:
        raise PaymentFileError(
            _(
                "L'identifiant du message « %(id)s » doit compter 1 à 33 caractères SEPA sans espace."
            )
            % {"id": message_id}
        )
    if created_at.tzinfo is None:
        raise PaymentFileError(_("La date de création du fichier doit porter son fuseau horaire."))
    seen: set[str] = set()
    names = [_check_line(line, seen) for line in lines]  # checked, and reused when writing
    total = sum(line.amount_cents for line in lines)
    count = len(lines)
    if count == 0:
        raise PaymentFileError(
            _("Aucun ordre de paiement : un virement SEPA en demande au moins un.")
        )
    payer_name = sepa_text(payer.name, NAME_MAX)
    payer_siret = "".join(payer.siret.split())
    count_text, total_text = str(count), format_amount(total)

    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        document = xf.element(_NS + "Document", nsmap={None: SEPA_NAMESPACE})
        with document, xf.element(_NS + "CstmrCdtTrfInitn"):
            with xf.element(_NS + "GrpHdr"):
                _leaf(xf, "MsgId", message_id)
                _leaf(xf, "CreDtTm", created_at.isoformat(timespec="seconds"))
                _leaf(xf, "NbOfTxs", count_text)
                _leaf(xf, "CtrlSum", total_text)
                _party(xf, "InitgPty", payer_name, payer_siret)
            with xf.element(_NS + "PmtInf"):
                _leaf(xf, "PmtInfId", f"{message_id}-1")
                _leaf(xf, "PmtMtd", "TRF")
                _leaf(xf, "BtchBookg", "true")
                _leaf(xf, "NbOfTxs", count_text)
                _leaf(xf, "CtrlSum", total_text)
                with xf.element(_NS + "PmtTpInf"), xf.element(_NS + "SvcLvl"):
                    _leaf(xf, "Cd", "SEPA")
                with xf.element(_NS + "ReqdExctnDt"):
                    _leaf(xf, "Dt", execution_date.isoformat())
                _party(xf, "Dbtr", payer_name, payer_siret)
                with xf.element(_NS + "DbtrAcct"), xf.element(_NS + "Id"):
                    _leaf(xf, "IBAN", compact(payer.iban))
                with xf.element(_NS + "DbtrAgt"), xf.element(_NS + "FinInstnId"):
                    if payer.bic:
                        _leaf(xf, "BICFI", compact(payer.bic))
                    else:
                        with xf.element(_NS + "Othr"):
                            _leaf(xf, "Id", "NOTPROVIDED")
                _leaf(xf, "ChrgBr", "SLEV")
                for line, name in zip(lines, names, strict=True):
                    _write_transaction(xf, line, name)
        xf.flush()
    return count


def _write_transaction(xf: Any, line: OrderLine, sepa_name: str) -> None:
    with xf.element(_NS + "CdtTrfTxInf"):
        with xf.element(_NS + "PmtId"):
            _leaf(xf, "EndToEndId", line.end_to_end_id)
        with xf.element(_NS + "Amt"):
            _leaf(xf, "InstdAmt", format_amount(line.amount_cents), {"Ccy": "EUR"})
        if line.bic:
            with xf.element(_NS + "CdtrAgt"), xf.element(_NS + "FinInstnId"):
                _leaf(xf, "BICFI", compact(line.bic))
        _party(xf, "Cdtr", sepa_name, "".join(line.beneficiary_siret.split()))
        with xf.element(_NS + "CdtrAcct"), xf.element(_NS + "Id"):
            _leaf(xf, "IBAN", compact(line.iban))
        with xf.element(_NS + "RmtInf"):
            _leaf(xf, "Ustrd", sepa_text(line.purpose, REMITTANCE_MAX) or line.end_to_end_id)


# --- validation -----------------------------------------------------------------------------


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SEPA_SCHEMA_PATH)))


def _parser() -> etree.XMLParser:
    # No entities, no network, no DTD: the file may come from outside.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def sepa_errors(xml: bytes) -> list[str]:
    """Every problem of a pain.001.001.09 file, one message per problem; [] when it is valid.

    The ISO 20022 schema first (messages from libxml2, with the line), then the rules the schema
    cannot express: NbOfTxs and CtrlSum present and equal to the orders of the group and of each
    block, currency EUR, whole cents, unique end-to-end ids, IBAN check digits, names and
    remittance text in the SEPA Latin character set."""
    try:
        document = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as error:
        return [_("XML illisible : %(error)s") % {"error": error}]
    schema = _schema()
    if not schema.validate(document):
        return [
            _("ligne %(line)s : %(message)s") % {"line": e.line, "message": e.message}
            for e in cast(Iterable[Any], schema.error_log)  # lxml-stubs miss its __iter__
        ]
    return list(_profile_errors(document))


def _cents(text: str | None) -> int | None:
    if text is None or not re.fullmatch(r"\d+(\.\d{1,2})?", text.strip()):
        return None
    units, _dot, decimals = text.strip().partition(".")
    return int(units) * 100 + int(decimals.ljust(2, "0") or 0)


def _profile_errors(document: Any) -> Iterator[str]:
    ns = {"p": SEPA_NAMESPACE}
    root = document.find("p:CstmrCdtTrfInitn", ns)
    header = root.find("p:GrpHdr", ns)
    grand_total, grand_count = 0, 0
    seen: set[str] = set()
    for block in root.iterfind("p:PmtInf", ns):
        block_id = block.findtext("p:PmtInfId", namespaces=ns)
        block_total, block_count = 0, 0
        for tx in block.iterfind("p:CdtTrfTxInf", ns):
            block_count += 1
            e2e = tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) or ""
            where = _("ordre %(id)s") % {"id": e2e}
            if e2e in seen:
                yield _("%(where)s : identifiant de bout en bout en double") % {"where": where}
            seen.add(e2e)
            amount = tx.find("p:Amt/p:InstdAmt", ns)
            cents = _cents(amount.text if amount is not None else None)
            if amount is None or amount.get("Ccy") != "EUR":
                yield _("%(where)s : le montant doit être en euros (EUR)") % {"where": where}
            if cents is None or cents <= 0:
                yield _(
                    "%(where)s : montant « %(amount)s » : un nombre positif de centimes attendu"
                ) % {
                    "where": where,
                    "amount": amount.text if amount is not None else "",
                }
            else:
                block_total += cents
            yield from _account_errors(tx, "p:CdtrAcct/p:Id/p:IBAN", where, ns)
            yield from _text_errors(tx, ("p:Cdtr/p:Nm", "p:RmtInf/p:Ustrd"), where, ns)
        where = _("bloc %(id)s") % {"id": block_id}
        yield from _sum_errors(block, block_count, block_total, where, ns)
        yield from _account_errors(block, "p:DbtrAcct/p:Id/p:IBAN", where, ns)
        yield from _text_errors(block, ("p:Dbtr/p:Nm",), where, ns)
        grand_total += block_total
        grand_count += block_count
    yield from _sum_errors(header, grand_count, grand_total, _("en-tête du message"), ns)


def _sum_errors(node: Any, count: int, total: int, where: str, ns: dict[str, str]) -> Iterator[str]:
    nb = node.findtext("p:NbOfTxs", namespaces=ns)
    if nb is None:
        yield _("%(where)s : NbOfTxs (nombre d'ordres) manque") % {"where": where}
    elif int(nb) != count:
        yield _("%(where)s : NbOfTxs vaut %(nb)s mais le fichier contient %(count)s ordres") % {
            "where": where,
            "nb": nb,
            "count": count,
        }
    ctrl = node.findtext("p:CtrlSum", namespaces=ns)
    if ctrl is None:
        yield _("%(where)s : CtrlSum (somme de contrôle) manque") % {"where": where}
    elif _cents(ctrl) != total:
        yield _("%(where)s : CtrlSum vaut %(ctrl)s mais les montants totalisent %(total)s") % {
            "where": where,
            "ctrl": ctrl,
            "total": format_amount(total),
        }


def _account_errors(node: Any, path: str, where: str, ns: dict[str, str]) -> Iterator[str]:
    iban = node.findtext(path, namespaces=ns)
    if iban is not None:
        problem = iban_problem(iban)
        if problem:
            yield f"{where} : {problem}"


def _text_errors(node: Any, paths: Sequence[str], where: str, ns: dict[str, str]) -> Iterator[str]:
    for path in paths:
        for element in node.iterfind(path, ns):
            text = element.text or ""
            wrong = sorted({ch for ch in text if ch not in SEPA_CHARACTERS})
            if wrong:
                yield _(
                    "%(where)s : « %(text)s » contient des caractères hors jeu SEPA : %(chars)s"
                ) % {
                    "where": where,
                    "text": text,
                    "chars": " ".join(wrong),
                }
