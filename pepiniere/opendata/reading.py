"""Reading grants files as funders really publish them: SCDL « subventions » CSV (v2.1.1 and the
1.x regulatory format, by field names or by titles) and 360Giving JSON packages.

No database here: `read_file` turns the bytes into one `Record` per record of the file (its
1-based number, the cleaned values, the problems found), or raises `FileRefused` with the reason
when the file cannot be understood as a whole (unknown encoding, no header, missing columns).

What is tolerated, and how:
- encoding: UTF-8 with or without BOM, else cp1252 (a superset of latin-1's printable range;
  bytes cp1252 leaves undefined are read as latin-1). No detection library: this cascade is
  exact for the encodings funders use (UTF-8 never decodes text that is not UTF-8).
- separator: `,` `;` or tab, the one that splits the header line into most fields.
- French decimals (`100 000,00`, with plain, no-break or narrow no-break spaces); in a
  comma-separated file an unquoted `100 000,00` splits the row into one field too many: the two
  fields are joined again when that makes the row the header's length and a valid number.
- dates: ISO (`2017-06-27`, also with a time), `27/06/2017`, `27-06-2017`, `27.06.2017`; a year
  alone (`2014`) or a month (`08/2013`) is taken as its first day and flagged.
- identifiers: spaces, dots, apostrophes and a float's `.0` removed; a SIRET that fails the Luhn
  check is kept and flagged, its SIREN (first 9 digits) is what organisations are matched on.
- names: whitespace collapsed, ALL-CAPS names put in a readable case (`SOS FEMMES` → `SOS Femmes`).

De minimis (what `Record.de_minimis` means): SCDL 2.1.1 defines `notificationUE = oui` as
« subvention attribuée au titre d'une aide de minimis notifiée à la Commission européenne en vertu
du règlement n° 1407/2013 », and the platform's own export writes it so (export.scdl_row): a line
is de minimis when it says « oui » there (kept as `eu_notified` too, as the file said it; the
older header « Aide d'État notifiée à la Commission européenne » is read as the same field), or
when the word « minimis » appears in its object, its aid scheme (`dispositifAide`) or a column
whose header names the aid regime (« régime », « minimis »); in 360Giving, when any text of the
grant says « minimis ».
Only euro amounts count in the ledger (a GBP grant is imported, never counted)."""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from pepiniere.opendata.export import SCDL_FIELDS

siret_valid = functools.lru_cache(maxsize=65536)(stdnum_siret.is_valid)
siren_valid = functools.lru_cache(maxsize=65536)(stdnum_siren.is_valid)

SCDL = "scdl"
GIVING = "360giving"
FORMATS = (SCDL, GIVING)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
SHARE_PLACES = Decimal("0.0001")

# Columns without which no row can be understood (the funder may come from --funder).
REQUIRED = ("nomBeneficiaire", "montant", "dateConvention")

# SCDL 2.1.1 titles (schema.json) and the names and titles of former versions, by field.
_ALIASES: dict[str, tuple[str, ...]] = {
    "nomAttribuant": ("Nom de l'attribuant", "nom attribuant", "attribuant", "nomAttributaire"),
    "idAttribuant": (
        "Identification de l'attribuant",
        "Identification de l'attribuant (SIRET)",
        "siretAttribuant",
        "id attribuant",
    ),
    "dateConvention": (
        "Date de la convention de subvention",
        "Date de la convention",
        "date convention",
        "dateDecision",
    ),
    "referenceDecision": ("Référence de la décision", "reference decision", "refDecision"),
    "nomBeneficiaire": ("Nom du bénéficiaire", "nom beneficiaire", "beneficiaire"),
    "idBeneficiaire": (
        "Identification SIRET du bénéficiaire",
        "Identification du bénéficiaire",
        "siretBeneficiaire",
        "sirenBeneficiaire",
        "id beneficiaire",
    ),
    "rnaBeneficiaire": ("Identification RNA du bénéficiaire", "rna", "numeroRNA"),
    "objet": ("Objet de la subvention", "objet subvention"),
    "montant": ("Montant total de la subvention", "Montant de la subvention", "montant total"),
    "nature": ("Nature de la subvention",),
    "conditionsVersement": ("Conditions de versement de la subvention", "conditions versement"),
    "datesPeriodeVersement": (
        "Date ou période de versement",
        "dates periode versement",
        "datePeriodeVersement",
    ),
    "idRAE": (
        "Identifiant RAE de l’aide au titre de laquelle la subvention est attribuée",
        "Identifiant RAE",
        "RAE",
    ),
    "notificationUE": (
        "Aide d'Etat notifiée à la Commission Européenne",
        "Aide d'État notifiée à la Commission européenne",
        "notification UE",
    ),
    "pourcentageSubvention": (
        "Pourcentage du montant total de la subvention attribuée au bénéficiaire",
        "pourcentage subvention",
        "pourcentage",
    ),
    "dispositifAide": (
        "Identifiant référençant le dispositif d'aide à l'origine de la subvention",
        "dispositif aide",
    ),
}


