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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.db import connection, transaction
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


# Plain slotted classes, not frozen ones: a frozen dataclass costs seven times as much to build,
# and an export builds three of them per line. Nothing writes to them after construction.
@dataclass(slots=True)
class Version:
    """The facts of an agreement's current (latest fully signed) version the files read."""

    amount: Decimal
    signed_at: datetime.datetime
    signed_on: datetime.date  # signed_at's date in Paris
    start_date: datetime.date
    end_date: datetime.date
    triggers: tuple[str, ...]  # its schedule's triggers, by position


@dataclass(slots=True)
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


@dataclass(slots=True)
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
CHUNK = 10_000
# Amounts are read as text and made Decimals here: exact, and three times cheaper than the
# database driver's conversion (SQLite keeps them as numbers; PostgreSQL's numeric text is exact).
_TEXT = Cast("amount", TextField())


def awards(funder: Funder | None = None) -> QuerySet[Award]:
    """The awards a funder's lines come from (every award when None), in the order they were
    made (their ids)."""
    queryset = Award.objects.all()
    if funder is not None:
        queryset = queryset.filter(shares__funder=funder)
    return queryset.order_by("id")


class _Groups:
    """Rows of one query ordered by award id (their first column), handed out award by award:
    `take(award_id)` returns that award's rows (none when the query has none), skipping rows of
    awards the award query did not see."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def take(self, award_id: int) -> list[tuple[Any, ...]]:
        while self._next is not None and self._next[0] < award_id:
            self._next = next(self._rows, None)
        found = []
        while self._next is not None and self._next[0] == award_id:
            found.append(self._next)
            self._next = next(self._rows, None)
        return found


IdRange = tuple[int | None, int | None]
EVERY_ID: IdRange = (None, None)


def iter_lines(
    funder: Funder | None = None, *, chunk: int = CHUNK, ids: IdRange = EVERY_ID
) -> Iterator[Line]:
    """Every funder's line of every award (only `funder`'s when given; only awards whose id is in
    `ids`, from its first bound included to its second excluded, when given), with its outcome,
    in award order then by share (largest first). Streams: four queries read side by side in the
    same order (awards, shares, signed versions, their schedules), `chunk` rows at a time,
    joined here award by award; only plain values are kept, whatever the number of awards.
    On PostgreSQL the four read one snapshot (a REPEATABLE READ, read-only transaction) when no
    transaction is open; on SQLite each reads its own (a transaction there takes the write lock,
    `transaction_mode` IMMEDIATE in settings, and would stop every writer for the whole export):
    rows of an award the award query did not see are skipped."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield from _lines(funder, chunk, ids)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield from _lines(funder, chunk, ids)


def split_ids(funder: Funder | None, parts: int) -> list[IdRange]:
    """`parts` award id ranges holding about as many of the funder's awards each, in order; they
    cover every id (the first starts at None, the last ends at None)."""
    queryset = awards(funder).values_list("id", flat=True)
    total = queryset.count()
    bounds: list[int | None] = [None]
    for k in range(1, parts):
        offset = k * total // parts
        if offset == 0:
            continue  # a bound at the first award would leave the first range empty
        bound = next(iter(queryset[offset : offset + 1]), None)
        if bound is not None and (bounds[-1] is None or bound > bounds[-1]):
            bounds.append(bound)
    bounds.append(None)
    return list(itertools.pairwise(bounds))


def _in(queryset: QuerySet[Any], field: str, ids: IdRange) -> QuerySet[Any]:
    low, high = ids
    if low is not None:
        queryset = queryset.filter(**{f"{field}__gte": low})
    if high is not None:
        queryset = queryset.filter(**{f"{field}__lt": high})
    return queryset


