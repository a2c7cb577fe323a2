"""Reading a crowdfunding platform's CSV export of contributions, line by line.

Columns (header names; case, accents, spaces and dashes do not matter; order is free):

| column | required | content |
|---|---|---|
| ``reference`` (or ``référence``, ``id``, ``transaction``) | yes | the payment's id on the platform, unique in the campaign |
| ``date`` (or ``created_at``, ``date_paiement``) | yes | ``2026-03-14``, ``2026-03-14 18:05``, ``2026-03-14T18:05:00+01:00`` or ``14/03/2026 [18:05]``; without an offset, Paris time |
| ``amount_cents`` (or ``montant_centimes``) | one of the two | whole cents: ``1500`` is 15,00 € |
| ``amount`` (or ``montant``) | one of the two | euros: ``15``, ``15,00``, ``15.00``, ``1 500,00 €`` |
| ``status`` (or ``statut``, ``etat``) | no | ``paid``/``payé``/``validé``/``succeeded``… counted; ``refunded``/``remboursé`` and ``failed``/``échoué``/``annulé``/``pending``/``en attente`` excluded; empty = counted |
| ``name`` (or ``nom``, ``contributeur``) | no | the payer's name, kept private (only the association and the officers see it) |
| ``email`` | no | read, never stored |

The unit is the header's, never guessed from the value: ``amount_cents`` holds integers only (a
``15,00`` there is refused), ``amount`` holds euros (``1500`` there is 1 500,00 €). A file with both
columns, or neither, is refused.

Encodings and separators: pepiniere.lib.csvread (UTF-8 with or without BOM, else cp1252; ``,``
``;`` or tab).

Each line gets one outcome: imported, excluded (refunded, failed or pending payments, or dated
outside the campaign), rejected (a value that cannot be read), duplicate (a reference already
imported, or repeated in the file). imported + excluded + rejected + duplicate = lines. The file
is all or nothing: one rejected line and nothing is imported (the report says which lines to
fix). No database here: the caller passes the references already known."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from pepiniere.lib.csvread import decode_text, header_key, sniff_delimiter
from pepiniere.lib.money import AmountError, parse_decimal

PARIS = ZoneInfo("Europe/Paris")
MAX_LINES = 20_000
MAX_BYTES = 5 * 1024 * 1024

IMPORTED = "imported"
EXCLUDED = "excluded"
REJECTED = "rejected"
DUPLICATE = "duplicate"
OUTCOMES = (IMPORTED, EXCLUDED, REJECTED, DUPLICATE)

_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "ref", "id", "transaction", "transaction_id", "id_transaction"),
    "date": ("date", "created_at", "date_paiement", "date_de_paiement", "paid_at"),
    "amount_cents": ("amount_cents", "montant_centimes", "montant_en_centimes", "cents"),
    "amount": ("amount", "montant", "montant_eur", "montant_euros", "amount_eur"),
    "status": ("status", "statut", "etat", "state"),
    "name": ("name", "nom", "contributeur", "payer", "payer_name", "nom_du_contributeur"),
    "email": ("email", "e_mail", "courriel", "mail"),
}
_COUNTED = {"", "paid", "paye", "payee", "valide", "validee", "succeeded", "success", "completed"}
_COUNTED |= {"ok", "confirmed", "confirme", "captured", "encaisse"}
_REFUNDED = {"refunded", "rembourse", "remboursee", "refund", "chargeback"}
_FAILED = {"failed", "echoue", "echouee", "echec", "cancelled", "canceled", "annule", "annulee"}
_FAILED |= {"pending", "en_attente", "refused", "refuse", "expired"}

_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class FileRefused(Exception):
    """The file as a whole cannot be read; ``message`` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Line:
    number: int  # the line's number in the file (the header is line 1)
    outcome: str
    reason: str
    reference: str = ""
    amount: Decimal | None = None
    pledged_at: datetime.datetime | None = None
    payer_name: str = ""
    status: str = ""  # counted / refunded / failed, as read


@dataclass(frozen=True)
class Report:
    lines: list[Line]

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def totals(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in OUTCOMES}

    @property
    def importable(self) -> bool:
        return self.count(REJECTED) == 0

    @property
    def imported_amount(self) -> Decimal:
        return sum(
            (ln.amount for ln in self.lines if ln.outcome == IMPORTED and ln.amount),
            Decimal("0"),
        )


def _fold(value: str) -> str:
    return header_key(value)


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    keys = [header_key(h) for h in header]
    for column, aliases in _COLUMNS.items():
        for index, key in enumerate(keys):
            if key in aliases and column not in found:
                found[column] = index
    missing = [c for c in ("reference", "date") if c not in found]
    if missing:
        raise FileRefused(
            _("Colonne obligatoire absente : %(c)s. Colonnes lues : %(h)s.")
            % {"c": ", ".join(missing), "h": ", ".join(h.strip() for h in header) or "aucune"}
        )
    if "amount" in found and "amount_cents" in found:
        raise FileRefused(
            _(
                "Le fichier a une colonne de montant en euros et une en centimes : gardez-en une seule."
            )
        )
    if "amount" not in found and "amount_cents" not in found:
        raise FileRefused(
            _(
                "Colonne de montant absente : « amount » (en euros) ou « amount_cents » (en centimes)."
            )
        )
    return found