@functools.lru_cache(maxsize=1024)
def header_key(text: str) -> str:
    """A header as compared: accents, case, spaces and punctuation removed."""
    return re.sub(r"[^a-z0-9]", "", plain(text))


def plain(text: str) -> str:
    """Lower case without accents (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


HEADERS: dict[str, str] = {}
for _field in SCDL_FIELDS:
    HEADERS[header_key(_field)] = _field
    for _alias in _ALIASES.get(_field, ()):
        HEADERS[header_key(_alias)] = _field


class FileRefused(Exception):
    """The file as a whole cannot be read; `message` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Record:
    """One record of the file: `number` counts records from 1 (the CSV header is not one; a
    quoted cell may span lines). `rejected` holds the reason when it cannot be imported;
    `flags` the problems of a record imported anyway."""

    number: int
    raw: dict[str, Any]
    funder_name: str = ""
    funder_id: str = ""  # digits when it looks like an identifier, else as written
    beneficiary_name: str = ""
    beneficiary_siret: str = ""
    beneficiary_siren: str = ""
    siren_valid: bool = False
    beneficiary_rna: str = ""
    beneficiary_postal_code: str = ""
    amount: Decimal | None = None
    share: Decimal | None = None
    currency: str = "EUR"
    agreement_date: datetime.date | None = None
    reference: str = ""
    object: str = ""
    nature: str = ""
    payment_terms: str = ""
    payment_dates: str = ""
    rae_id: str = ""
    eu_notified: bool | None = None
    aid_scheme: str = ""
    de_minimis: bool = False
    flags: list[str] = field(default_factory=list)
    rejected: str = ""

    @property
    def beneficiary_amount(self) -> Decimal | None:
        """The beneficiary's part: the total times its share, in cents."""
        if self.amount is None:
            return None
        if self.share is None or self.share == 1:
            return self.amount
        return (self.amount * self.share).quantize(CENT, rounding=ROUND_HALF_UP)

    def fingerprint(self) -> str:
        """Stable identity of the grant whatever the file's spelling: funder id (or name),
        beneficiary id (SIRET, SIREN, RNA or name), date, amount in cents, object and reference,
        normalised (case, accents, spaces, punctuation)."""
        assert self.amount is not None and self.agreement_date is not None
        parts = (
            self.funder_id or header_key(self.funder_name),
            self.beneficiary_siret
            or self.beneficiary_siren
            or self.beneficiary_rna
            or header_key(self.beneficiary_name),
            self.agreement_date.isoformat(),
            str(int(self.amount * 100)),
            header_key(self.object),
            header_key(self.reference),
        )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(slots=True)
class ParsedFile:
    format: str
    encoding: str
    delimiter: str
    records: list[Record]
    columns: list[str]  # the SCDL fields found (CSV), in file order


