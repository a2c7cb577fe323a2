"""Historical import of grants (issue 15): a funder's published file (SCDL or 360Giving, read by
reading.py) becomes ImportedGrants, each record of the file getting one outcome with its reason:
imported, flagged (imported with a problem noted), rejected or duplicate (its fingerprint is
already imported, or an earlier record of the same file has it).

The same evaluation serves the preview (the officer's page, `--dry-run`) and the import: nothing
is written until the import is confirmed, and then everything is, in one transaction (an error
half-way leaves nothing). The uploaded file is kept on its ImportBatch, so a confirmed preview
imports those very bytes.

Organisations are matched by SIREN (the SIRET's first nine digits), then by RNA; when none
exists, an unverified one is created (Organisation.verified = False: the first person who
registers that SIREN claims it). Its département, required on every organisation, comes from the
record's postal code, else from the attribuant's SIREN when the attribuant is a commune
(21 + its INSEE code) or a département (22 + its code), else from the importing funder's SIRET
likewise; when none of those says it, no organisation is created and the grant is flagged.
De minimis imported aid (reading.py says which) in euros is written to the organisation's de
minimis ledger (grants.AidRecord, source « importée »), at the beneficiary's part of the amount
and the date of the agreement (the files give no date of the decision granting the right)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record as audit
from pepiniere.audit.services import record_rows as audit_rows
from pepiniere.grants.models import AidRecord, AidSource
from pepiniere.lib.bulk import insert_rows
from pepiniere.opendata.import_report import ReportLine, report_csv
from pepiniere.opendata.models import ImportBatch, ImportedGrant, ImportOutcome, ImportStatus
from pepiniere.opendata.reading import FileRefused, ParsedFile, Record, plain, read_file
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.programmes.models import Funder
from pepiniere.territories.models import Departement

IMPORTED = ImportOutcome.IMPORTED.value
FLAGGED = ImportOutcome.FLAGGED.value
REJECTED = ImportOutcome.REJECTED.value
DUPLICATE = ImportOutcome.DUPLICATE.value
OUTCOMES = (IMPORTED, FLAGGED, REJECTED, DUPLICATE)

CHUNK = 500  # ids per IN (…) query: under SQLite's variable limit


@dataclass(slots=True)
class _New:
    """An organisation the import will create (its SIREN or RNA, its département)."""

    siren: str
    siret: str
    rna: str
    name: str
    departement: str
    kind: str


@dataclass
class Evaluation:
    """What importing the file would do: one report line per record, and the records to write
    (with the organisation each goes to: an existing id, a key of `new`, or None)."""

    parsed: ParsedFile
    lines: list[ReportLine]
    to_write: list[tuple[Record, Funder | None, int | str | None]]
    new: dict[str, _New]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for line in self.lines:
            counts[line.outcome] += 1
        return counts


class ImportError_(Exception):
    """The import cannot run (the file is refused, or the database refused the write)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _departement_of_public_body(siret: str, known: set[str]) -> str:
    """A commune's SIREN is 21 + département + 0 + commune + key (Antibes 210600045 → 06), a
    département council's 22 + its code (224400028 → 44)."""
    if len(siret) < 9 or not siret.isdigit() or siret[:2] not in ("21", "22"):
        return ""
    code = siret[2:4]
    if code == "97":
        code = siret[2:5]
    return code if code in known else ""


def _departement_of_postal_code(postal: str, known: set[str]) -> str:
    if not re.fullmatch(r"\d{5}", postal):
        return ""
    if postal.startswith("97"):
        code = postal[:3]
    elif postal.startswith("20"):
        code = "2A" if postal < "20200" else "2B"
    else:
        code = postal[:2]
    return code if code in known else ""