def parse_moment(text: str) -> datetime.datetime:
    """A platform's date: ISO 8601 (with or without time and offset) or dd/mm/yyyy [hh:mm];
    without an offset, Paris time. ValueError otherwise."""
    value = text.strip()
    match = _FR_DATE.match(value)
    if match:
        day, month, year, hour, minute, second = match.groups()
        moment = datetime.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    else:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment


def _amount(raw: str, *, cents: bool) -> Decimal:
    value = raw.strip()
    if cents:
        if not re.fullmatch(r"\d+", value):
            raise AmountError(
                _("« %(v)s » : la colonne amount_cents attend un nombre entier de centimes.")
                % {"v": value}
            )
        amount = Decimal(int(value)) / 100
    else:
        amount = parse_decimal(value, max_decimals=2, allow_negative=False, currency=True)
    if amount <= 0:
        raise AmountError(_("Le montant doit être positif."))
    return amount.quantize(Decimal("0.01"))


def read_pledges(
    data: bytes,
    *,
    known: Mapping[str, Decimal],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> Report:
    """One Line per data line of the export. `known`: the campaign's references already
    recorded, with their amounts. FileRefused when the file cannot be read as a whole."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_("Le fichier dépasse 5 Mo."))
    text = decode_text(data)
    if not text.strip():
        raise FileRefused(_("Le fichier est vide."))
    first = text.splitlines()[0]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first)))
    header, body = rows[0], rows[1:]
    columns = _columns(header)
    if len(body) > MAX_LINES:
        raise FileRefused(_("Le fichier dépasse %(n)s lignes.") % {"n": MAX_LINES})
    seen: set[str] = set()
    lines: list[Line] = []
    for offset, row in enumerate(body):
        number = offset + 2
        if not any(cell.strip() for cell in row):
            lines.append(Line(number, EXCLUDED, _("ligne vide")))
            continue

        def cell(column: str, row: list[str] = row) -> str:
            index = columns.get(column)
            return row[index].strip() if index is not None and index < len(row) else ""

        reference = cell("reference")[:100]
        if len(row) != len(header):
            lines.append(
                Line(
                    number,
                    REJECTED,
                    _("%(n)s champs au lieu de %(h)s (séparateur ou guillemets ?)")
                    % {"n": len(row), "h": len(header)},
                    reference,
                )
            )
            continue
        if not reference:
            lines.append(Line(number, REJECTED, _("référence absente")))
            continue
        status_key = _fold(cell("status"))
        if status_key in _COUNTED:
            status = "counted"
        elif status_key in _REFUNDED:
            status = "refunded"
        elif status_key in _FAILED:
            status = "failed"
        else:
            lines.append(
                Line(
                    number,
                    REJECTED,
                    _("statut inconnu « %(s)s »") % {"s": cell("status")},
                    reference,
                )
            )
            continue
        try:
            amount = _amount(
                cell("amount_cents") if "amount_cents" in columns else cell("amount"),
                cents="amount_cents" in columns,
            )
        except AmountError as exc:
            lines.append(
                Line(number, REJECTED, _("montant : %(m)s") % {"m": exc.message}, reference)
            )
            continue
        try:
            pledged_at = parse_moment(cell("date"))
        except ValueError:
            lines.append(
                Line(
                    number,
                    REJECTED,
                    _("date illisible « %(d)s » (attendu 14/03/2026 ou année-mois-jour)")
                    % {"d": cell("date")},
                    reference,
                )
            )
            continue
        payer_name = cell("name")[:200]
        if status != "counted":
            reason = (
                _("paiement remboursé : non compté")
                if status == "refunded"
                else _("paiement échoué, annulé ou en attente : non compté")
            )
            if reference in known:
                reason = _("contribution déjà importée, désormais %(s)s : retirée du total") % {
                    "s": _("remboursée") if status == "refunded" else _("échouée ou annulée")
                }
            outcome = EXCLUDED
        elif reference in seen:
            outcome, reason = DUPLICATE, _("référence déjà présente plus haut dans le fichier")
        elif reference in known and known[reference] != amount:
            outcome, reason = REJECTED, _("référence déjà importée avec un autre montant")
        elif reference in known:
            outcome, reason = DUPLICATE, _("déjà importée")
        elif not starts_at <= pledged_at <= ends_at:
            outcome, reason = EXCLUDED, _("datée hors de la période de collecte")
        else:
            outcome, reason = IMPORTED, _("importée")
        if status == "counted":
            seen.add(reference)
        lines.append(
            Line(number, outcome, reason, reference, amount, pledged_at, payer_name, status)
        )
    if not lines:
        raise FileRefused(_("Le fichier n'a aucune ligne de contribution sous son en-tête."))
    return Report(lines)