# --- decoding and sniffing -------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 with BOM, UTF-16 with BOM, UTF-8, else
    cp1252. NUL characters are dropped (no database text column takes them)."""
    text, encoding = _decode(data)
    return text.replace("\x00", ""), encoding


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # a byte cp1252 leaves undefined: latin-1 reads every byte
        return data.decode("latin-1"), "latin-1"


def guess_format(text: str) -> str:
    return GIVING if text.lstrip()[:1] in ("{", "[") else SCDL


def sniff_delimiter(header_line: str) -> str:
    counts = {d: _split_count(header_line, d) for d in (";", "\t", ",")}
    return max(counts, key=lambda d: (counts[d], d == ";"))


def _split_count(line: str, delimiter: str) -> int:
    return len(next(csv.reader([line], delimiter=delimiter), []))


# --- cleaning values -------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_PARTICLES = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "et",
    "en",
    "a",
    "à",
    "au",
    "aux",
    "sur",
    "pour",
    "par",
    "dans",
    "sous",
    "d",
    "l",
}


def clean_text(value: str) -> str:
    # Repaired before the spaces are collapsed: a mojibake may end in a no-break space (« Ã\xa0 »).
    return _SPACES.sub(" ", repair_mojibake(value.replace("\ufeff", ""))).strip()


# UTF-8 read as Windows-1252 somewhere upstream (cd49 writes « CÅ’UR » for « CŒUR »): its lead
# bytes show as Â Ã Å Ä Æ followed by one of the high characters of cp1252.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00c6][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def repair_mojibake(text: str) -> str:
    """Text whose UTF-8 was decoded as Windows-1252 once or more (« CÅ’UR », « SociÃ©tÃ© »), put back;
    anything else unchanged. The repair is kept only when the whole text encodes to cp1252 and
    those bytes are valid UTF-8 (« Ångström » stays as it is). ftfy, the usual library, leaves
    « Å’ » alone (a plausible pair in Scandinavian text), which is what this funder's file has."""
    for _layer in range(3):  # cd49 has some names encoded so three times over
        if not _MOJIBAKE.search(text):
            return text
        try:
            repaired = text.encode("cp1252").decode("utf-8")
        except UnicodeError:
            return text
        # A control character in the result (« Â€ » gives U+0080) means it was not mojibake.
        if any(unicodedata.category(c) == "Cc" for c in repaired):
            return text
        text = repaired
    return text


@functools.lru_cache(maxsize=65536)  # funders' and beneficiaries' names repeat in a file
def clean_name(value: str) -> str:
    """Whitespace collapsed; a name written in capitals only gets a readable case: each word
    capitalised, French particles in lower case (not the first word), words of up to three
    letters kept as acronyms (`SOS`, `ASA`), words with digits left alone."""
    text = clean_text(value)
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 4 or any(c.islower() for c in letters):
        return text
    words = text.split(" ")
    return " ".join(_word_case(word, first=i == 0) for i, word in enumerate(words))


def _word_case(word: str, *, first: bool) -> str:
    if any(c.isdigit() for c in word):
        return word
    parts = re.split(r"([-'’])", word)
    out = []
    for i, part in enumerate(parts):
        if part in ("-", "'", "’") or not part:
            out.append(part)
            continue
        lower = part.lower()
        starts = first and i == 0
        if not starts and lower in _PARTICLES:
            out.append(lower)
        elif len(part) <= 3 and i == 0 and len(parts) == 1 and lower not in _PARTICLES:
            out.append(part)  # an acronym
        else:
            out.append(lower[:1].upper() + lower[1:])
    return "".join(out)


_NUMBER_JUNK = str.maketrans("", "", " \xa0\u202f\u2009'’€")


def parse_amount(text: str) -> Decimal:
    """A decimal written the French or the schema's way: `100 000,00`, `1.200,50`, `22000.80`,
    `1,200.50`. Raises ValueError with the French reason."""
    value = text.strip().upper().removesuffix("EUR").translate(_NUMBER_JUNK)
    if not value:
        raise ValueError(_("vide"))
    negative = value.startswith("-")
    value = value.lstrip("+-")
    if not re.fullmatch(r"[0-9.,]+", value) or not any(c.isdigit() for c in value):
        raise ValueError(_("ce n'est pas un nombre"))
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
    elif value.count(",") == 1:
        decimal_mark = ","
    elif value.count(".") == 1:
        decimal_mark = "."
    else:
        decimal_mark = ""  # only thousands separators (or none)
    group_mark = {"": ",.", ",": ".", ".": ","}[decimal_mark]
    for mark in group_mark:
        value = value.replace(mark, "")
    if decimal_mark:
        whole, _sep, decimals = value.partition(decimal_mark)
        if decimal_mark in decimals:
            raise ValueError(_("ce n'est pas un nombre"))
        value = f"{whole or '0'}.{decimals or '0'}"
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(_("ce n'est pas un nombre")) from None
    return -number if negative else number


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+Z-]*)?")
_FRENCH = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_MONTH = re.compile(r"(\d{1,2})[/.-](\d{4})")
_YEAR = re.compile(r"(\d{4})")


