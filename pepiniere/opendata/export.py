"""What each funder publishes as open data, and the two files it is published in.

One *line* is one funder's part of one award (a co-funded award has one line per co-funder). A
line is published once its agreement is fully signed (décret n° 2017-779 asks within three months
of signature; the platform publishes at signature, from live data), unless the funder's officers
withheld it, or its agreement is under 23 000 € and the funder did not choose to publish those
(PublicationPolicy). Outcomes: published, withheld, too_small, not_signed.

- SCDL « subventions » v2.1.1 (CSV, `,`-separated, UTF-8, `.` as decimal mark): one row per
  beneficiary per agreement and per funder; `montant` is the agreement's amount, the funder's part
  is `pourcentageSubvention` (share ÷ amount, 4 decimals).
- 360Giving 1.4.3 (JSON package): one grant per award, its id the lead funder's org-id and the
  agreement's reference; the co-funders listed in fundingOrganization."""

from __future__ import annotations

import datetime
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from pepiniere.agreements.models import AgreementVersion, ScheduleStep, Trigger
from pepiniere.grants.models import Award, AwardShare
from pepiniere.lib.spreadsheet import SafeCsvWriter
from pepiniere.opendata.models import PublicationPolicy, Withholding
from pepiniere.programmes.models import Funder

THRESHOLD = Decimal("23000")
PARIS = ZoneInfo("Europe/Paris")
CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")

PUBLISHED = "published"
WITHHELD = "withheld"
TOO_SMALL = "too_small"
NOT_SIGNED = "not_signed"
OUTCOMES = (PUBLISHED, WITHHELD, TOO_SMALL, NOT_SIGNED)

SCDL_FIELDS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]


@dataclass(frozen=True, slots=True)
class Version:
    """The facts of an agreement's current (latest fully signed) version the files read."""

    amount: Decimal
    signed_at: datetime.datetime
    start_date: datetime.date
    end_date: datetime.date
    triggers: tuple[str, ...]  # its schedule's triggers, by position


@dataclass(frozen=True, slots=True)
class Grant:
    """One award as the open data reads it: plain values, so a million of them stream."""

    award_id: int
    decision_date: datetime.date
    decision_reference: str
    de_minimis: bool
    amount: Decimal
    title: str
    summary: str
    call_title: str
    lead: Funder
    organisation_id: int
    organisation_name: str
    siret: str
    siren: str
    rna: str
    agreement_reference: str | None
    signed_on: datetime.date | None  # the initial agreement's full signature (amendments keep it)
    version: Version | None


@dataclass(frozen=True, slots=True)
class Line:
    grant: Grant
    funder: Funder
    share_amount: Decimal
    outcome: str
    withholding_reason: str | None = None

    @property
    def award_id(self) -> int:
        return self.grant.award_id


_AWARD_COLUMNS = (
    "id",
    "decision_date",
    "decision_reference",
    "de_minimis",
    "amount_text",
    "application__title",
    "application__summary",
    "application__call__title",
    "application__call__funder_id",
    "application__organisation_id",
    "application__organisation__name",
    "application__organisation__siret",
    "application__organisation__siren",
    "application__organisation__rna",
    "agreement__reference",
)
CHUNK = 2000
# Amounts are read as text and made Decimals here: exact, and three times cheaper than the
# database driver's conversion (SQLite keeps them as numbers; PostgreSQL's numeric text is exact).
_TEXT = Cast("amount", TextField())


def awards(funder: Funder | None = None) -> QuerySet[Award]:
    """The awards a funder's lines come from (every award when None), in publication order."""
    queryset = Award.objects.all()
    if funder is not None:
        queryset = queryset.filter(shares__funder=funder)
    return queryset.order_by("decision_date", "id")