def _lines(funder: Funder | None, chunk: int, ids: IdRange = EVERY_ID) -> Iterator[Line]:
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
    withholdings = _in(withholdings, "award_id", ids)
    shares = _in(shares, "award_id", ids)
    versions = _in(versions, "agreement__award_id", ids)
    steps = _in(steps, "version__agreement__award_id", ids)
    withheld = {
        (award_id, funder_id): reason
        for award_id, funder_id, reason in withholdings.values_list(
            "award_id", "funder_id", "reason"
        )
    }
    share_groups = _Groups(
        shares.order_by("award_id", "-amount", "funder__name")
        .annotate(amount_text=_TEXT)
        .values_list("award_id", "funder_id", "amount_text")
        .iterator(chunk_size=chunk)
    )
    version_groups = _Groups(
        versions.order_by("agreement__award_id", "number")
        .annotate(amount_text=_TEXT)
        .values_list(
            "agreement__award_id", "id", "amount_text", "signed_at", "start_date", "end_date"
        )
        .iterator(chunk_size=chunk)
    )
    step_groups = _Groups(
        steps.order_by("version__agreement__award_id", "version__number", "position")
        .values_list("version__agreement__award_id", "version_id", "trigger")
        .iterator(chunk_size=chunk)
    )
    award_rows = (
        _in(awards(funder), "id", ids).annotate(amount_text=_TEXT).values_list(*_AWARD_COLUMNS)
    )
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
                local_date(current[3]),
                current[4],
                current[5],
                tuple(t[2] for t in triggers if t[1] == current[1]),
            )
        first_signed = None
        if version is not None:
            first_signed = version.signed_on if len(signed) == 1 else local_date(signed[0][3])
        grant = _grant(row, funders[row[8]], first_signed, version)
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
    organisation_id, name, siret, siren, rna, agreement_reference = row[9:15]
    return Grant(  # positional, in the order of the fields (half the cost of keywords)
        award_id,
        decided,
        reference,
        de_minimis,
        Decimal(amount),
        title,
        summary,
        call_title,
        lead,
        organisation_id,
        name,
        siret,
        siren,
        rna,
        agreement_reference,
        signed_on,
        version,
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
    signed = version.signed_on
    end = max(version.end_date, signed)
    if len(version.triggers) <= 1:
        if not version.triggers or version.triggers[0] == Trigger.SIGNATURE:
            return "unique", signed.isoformat()
        return "unique", f"{signed.isoformat()}/{end.isoformat()}"
    return "échelonné", f"{signed.isoformat()}/{end.isoformat()}"


def share_fraction(share_amount: Decimal, award_amount: Decimal) -> Decimal:
    if share_amount == award_amount:
        return Decimal(1)
    fraction = (share_amount / award_amount).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)
    return max(fraction, CENT)  # the schema's minimum is 0.01


def objet(grant: Grant) -> str:
    return (grant.title or grant.call_title or f"Dossier {grant.award_id}")[:256]


def scdl_row(line: Line) -> list[str]:
    """The line's SCDL row, its cells in the order of SCDL_FIELDS."""
    grant, version = line.grant, line.grant.version
    assert version is not None and grant.signed_on is not None
    conditions, period = payment_terms(version)
    return [
        line.funder.name,  # nomAttribuant
        line.funder.siret,  # idAttribuant
        grant.signed_on.isoformat(),  # dateConvention
        grant.decision_reference,  # referenceDecision
        grant.organisation_name,  # nomBeneficiaire
        grant.siret,  # idBeneficiaire
        grant.rna if grant.rna.startswith("W") else "",  # rnaBeneficiaire
        objet(grant),  # objet
        decimal_text(version.amount),  # montant
        "aide en numéraire",  # nature
        conditions,  # conditionsVersement
        period,  # datesPeriodeVersement
        "",  # idRAE
        # notificationUE reads « au titre d'une aide de minimis notifiée à la Commission »
        # (SCDL 2.1.1): the platform's aid regime is de minimis or not (Award.de_minimis).
        "oui" if grant.de_minimis else "non",
        f"{share_fraction(line.share_amount, grant.amount).normalize():f}",  # pourcentageSubvention
        "",  # dispositifAide
    ]


def write_scdl(found: Iterable[Line], stream: TextIO, *, header: bool = True) -> int:
    """The CSV (`,`, UTF-8 without BOM as the SCDL asks) of the published lines, written as they
    come (after the header line unless `header` is false: a part of a file); text cells go
    through the spreadsheet helper so a name starting with « = » cannot run as a formula.
    Returns the number of rows."""
    writer = SafeCsvWriter(stream, lineterminator="\r\n")
    if header:
        writer.writerow_text(SCDL_FIELDS)
    written = 0
    for line in found:
        if line.outcome == PUBLISHED:
            writer.writerow_text(scdl_row(line))
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