def evaluate(parsed: ParsedFile, *, funder: Funder | None) -> Evaluation:
    """The outcome of every record, reading the database only (fingerprints already imported,
    organisations and funders known)."""
    records = parsed.records
    candidates = [r for r in records if not r.rejected]
    fingerprints = {id(r): r.fingerprint() for r in candidates}
    existing: set[str] = set()
    values = list(set(fingerprints.values()))
    for chunk in _chunks(values):
        existing.update(
            ImportedGrant.objects.filter(fingerprint__in=chunk).values_list(
                "fingerprint", flat=True
            )
        )
    funder_ids = sorted({r.funder_id for r in candidates if len(r.funder_id) == 14})
    funders = {f.siret: f for f in Funder.objects.filter(siret__in=funder_ids)}
    sirens = sorted({r.beneficiary_siren for r in candidates if r.siren_valid})
    by_siren: dict[str, int] = {}
    for chunk in _chunks(sirens):
        by_siren.update(Organisation.objects.filter(siren__in=chunk).values_list("siren", "pk"))
    rnas = sorted({r.beneficiary_rna for r in candidates if r.beneficiary_rna})
    by_rna: dict[str, int] = {}
    for chunk in _chunks(rnas):
        by_rna.update(Organisation.objects.filter(rna__in=chunk).values_list("rna", "pk"))
    departements = set(Departement.objects.values_list("code", flat=True))
    own_departement = _departement_of_public_body(funder.siret, departements) if funder else ""

    lines: list[ReportLine] = []
    to_write: list[tuple[Record, Funder | None, int | str | None]] = []
    new: dict[str, _New] = {}
    taken_rnas = set(by_rna)
    seen: dict[str, int] = {}
    for r in records:
        amount = "" if r.amount is None else f"{r.amount:f}"
        if r.rejected:
            lines.append(ReportLine(r.number, REJECTED, r.rejected, r.beneficiary_name, amount))
            continue
        if not r.funder_id and not r.funder_name:
            if funder is None:
                lines.append(
                    ReportLine(
                        r.number,
                        REJECTED,
                        _("attribuant absent (ni nom ni identifiant) et aucun financeur donné"),
                        r.beneficiary_name,
                        amount,
                    )
                )
                continue
            r.funder_name, r.funder_id = funder.name, funder.siret
            r.flags.append(_("attribuant absent : celui qui importe (%(f)s)") % {"f": funder.name})
        key = fingerprints[id(r)]
        if key in existing:
            lines.append(
                ReportLine(
                    r.number,
                    DUPLICATE,
                    _("déjà importée (même attribuant, bénéficiaire, date, montant et objet)"),
                    r.beneficiary_name,
                    amount,
                )
            )
            continue
        if key in seen:
            lines.append(
                ReportLine(
                    r.number,
                    DUPLICATE,
                    _(
                        "identique à l'enregistrement n° %(n)s du fichier (même attribuant, "
                        "bénéficiaire, date, montant et objet)"
                    )
                    % {"n": seen[key]},
                    r.beneficiary_name,
                    amount,
                )
            )
            continue
        seen[key] = r.number
        platform_funder = funders.get(r.funder_id)
        if platform_funder is None and funder is not None and r.funder_id == funder.siret:
            platform_funder = funder
        organisation = _organisation(
            r, by_siren, by_rna, new, taken_rnas, departements, own_departement
        )
        if r.de_minimis and r.currency == "EUR" and organisation is None:
            r.flags.append(
                _("aide de minimis non inscrite au registre : aucune structure rattachée")
            )
        to_write.append((r, platform_funder, organisation))
        outcome = FLAGGED if r.flags else IMPORTED
        lines.append(
            ReportLine(
                r.number,
                outcome,
                " ; ".join(r.flags) if r.flags else _("importée"),
                r.beneficiary_name,
                amount,
            )
        )
    return Evaluation(parsed, lines, to_write, new)