def parse_date(text: str) -> tuple[datetime.date, str]:
    """A date and its precision (`day`, `month`, `year`); ValueError when it is none."""
    value = text.strip()
    try:
        if m := _ISO.fullmatch(value):
            return datetime.date(int(m[1]), int(m[2]), int(m[3])), "day"
        if m := _FRENCH.fullmatch(value):
            return datetime.date(int(m[3]), int(m[2]), int(m[1])), "day"
        if m := _MONTH.fullmatch(value):
            return datetime.date(int(m[2]), int(m[1]), 1), "month"
        if m := _YEAR.fullmatch(value):
            return datetime.date(int(m[1]), 1, 1), "year"
    except ValueError:
        pass
    raise ValueError(value)


def identifier_digits(text: str) -> str:
    """`224 900 019 000 15'` → `22490001900015`; `32402138500000.0` → `32402138500000`."""
    value = text.strip()
    if re.fullmatch(r"\d+\.0+", value):
        value = value.split(".", 1)[0]
    return re.sub(r"[\s.'’\-_/]", "", value)


def _bool(text: str) -> bool | None:
    value = plain(text.strip())
    if value in ("oui", "yes", "true", "vrai", "1", "o", "y"):
        return True
    if value in ("non", "no", "false", "faux", "0", "n"):
        return False
    raise ValueError(text)


_NATURES = {"numeraire": "aide en numéraire", "nature": "aide en nature"}


def clean_nature(text: str) -> tuple[str, bool]:
    """The SCDL nature from variants (`en numéraire`, `aide en numéraire,aide en nature`); the
    flag says whether it was understood."""
    value = clean_text(text)
    if not value:
        return "", True
    found = []
    for part in re.split(r"[;,/+]| et ", plain(value)):
        key = header_key(part)
        for word, nature in _NATURES.items():
            if key.endswith(word) and nature not in found:
                found.append(nature)
    if not found:
        return value, False
    return ";".join(found), True


# --- SCDL CSV --------------------------------------------------------------------------


def read_file(data: bytes, *, format: str = "auto") -> ParsedFile:
    if not data.strip():
        raise FileRefused(_("Le fichier est vide."))
    text, encoding = decode(data)
    if format == "auto":
        format = guess_format(text)
    if format == GIVING:
        return ParsedFile(GIVING, encoding, "", list(_giving_records(text)), [])
    return _read_csv(text, encoding)


def _read_csv(text: str, encoding: str) -> ParsedFile:
    first_line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    delimiter = sniff_delimiter(first_line)
    rows = csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""), delimiter=delimiter)
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise FileRefused(_("Le fichier n'a pas de ligne d'en-tête lisible.")) from None
    names = [HEADERS.get(header_key(h), "") for h in header]
    missing = [f for f in REQUIRED if f not in names]
    if missing:
        raise FileRefused(
            _("Colonnes introuvables : %(cols)s (colonnes lues : %(read)s).")
            % {
                "cols": ", ".join(missing),
                "read": ", ".join(clean_text(h) for h in header if clean_text(h)) or "aucune",
            }
        )
    # Extra columns keep their own header; SCDL ones their field name (first occurrence).
    keys: list[str] = []
    for name, h in zip(names, header, strict=True):
        key = name if name and name not in keys else (clean_text(h) or f"colonne {len(keys) + 1}")
        keys.append(key)
    numeric = [i for i, k in enumerate(keys) if k in ("montant", "pourcentageSubvention")]
    records = []
    number = 0
    try:
        for cells in rows:
            number += 1
            records.append(_csv_record(number, cells, keys, delimiter, numeric))
    except csv.Error as error:
        raise FileRefused(
            _("Fichier illisible à l'enregistrement %(n)s : %(e)s.") % {"n": number + 1, "e": error}
        ) from None
    return ParsedFile(SCDL, encoding, delimiter, records, [n for n in names if n])