class _Groups:
    """Rows of one query in award order, handed out award by award: `take(award_id)` returns
    the next award's rows when they are that award's (a query about the same awards, in the
    same order, may have none for some)."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def take(self, award_id: int) -> list[tuple[Any, ...]]:
        found = []
        while self._next is not None and self._next[0] == award_id:
            found.append(self._next)
            self._next = next(self._rows, None)
        return found


def iter_lines(funder: Funder | None = None, *, chunk: int = CHUNK) -> Iterator[Line]:
    """Every funder's line of every award (only `funder`'s when given), with its outcome, in
    award order then by share (largest first). Streams: four queries read side by side in the
    same order (awards, shares, signed versions, their schedules), `chunk` rows at a time,
    joined here award by award; only plain values are kept, whatever the number of awards."""
    funders = {f.pk: f for f in Funder.objects.all()}
    below = set(
        PublicationPolicy.objects.filter(publish_below_threshold=True).values_list(
            "funder_id", flat=True
        )
    )
    withholdings = Withholding.objects.all()
    shares = AwardShare.objects.all()
    versions = AgreementVersion.objects.filter(signed_at__isnull=False)
    steps = ScheduleStep.objects.filter(version__signed_at__isnull=False)
    if funder is not None:
        withholdings = withholdings.filter(funder=funder)
        shares = shares.filter(funder=funder)
        versions = versions.filter(agreement__award__shares__funder=funder)
        steps = steps.filter(version__agreement__award__shares__funder=funder)
    withheld = {
        (award_id, funder_id): reason
        for award_id, funder_id, reason in withholdings.values_list(
            "award_id", "funder_id", "reason"
        )
    }
    order = ("decision_date", "id")
    share_groups = _Groups(
        shares.order_by(*(f"award__{o}" for o in order), "-amount", "funder__name")
        .annotate(amount_text=_TEXT)
        .values_list("award_id", "funder_id", "amount_text")
        .iterator(chunk_size=chunk)
    )
    by_award = tuple(f"agreement__award__{o}" for o in order)
    version_groups = _Groups(
        versions.order_by(*by_award, "number")
        .annotate(amount_text=_TEXT)
        .values_list(
            "agreement__award_id", "id", "amount_text", "signed_at", "start_date", "end_date"
        )
        .iterator(chunk_size=chunk)
    )
    step_groups = _Groups(
        steps.order_by(*(f"version__{o}" for o in by_award), "version__number", "position")
        .values_list("version__agreement__award_id", "version_id", "trigger")
        .iterator(chunk_size=chunk)
    )
    award_rows = awards(funder).annotate(amount_text=_TEXT).values_list(*_AWARD_COLUMNS)
    for row in award_rows.iterator(chunk_size=chunk):
        award_id = row[0]
        signed = version_groups.take(award_id)
        triggers = step_groups.take(award_id)
        version = None
        if signed:
            current = signed[-1]
            version = Version(
                Decimal(current[2]),
                current[3],
                current[4],
                current[5],
                tuple(t[2] for t in triggers if t[1] == current[1]),
            )
        grant = _grant(row, funders[row[8]], local_date(signed[0][3]) if signed else None, version)
        for _award_id, funder_id, amount in share_groups.take(award_id):
            amount = Decimal(amount)
            reason = withheld.get((award_id, funder_id))
            if version is None:
                outcome = NOT_SIGNED
            elif reason is not None:
                outcome = WITHHELD
            elif version.amount < THRESHOLD and funder_id not in below:
                outcome = TOO_SMALL
            else:
                outcome = PUBLISHED
            yield Line(grant, funders[funder_id], amount, outcome, reason)


def lines(funder: Funder | None = None) -> list[Line]:
    return list(iter_lines(funder))


def _grant(
    row: tuple[Any, ...], lead: Funder, signed_on: datetime.date | None, version: Version | None
) -> Grant:
    """A Grant from one row of _AWARD_COLUMNS."""
    award_id, decided, reference, de_minimis, amount, title, summary, call_title = row[:8]
    organisation_id, name, siret, siren, rna = row[9:14]
    return Grant(
        award_id=award_id,
        decision_date=decided,
        decision_reference=reference,
        de_minimis=de_minimis,
        amount=Decimal(amount),
        title=title,
        summary=summary,
        call_title=call_title,
        lead=lead,
        organisation_id=organisation_id,
        organisation_name=name,
        siret=siret,
        siren=siren,
        rna=rna,
        agreement_reference=row[14],
        signed_on=signed_on,
        version=version,
    )


def count_outcomes(found: Iterable[Line]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for line in found:
        counts[line.outcome] += 1
    return counts


def decimal_text(value: Decimal, places: Decimal = CENT) -> str:
    """A Decimal as the schemas read numbers: `.` as decimal mark, no grouping, no exponent."""
    return f"{value.quantize(places, rounding=ROUND_HALF_UP):f}"


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(PARIS).date()


def payment_terms(version: Version) -> tuple[str, str]:
    """conditionsVersement and datesPeriodeVersement from the version's schedule: one instalment
    paid at signature is « unique » on the signature date; otherwise the period runs from the
    signature to the end of the project (the later instalments follow its reports)."""
    signed = local_date(version.signed_at)
    end = max(version.end_date, signed)
    if len(version.triggers) <= 1:
        if not version.triggers or version.triggers[0] == Trigger.SIGNATURE:
            return "unique", signed.isoformat()
        return "unique", f"{signed.isoformat()}/{end.isoformat()}"
    return "échelonné", f"{signed.isoformat()}/{end.isoformat()}"


def share_fraction(share_amount: Decimal, award_amount: Decimal) -> Decimal:
    fraction = (share_amount / award_amount).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)
    return max(fraction, CENT)  # the schema's minimum is 0.01


def objet(grant: Grant) -> str:
    return (grant.title or grant.call_title or f"Dossier {grant.award_id}")[:256]


def scdl_row(line: Line) -> dict[str, str]:
    grant, version = line.grant, line.grant.version
    assert version is not None and grant.signed_on is not None
    conditions, period = payment_terms(version)
    return {
        "nomAttribuant": line.funder.name,
        "idAttribuant": line.funder.siret,
        "dateConvention": grant.signed_on.isoformat(),
        "referenceDecision": grant.decision_reference,
        "nomBeneficiaire": grant.organisation_name,
        "idBeneficiaire": grant.siret,
        "rnaBeneficiaire": grant.rna if grant.rna.startswith("W") else "",
        "objet": objet(grant),
        "montant": decimal_text(version.amount),
        "nature": "aide en numéraire",
        "conditionsVersement": conditions,
        "datesPeriodeVersement": period,
        "idRAE": "",
        # The field reads « au titre d'une aide de minimis notifiée à la Commission » (SCDL 2.1.1):
        # the platform's aid regime is de minimis or not (Award.de_minimis).
        "notificationUE": "oui" if grant.de_minimis else "non",
        "pourcentageSubvention": f"{share_fraction(line.share_amount, grant.amount).normalize():f}",
        "dispositifAide": "",
    }


def write_scdl(found: Iterable[Line], stream: TextIO) -> int:
    """The CSV (`,`, UTF-8 without BOM as the SCDL asks) of the published lines, written as they
    come; text cells go through the spreadsheet helper so a name starting with « = » cannot run
    as a formula. Returns the number of rows."""
    writer = SafeCsvWriter(stream, lineterminator="\r\n")
    writer.writerow(SCDL_FIELDS)
    written = 0
    for line in found:
        if line.outcome == PUBLISHED:
            row = scdl_row(line)
            writer.writerow([row[name] for name in SCDL_FIELDS])
            written += 1
    return written


def scdl_csv(found: Iterable[Line]) -> str:
    buffer = io.StringIO()
    write_scdl(found, buffer)
    return buffer.getvalue()


def funder_org_id(funder: Funder) -> str:
    """org-id.guide identifier of a French funder: FR-SIRET when it has one, else a local id."""
    if funder.siret:
        return f"FR-SIRET-{funder.siret}"
    return f"XI-PEPINIERE-{funder.slug}"


def recipient_org_id(grant: Grant) -> str:
    if grant.siren or grant.siret:
        return f"FR-SIREN-{grant.siren or grant.siret[:9]}"
    if grant.rna:
        return f"FR-RNA-{grant.rna}"
    return f"XI-PEPINIERE-ORG-{grant.organisation_id}"


def giving_grant(grant: Grant, funders: list[Funder]) -> dict[str, Any]:
    version = grant.version
    assert version is not None
    recipient: dict[str, Any] = {"id": recipient_org_id(grant), "name": grant.organisation_name}
    if grant.siren or grant.siret:
        recipient["companyNumber"] = grant.siren or grant.siret[:9]
    recipient["addressCountry"] = "FR"
    return {
        "id": f"{funder_org_id(grant.lead)}-{grant.agreement_reference}",
        "title": objet(grant),
        "description": grant.summary or objet(grant),
        "currency": "EUR",
        "amountAwarded": _json_number(version.amount),
        "awardDate": grant.decision_date.isoformat(),
        "plannedDates": [
            {"startDate": version.start_date.isoformat(), "endDate": version.end_date.isoformat()}
        ],
        "recipientOrganization": [recipient],
        "fundingOrganization": [{"id": funder_org_id(f), "name": f.name} for f in funders],
        "grantProgramme": [{"title": grant.call_title}],
        "dateModified": version.signed_at.astimezone(PARIS).isoformat(timespec="seconds"),
    }


class _ExactNumber(float):
    """A number the encoder below writes from its Decimal text, so cents never go through a
    float's formatting."""

    text: str

    def __new__(cls, text: str) -> _ExactNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _json_number(value: Decimal) -> _ExactNumber:
    return _ExactNumber(decimal_text(value))