def giving_grant(
    grant: Grant, funders: list[Funder], number: Callable[[Decimal], Any] = str
) -> dict[str, Any]:
    """The grant's 360Giving object; `number` writes its amount (exact text by default)."""
    version = grant.version
    assert version is not None
    recipient: dict[str, Any] = {
        "id": recipient_org_id(grant),
        "name": grant.organisation_name,
    }
    if grant.siren or grant.siret:
        recipient["companyNumber"] = grant.siren or grant.siret[:9]
    recipient["addressCountry"] = "FR"
    return {
        "id": f"{funder_org_id(grant.lead)}-{grant.agreement_reference}",
        "title": objet(grant),
        "description": grant.summary or objet(grant),
        "currency": "EUR",
        "amountAwarded": number(version.amount),
        "awardDate": grant.decision_date.isoformat(),
        "plannedDates": [
            {"startDate": version.start_date.isoformat(), "endDate": version.end_date.isoformat()}
        ],
        "recipientOrganization": [recipient],
        "fundingOrganization": [{"id": funder_org_id(f), "name": f.name} for f in funders],
        "grantProgramme": [{"title": grant.call_title}],
        "dateModified": version.signed_at.astimezone(PARIS).isoformat(timespec="seconds"),
    }


# The file's grants are written straight as text, each string through json's own C string encoder:
# the same bytes as json.JSONEncoder(ensure_ascii=False).encode(giving_grant(...)) with the amount
# written from its Decimal text (tests/test_export.py checks it on random grants), at half the cost
# of building and encoding a dict per grant. Amounts never go through a float, and no user text
# can become anything else than a JSON string.
_TEXT_JSON: Callable[[str], str] = json.encoder.encode_basestring


def giving_text(grant: Grant, funders: list[Funder]) -> str:
    """The grant's 360Giving object (giving_grant's) as compact JSON."""
    version = grant.version
    assert version is not None
    text = _TEXT_JSON
    title = objet(grant)
    company = grant.siren or grant.siret[:9] if (grant.siren or grant.siret) else ""
    recipient = (
        f'{{"id": {text(recipient_org_id(grant))}, "name": {text(grant.organisation_name)}, '
        + (f'"companyNumber": {text(company)}, ' if company else "")
        + '"addressCountry": "FR"}'
    )
    funding = ", ".join(
        f'{{"id": {text(funder_org_id(f))}, "name": {text(f.name)}}}' for f in funders
    )
    modified = version.signed_at.astimezone(PARIS).isoformat(timespec="seconds")
    return (
        f'{{"id": {text(f"{funder_org_id(grant.lead)}-{grant.agreement_reference}")}, '
        f'"title": {text(title)}, "description": {text(grant.summary or title)}, '
        f'"currency": "EUR", "amountAwarded": {decimal_text(version.amount)}, '
        f'"awardDate": "{grant.decision_date.isoformat()}", '
        f'"plannedDates": [{{"startDate": "{version.start_date.isoformat()}", '
        f'"endDate": "{version.end_date.isoformat()}"}}], '
        f'"recipientOrganization": [{recipient}], "fundingOrganization": [{funding}], '
        f'"grantProgramme": [{{"title": {text(grant.call_title)}}}], '
        f'"dateModified": "{modified}"}}'
    )


def _published_grants(found: Iterable[Line]) -> Iterator[tuple[Grant, list[Funder]]]:
    """Each published award once, with its publishing funders (an award's lines come together)."""
    published = (line for line in found if line.outcome == PUBLISHED)
    for _award_id, group in itertools.groupby(published, key=lambda line: line.award_id):
        group_lines = list(group)
        yield group_lines[0].grant, [line.funder for line in group_lines]


GIVING_SEPARATOR = ",\n    "


def write_giving(found: Iterable[Line], stream: TextIO, *, issued: datetime.date) -> int:
    """The 360Giving package, written grant by grant, one grant a line. Returns the number of
    grants."""
    write_giving_head(stream, issued=issued)
    written = write_giving_grants(found, stream, first=True)
    write_giving_tail(stream, written)
    return written


def write_giving_head(stream: TextIO, *, issued: datetime.date) -> None:
    stream.write(
        "{\n"
        '  "version": "1.4",\n'
        '  "title": "Aides attribuées — Pépinière",\n'
        f'  "issued": "{issued.isoformat()}",\n'
        '  "grants": ['
    )


def write_giving_grants(found: Iterable[Line], stream: TextIO, *, first: bool) -> int:
    """The grants of the published lines, each after GIVING_SEPARATOR (`first`: the first one
    after a plain line break, as the first grant of the package). Returns their number."""
    written = 0
    for grant, funders in _published_grants(found):
        stream.write("\n    " if first and not written else GIVING_SEPARATOR)
        stream.write(giving_text(grant, funders))
        written += 1
    return written


def write_giving_tail(stream: TextIO, written: int) -> None:
    stream.write("\n  ]\n}\n" if written else "]\n}\n")


def giving_json(found: Iterable[Line], *, issued: datetime.date) -> str:
    buffer = io.StringIO()
    write_giving(found, buffer, issued=issued)
    return buffer.getvalue()