def _organisation(
    r: Record,
    by_siren: dict[str, int],
    by_rna: dict[str, int],
    new: dict[str, _New],
    taken_rnas: set[str],
    departements: set[str],
    own_departement: str,
) -> int | str | None:
    if r.siren_valid and r.beneficiary_siren in by_siren:
        return by_siren[r.beneficiary_siren]
    if r.beneficiary_rna and r.beneficiary_rna in by_rna:
        return by_rna[r.beneficiary_rna]
    key = (
        f"siren:{r.beneficiary_siren}"
        if r.siren_valid
        else (f"rna:{r.beneficiary_rna}" if r.beneficiary_rna else "")
    )
    if not key:
        if not r.beneficiary_siren:
            r.flags.append(_("bénéficiaire sans SIREN ni RNA : rattaché à aucune structure"))
        return None
    if key in new:
        return key
    departement = (
        _departement_of_postal_code(r.beneficiary_postal_code, departements)
        or _departement_of_public_body(r.funder_id, departements)
        or own_departement
    )
    if not departement:
        r.flags.append(
            _(
                "structure non créée : son département est inconnu (ni code postal, ni attribuant "
                "communal ou départemental)"
            )
        )
        return None
    rna = r.beneficiary_rna if r.beneficiary_rna not in taken_rnas else ""
    if rna:
        taken_rnas.add(rna)
    association = bool(rna) or "association" in plain(r.beneficiary_name)
    new[key] = _New(
        siren=r.beneficiary_siren if r.siren_valid else "",
        siret=r.beneficiary_siret if r.siren_valid and r.beneficiary_siret else "",
        rna=rna,
        name=(r.beneficiary_name or r.beneficiary_siren or rna)[:200],
        departement=departement,
        kind=OrganisationKind.ASSOCIATION if association else OrganisationKind.OTHER,
    )
    return key


# --- the report --------------------------------------------------------------------------


# --- writing -----------------------------------------------------------------------------


def _write(evaluation: Evaluation, batch: ImportBatch, actor: Any) -> None:
    """Every organisation, ledger line and grant of the evaluation (inside the caller's
    transaction)."""
    now = timezone.now()
    created: dict[str, int] = {}
    if evaluation.new:
        keys = list(evaluation.new)
        made = Organisation.objects.bulk_create(
            [
                Organisation(
                    name=n.name,
                    kind=n.kind,
                    siren=n.siren,
                    siret=n.siret,
                    rna=n.rna,
                    departement_id=n.departement,
                    verified=False,
                )
                for n in evaluation.new.values()
            ],
            batch_size=CHUNK,
        )
        created = {key: organisation.pk for key, organisation in zip(keys, made, strict=True)}
        # One audit row per organisation created, in a few statements.
        audit_rows(
            model=Organisation,
            objects=[(o.pk, o.name) for o in made],
            reasons=[
                _("structure non vérifiée créée par l'import « %(f)s »") % {"f": batch.file_name}
            ]
            * len(made),
            actor=actor,
            action="create_from_import",
            public=False,
            at=now,
        )
    aid: list[tuple[int, AidRecord]] = []
    organisations: list[int | None] = []
    for i, (r, _funder, organisation) in enumerate(evaluation.to_write):
        organisation_id = created[organisation] if isinstance(organisation, str) else organisation
        organisations.append(organisation_id)
        part = r.beneficiary_amount
        if r.de_minimis and r.currency == "EUR" and organisation_id is not None and part:
            assert r.agreement_date is not None
            aid.append(
                (
                    i,
                    AidRecord(
                        organisation_id=organisation_id,
                        source=AidSource.IMPORTED,
                        funder_name=(r.funder_name or r.funder_id)[:200],
                        amount=part,
                        granted_on=r.agreement_date,
                        reference=(r.reference or r.object)[:100],
                        recorded_by=actor if actor is not None and actor.is_authenticated else None,
                        recorded_at=now,
                    ),
                )
            )
    aid_ids: dict[int, int] = {}
    if aid:
        made_records = AidRecord.objects.bulk_create([a for _i, a in aid], batch_size=CHUNK)
        aid_ids = {i: made.pk for (i, _a), made in zip(aid, made_records, strict=True)}
    # Plain rows (lib/bulk.py: COPY on PostgreSQL), not bulk_create: 100 000 grants in seconds.
    insert_rows(
        ImportedGrant,
        _GRANT_FIELDS,
        (
            _grant_row(r, funder, organisations[i], aid_ids.get(i))
            for i, (r, funder, _organisation) in enumerate(evaluation.to_write)
        ),
        same={"batch": batch.pk},
    )