def _published_grants(found: Iterable[Line]) -> Iterator[tuple[Grant, list[Funder]]]:
    """Each published award once, with its publishing funders (an award's lines come together)."""
    published = (line for line in found if line.outcome == PUBLISHED)
    for _award_id, group in itertools.groupby(published, key=lambda line: line.award_id):
        group_lines = list(group)
        yield group_lines[0].grant, [line.funder for line in group_lines]


def write_giving(found: Iterable[Line], stream: TextIO, *, issued: datetime.date) -> int:
    """The 360Giving package, written grant by grant (the same text as one json.dumps with
    indent=2 of the whole package). Returns the number of grants."""
    stream.write(
        "{\n"
        '  "version": "1.4",\n'
        '  "title": "Aides attribuées — Pépinière",\n'
        f'  "issued": "{issued.isoformat()}",\n'
        '  "grants": ['
    )
    written = 0
    for grant, funders in _published_grants(found):
        stream.write(",\n    " if written else "\n    ")
        stream.writelines(_encode(giving_grant(grant, funders), level=2))
        written += 1
    stream.write("\n  ]\n}\n" if written else "]\n}\n")
    return written


def giving_package(found: Iterable[Line], *, issued: datetime.date) -> dict[str, Any]:
    return {
        "version": "1.4",
        "title": "Aides attribuées — Pépinière",
        "issued": issued.isoformat(),
        "grants": [giving_grant(grant, funders) for grant, funders in _published_grants(found)],
    }


def giving_json(found: Iterable[Line], *, issued: datetime.date) -> str:
    buffer = io.StringIO()
    write_giving(found, buffer, issued=issued)
    return buffer.getvalue()


def _encode(value: dict[str, Any], *, level: int = 0) -> Iterator[str]:
    """JSON chunks with each amount written from its Decimal text (json's pure-Python encoder,
    given a float formatter that reads the exact text back), indented as at `level`."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
    return json.encoder._make_iterencode(  # type: ignore[attr-defined,no-any-return]
        {},
        encoder.default,
        json.encoder.py_encode_basestring,
        encoder.indent,
        lambda o: o.text if isinstance(o, _ExactNumber) else float.__repr__(o),
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        True,
    )(value, level)