def _csv_record(
    number: int, cells: list[str], keys: list[str], delimiter: str, numeric: list[int]
) -> Record:
    flags: list[str] = []
    if len(cells) == len(keys) + 1 and delimiter == ",":
        for i in numeric:
            joined = _rejoin(cells, i)
            if joined is not None:
                cells = joined
                flags.append(
                    _(
                        "nombre décimal « %(v)s » écrit sans guillemets dans un fichier séparé "
                        "par des virgules : ses deux parties ont été recollées"
                    )
                    % {"v": cells[i]}
                )
                break
    # Trailing empty cells beyond the header (a `;` at the end of each line) are harmless.
    while len(cells) > len(keys) and not cells[-1].strip():
        cells = cells[:-1]
    raw = dict(zip(keys, cells, strict=False))
    record = Record(number=number, raw=raw, flags=flags)
    if not any(c.strip() for c in cells):
        record.rejected = _("enregistrement vide")
        return record
    if len(cells) != len(keys):
        record.rejected = _("%(n)s champs au lieu des %(m)s de l'en-tête") % {
            "n": len(cells),
            "m": len(keys),
        }
        return record
    _fill_scdl(record, raw)
    return record


def _rejoin(cells: list[str], i: int) -> list[str] | None:
    """The row with cells i and i+1 joined by a comma, when they are the two halves of a French
    decimal (`100 000` and `00`)."""
    left, right = cells[i].strip(), cells[i + 1].strip()
    if not re.fullmatch(r"-?\d{1,3}(?:[ \xa0\u202f]?\d{3})*|-?\d+", left):
        return None
    if not re.fullmatch(r"\d{1,2}", right):
        return None
    return [*cells[:i], f"{cells[i]},{cells[i + 1]}", *cells[i + 2 :]]


def _fill_scdl(record: Record, raw: dict[str, str]) -> None:
    def get(key: str) -> str:
        return raw.get(key, "")

    flags = record.flags
    record.funder_name = clean_name(get("nomAttribuant"))
    record.funder_id = _funder_id(get("idAttribuant"), flags)
    record.beneficiary_name = clean_name(get("nomBeneficiaire"))
    _beneficiary_ids(record, get("idBeneficiaire"), get("rnaBeneficiaire"))
    if not record.beneficiary_name:
        if not (record.beneficiary_siren or record.beneficiary_rna):
            record.rejected = _("bénéficiaire absent (ni nom, ni SIRET, ni RNA)")
            return
        flags.append(_("nom du bénéficiaire absent"))
    amount_text = get("montant")
    try:
        amount = parse_amount(amount_text)
    except ValueError as error:
        record.rejected = (
            _("montant absent")
            if not amount_text.strip()
            else _("montant illisible « %(v)s » : %(e)s") % {"v": amount_text.strip(), "e": error}
        )
        return
    if not _amount_ok(record, amount, amount_text):
        return
    date_text = get("dateConvention")
    if not _set_date(record, date_text):
        return
    record.reference = clean_text(get("referenceDecision"))
    record.object = clean_text(get("objet"))
    if not record.object:
        flags.append(_("objet de la subvention absent"))
    nature, understood = clean_nature(get("nature"))
    record.nature = nature
    if not understood:
        flags.append(_("nature « %(v)s » inconnue (conservée telle quelle)") % {"v": nature})
    record.payment_terms = clean_text(get("conditionsVersement"))
    record.payment_dates = clean_text(get("datesPeriodeVersement"))
    _check_payment_dates(record)
    rae = clean_text(get("idRAE"))
    record.rae_id = "" if plain(rae) in ("sans objet", "n/a", "na", "-") else rae
    notification = get("notificationUE").strip()
    if notification:
        try:
            record.eu_notified = _bool(notification)
        except ValueError:
            flags.append(
                _("notification à la Commission « %(v)s » illisible (ni oui ni non)")
                % {"v": notification}
            )
    _set_share(record, get("pourcentageSubvention"))
    record.aid_scheme = clean_text(get("dispositifAide"))
    regime = " ".join(raw.get(k, "") for k in _regime_columns(tuple(raw)))
    text = f"{record.object} {record.aid_scheme} {regime}"
    record.de_minimis = record.eu_notified is True or "minimis" in plain(text)
    postal = _postal_column(tuple(raw))
    record.beneficiary_postal_code = raw.get(postal, "").strip()[:5] if postal else ""