_GRANT_FIELDS = [
    "record_number",
    "fingerprint",
    "funder",
    "funder_name",
    "funder_siret",
    "beneficiary_name",
    "beneficiary_siret",
    "beneficiary_siren",
    "beneficiary_rna",
    "organisation",
    "amount",
    "share",
    "currency",
    "agreement_date",
    "reference",
    "object",
    "nature",
    "payment_terms",
    "payment_dates",
    "rae_id",
    "eu_notified",
    "aid_scheme",
    "de_minimis",
    "aid_record",
    "flags",
    "raw",
]


def _grant_row(
    r: Record, funder: Funder | None, organisation_id: int | None, aid_record_id: int | None
) -> list[Any]:
    return [
        r.number,
        r.fingerprint(),
        funder.pk if funder is not None else None,
        r.funder_name[:255],
        r.funder_id[:20],
        r.beneficiary_name[:255],
        r.beneficiary_siret,
        r.beneficiary_siren,
        r.beneficiary_rna,
        organisation_id,
        r.amount,
        r.share,
        r.currency,
        r.agreement_date,
        r.reference[:255],
        r.object,
        r.nature[:100],
        r.payment_terms[:255],
        r.payment_dates[:100],
        r.rae_id[:20],
        r.eu_notified,
        r.aid_scheme[:255],
        r.de_minimis,
        aid_record_id,
        list(r.flags),
        r.raw,
    ]


def _apply_counts(batch: ImportBatch, evaluation: Evaluation) -> None:
    counts = evaluation.counts
    batch.records = len(evaluation.lines)
    for outcome in OUTCOMES:
        setattr(batch, outcome, counts[outcome])
    batch.format = evaluation.parsed.format
    batch.encoding = evaluation.parsed.encoding
    batch.delimiter = evaluation.parsed.delimiter


def _summary(counts: dict[str, int]) -> str:
    return _("%(i)s importées, %(f)s importées avec une alerte, %(r)s refusées, %(d)s doublons") % {
        "i": counts[IMPORTED],
        "f": counts[FLAGGED],
        "r": counts[REJECTED],
        "d": counts[DUPLICATE],
    }


def preview(data: bytes, *, funder: Funder | None, format: str = "auto") -> Evaluation:
    """What importing these bytes would do; raises FileRefused when the file cannot be read."""
    return evaluate(read_file(data, format=format), funder=funder)