@functools.lru_cache(maxsize=64)
def _regime_columns(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Extra columns that name the aid regime (« Régime d'aide », « de minimis »)."""
    return tuple(k for k in keys if re.search(r"regime|minimis", header_key(k)))


@functools.lru_cache(maxsize=64)
def _postal_column(keys: tuple[str, ...]) -> str:
    return next((k for k in keys if header_key(k) in ("codepostal", "codepostalbeneficiaire")), "")


def _funder_id(text: str, flags: list[str]) -> str:
    if not text.strip():
        return ""
    digits = identifier_digits(text)
    if not digits.isdigit():
        flags.append(_("identifiant de l'attribuant « %(v)s » illisible") % {"v": text.strip()})
        return clean_text(text)[:20]
    if len(digits) != 14:
        flags.append(
            _("identifiant de l'attribuant « %(v)s » : %(n)s chiffres au lieu des 14 d'un SIRET")
            % {"v": text.strip(), "n": len(digits)}
        )
    elif not siret_valid(digits):
        flags.append(_("SIRET de l'attribuant %(v)s invalide (clé de Luhn fausse)") % {"v": digits})
    return digits[:20]


def _beneficiary_ids(record: Record, id_text: str, rna_text: str) -> None:
    flags = record.flags
    digits = identifier_digits(id_text)
    if digits.upper().startswith("W") and not rna_text.strip():
        rna_text, digits = digits, ""
    if digits:
        if not digits.isdigit() or len(digits) not in (9, 14):
            flags.append(
                _(
                    "identifiant du bénéficiaire « %(v)s » illisible : ni SIRET (14 chiffres) ni "
                    "SIREN (9 chiffres)"
                )
                % {"v": id_text.strip()}
            )
        else:
            if len(digits) == 14:
                record.beneficiary_siret = digits
                if not siret_valid(digits):
                    flags.append(
                        _("SIRET du bénéficiaire %(v)s invalide (clé de Luhn fausse) : conservé")
                        % {"v": digits}
                    )
            record.beneficiary_siren = digits[:9]
            record.siren_valid = siren_valid(digits[:9])
            if not record.siren_valid:
                flags.append(
                    _(
                        "SIREN du bénéficiaire %(v)s invalide (clé de Luhn fausse) : la structure "
                        "n'est pas rattachée"
                    )
                    % {"v": digits[:9]}
                )
    rna = clean_text(rna_text).upper().replace(" ", "")
    if rna:
        if re.fullmatch(r"W\d{9}", rna):
            record.beneficiary_rna = rna
        else:
            flags.append(
                _("numéro RNA « %(v)s » invalide (W suivi de 9 chiffres attendu) : ignoré")
                % {"v": rna}
            )


def _amount_ok(record: Record, amount: Decimal, text: str) -> bool:
    if amount <= 0:
        record.rejected = _("montant nul ou négatif « %(v)s »") % {"v": text.strip()}
        return False
    if amount > MAX_AMOUNT:
        record.rejected = _("montant hors limites « %(v)s »") % {"v": text.strip()}
        return False
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded != amount:
        record.flags.append(_("montant « %(v)s » arrondi au centime") % {"v": text.strip()})
    record.amount = rounded
    return True


def _set_date(record: Record, text: str) -> bool:
    if not text.strip():
        record.rejected = _("date de la convention absente")
        return False
    try:
        day, precision = parse_date(text)
    except ValueError:
        record.rejected = _("date de la convention illisible ou impossible « %(v)s »") % {
            "v": text.strip()
        }
        return False
    if precision != "day":
        record.flags.append(
            _("date de la convention incomplète « %(v)s » : comptée au %(d)s")
            % {"v": text.strip(), "d": day.strftime("%d/%m/%Y")}
        )
    record.agreement_date = day
    return True


def _check_payment_dates(record: Record) -> None:
    for part in re.split(r"[/_]", record.payment_dates) if record.payment_dates else []:
        if not part.strip():
            continue
        try:
            parse_date(part)
        except ValueError:
            record.flags.append(
                _("date de versement impossible « %(v)s » (conservée telle quelle)")
                % {"v": part.strip()}
            )


def _set_share(record: Record, text: str) -> None:
    if not text.strip():
        return
    try:
        share = parse_amount(text)
    except ValueError:
        record.flags.append(_("pourcentage « %(v)s » illisible : 100 %% retenu") % {"v": text})
        return
    if 1 < share <= 100:
        record.flags.append(
            _("pourcentage « %(v)s » écrit sur 100 : lu comme %(v)s %%") % {"v": text.strip()}
        )
        share = share / 100
    if not 0 < share <= 1:
        record.flags.append(
            _("pourcentage « %(v)s » hors de 0 à 1 : 100 %% retenu") % {"v": text.strip()}
        )
        return
    record.share = share.quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


# --- 360Giving JSON --------------------------------------------------------------------


def _giving_records(text: str) -> Iterator[Record]:
    try:
        # No NUL in the database's text (\u0000 escapes): dropped like raw NULs.
        package = json.loads(text.replace("\\u0000", ""), parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise FileRefused(
            _("JSON illisible (ligne %(l)s, colonne %(c)s) : ce n'est pas un paquet 360Giving.")
            % {"l": error.lineno, "c": error.colno}
        ) from None
    grants = package.get("grants") if isinstance(package, dict) else package
    if not isinstance(grants, list):
        raise FileRefused(_("Paquet 360Giving sans liste « grants »."))
    for number, grant in enumerate(grants, start=1):
        yield _giving_record(number, grant)


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _giving_record(number: int, grant: Any) -> Record:
    if not isinstance(grant, dict):
        return Record(number=number, raw={}, rejected=_("subvention illisible (pas un objet)"))
    raw = json.loads(json.dumps(grant, default=str))
    record = Record(number=number, raw=raw)
    flags = record.flags
    funder = _first(grant.get("fundingOrganization"))
    recipient = _first(grant.get("recipientOrganization"))
    record.funder_name = clean_name(str(funder.get("name") or ""))
    record.funder_id = _org_id(str(funder.get("id") or ""), record, funder=True)
    record.beneficiary_name = clean_name(str(recipient.get("name") or ""))
    _org_id(str(recipient.get("id") or ""), record, funder=False)
    if not record.beneficiary_name and not record.beneficiary_siren:
        record.rejected = _("bénéficiaire absent (recipientOrganization)")
        return record
    if str(recipient.get("addressCountry") or "FR").upper() in ("FR", "FRA", "FRANCE"):
        record.beneficiary_postal_code = str(recipient.get("postalCode") or "")[:5]
    amount = grant.get("amountAwarded")
    text = "" if amount is None else str(amount)
    try:
        value = amount if isinstance(amount, Decimal) else parse_amount(text)
    except ValueError as error:
        record.rejected = (
            _("montant absent (amountAwarded)")
            if not text
            else _("montant illisible « %(v)s » : %(e)s") % {"v": text, "e": error}
        )
        return record
    if not _amount_ok(record, Decimal(value), text):
        return record
    record.currency = str(grant.get("currency") or "EUR").upper()[:3]
    if record.currency != "EUR":
        flags.append(
            _("montant en %(c)s, non converti : il ne compte pas dans le plafond de minimis")
            % {"c": record.currency}
        )
    if not _set_date(record, str(grant.get("awardDate") or "")):
        return record
    record.reference = clean_text(str(grant.get("id") or ""))
    record.object = clean_text(str(grant.get("title") or grant.get("description") or ""))
    if not record.object:
        flags.append(_("objet de la subvention absent"))
    programme = _first(grant.get("grantProgramme"))
    record.aid_scheme = clean_text(str(programme.get("title") or ""))
    record.nature = "aide en numéraire"
    record.de_minimis = any("minimis" in plain(t) for t in _texts(grant))
    return record


def _org_id(org_id: str, record: Record, *, funder: bool) -> str:
    """French org-id.guide identifiers (FR-SIRET-…, FR-SIREN-…, FR-RNA-…); other schemes are
    kept as written for the funder, ignored for the recipient (no French identifier)."""
    match = re.fullmatch(r"FR-(SIRET|SIREN|RNA)-(\S+)", org_id.strip(), flags=re.IGNORECASE)
    if funder:
        if match and match[1].upper() in ("SIRET", "SIREN"):
            return _funder_id(match[2], record.flags)
        return org_id.strip()[:20]
    if match is None:
        return ""
    kind, value = match[1].upper(), match[2]
    if kind == "RNA":
        _beneficiary_ids(record, "", value)
    else:
        _beneficiary_ids(record, value, "")
    return ""