class _StoredFiles:
    """The files a transaction stores on its batch, deleted again when it fails: the rows that
    named them are rolled back, so nothing would ever read or remove them. Used around the
    transaction (``with _StoredFiles() as stored: with transaction.atomic(): …``)."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str]] = []

    def save(self, field: Any, name: str, content: bytes) -> None:
        field.save(name, ContentFile(content), save=False)
        self._saved.append((field.storage, field.name))

    def __enter__(self) -> _StoredFiles:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is not None:
            for storage, name in self._saved:
                storage.delete(name)


def _save_report(batch: ImportBatch, evaluation: Evaluation, stored: _StoredFiles) -> None:
    """The batch's report; the one it replaces (the preview's) goes once this is committed."""
    previous, storage = batch.report.name, batch.report.storage
    stored.save(
        batch.report,
        f"rapport-import-{batch.pk}.csv",
        report_csv(evaluation.lines).encode("utf-8"),
    )
    if previous:
        transaction.on_commit(lambda: storage.delete(previous))


def stage_import(
    *, data: bytes, file_name: str, funder: Funder | None, actor: Any, format: str = "auto"
) -> ImportBatch:
    """The officer's upload: the file kept on a new batch with its preview report (status
    « preview »), or refused as a whole with the reason (status « refused »). A failure leaves
    neither a batch nor a file."""
    with _StoredFiles() as stored, transaction.atomic():
        batch = ImportBatch(
            funder=funder,
            file_name=file_name[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
            uploaded_at=timezone.now(),
        )
        stored.save(batch.file, f"import-{batch.sha256[:16]}.dat", data)
        try:
            evaluation = preview(data, funder=funder, format=format)
        except FileRefused as refused:
            batch.status = ImportStatus.REFUSED
            batch.refusal = refused.message
            batch.save()
            return batch
        _apply_counts(batch, evaluation)
        batch.save()
        _save_report(batch, evaluation, stored)
        batch.save(update_fields=["report"])
    return batch


def confirm_import(*, batch: ImportBatch, actor: Any) -> ImportBatch:
    """Import the previewed file: its stored bytes evaluated again (a grant imported since the
    preview becomes a duplicate) and written in one transaction with the batch's report and
    audit entry."""
    with _StoredFiles() as stored, transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportStatus.PREVIEW:
            raise ImportError_(
                _("Cet import est « %(s)s » : il ne peut plus être confirmé.")
                % {"s": batch.get_status_display()}
            )
        try:
            with batch.file.open("rb") as stream:
                data = stream.read()
        except (OSError, ValueError):
            raise ImportError_(
                _("Le fichier de cet aperçu n'est plus disponible : déposez-le à nouveau.")
            ) from None
        try:
            evaluation = preview(data, funder=batch.funder, format=batch.format or "auto")
        except FileRefused as refused:
            raise ImportError_(refused.message) from None
        _commit(batch, evaluation, actor, stored)
    return batch


def _commit(batch: ImportBatch, evaluation: Evaluation, actor: Any, stored: _StoredFiles) -> None:
    now = timezone.now()
    _write(evaluation, batch, actor)
    _apply_counts(batch, evaluation)
    batch.status = ImportStatus.IMPORTED
    batch.confirmed_at = now
    if batch.pk is None:
        batch.save()
    _save_report(batch, evaluation, stored)
    batch.save()
    audit(
        actor=actor,
        obj=batch,
        action="import_grants",
        reason=_summary(evaluation.counts),
        public=False,
        at=now,
    )


@transaction.atomic
def cancel_import(*, batch: ImportBatch, actor: Any) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.PREVIEW:
        raise ImportError_(
            _("Cet import est « %(s)s » : il ne peut plus être annulé.")
            % {"s": batch.get_status_display()}
        )
    name, storage = batch.file.name, batch.file.storage
    batch.status = ImportStatus.CANCELLED
    batch.file = ""
    batch.save(update_fields=["status", "file"])
    if name:  # the file goes once the cancellation is committed (a rollback keeps it)
        transaction.on_commit(lambda: storage.delete(name))
    audit(actor=actor, obj=batch, action="cancel_import_grants", public=False)
    return batch


def import_file(
    *,
    data: bytes,
    file_name: str,
    funder: Funder | None,
    actor: Any = None,
    format: str = "auto",
    dry_run: bool = False,
) -> tuple[Evaluation, ImportBatch | None]:
    """The command's import: read, evaluate and (unless `dry_run`) write everything in one
    transaction. Raises FileRefused when the file cannot be read (nothing is written then)."""
    evaluation = preview(data, funder=funder, format=format)
    if dry_run:
        return evaluation, None
    with _StoredFiles() as stored, transaction.atomic():
        batch = ImportBatch(
            funder=funder,
            file_name=file_name[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
            uploaded_at=timezone.now(),
        )
        stored.save(batch.file, f"import-{batch.sha256[:16]}.dat", data)
        batch.save()
        _commit(batch, evaluation, actor, stored)
    return evaluation, batch
