"""A large export written by several processes, each its own range of award ids, into one file
byte for byte the same as one process writes (`pepiniere export_opendata --jobs N`).

Formatting a line costs more than reading it: one process uses one core whatever the database
does. Above PARALLEL_FROM awards, the command starts `jobs − 1` helper processes (the same command,
`--part`), writes the first range itself while they write theirs into part files beside the
target, then appends their parts in order. On PostgreSQL every process reads the parent's
snapshot (`pg_export_snapshot`, then `SET TRANSACTION SNAPSHOT` in each helper), so the file is
one consistent picture whatever is written meanwhile; on SQLite each process reads its own, as the
four streams of one process already do (export.iter_lines). An in-memory database, an open
transaction (the tests') or a small export stay in one process."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, transaction
from django.db.backends.sqlite3.creation import DatabaseCreation as SqliteCreation

from pepiniere.opendata import export
from pepiniere.programmes.models import Funder

PARALLEL_FROM = 50_000  # awards: below, starting a process (about 2 s) costs more than it saves
_SNAPSHOT = re.compile(r"[0-9A-Fa-f]+-[0-9A-Fa-f]+(-[0-9]+)?")


class PartFailed(Exception):
    """A helper process failed; its message says why."""


@dataclass
class Tally:
    """What an export saw: lines per outcome, publishing funders without a SIRET, rows written,
    and the peak resident memory (kB) of each helper process."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(export.OUTCOMES, 0))
    missing: set[str] = field(default_factory=set)
    written: int = 0
    helper_peaks_kb: list[int] = field(default_factory=list)

    def counted(self, found: Iterable[export.Line]) -> Iterator[export.Line]:
        for line in found:
            self.counts[line.outcome] += 1
            if line.outcome == export.PUBLISHED and not line.funder.siret:
                self.missing.add(line.funder.name)
            yield line

    def add(self, other: dict[str, object]) -> None:
        counts = other["counts"]
        assert isinstance(counts, dict)
        for outcome in export.OUTCOMES:
            self.counts[outcome] += int(counts[outcome])
        missing = other["missing"]
        assert isinstance(missing, list)
        self.missing.update(str(name) for name in missing)
        self.written += int(str(other["written"]))
        self.helper_peaks_kb.append(int(str(other["peak_kb"])))


def write(
    fmt: str,
    funder: Funder | None,
    stream: TextIO,
    *,
    issued: datetime.date,
    jobs: int,
    folder: Path,
) -> Tally:
    """The whole file of `fmt` into `stream`, with `jobs` processes when it is worth it; part
    files go in `folder` (beside the target) and are removed."""
    tally = Tally()
    url = _database_url_for_helpers()  # before the snapshot's transaction opens
    with _snapshot() as snapshot:
        ranges = [export.EVERY_ID]
        if jobs > 1 and url is not None and export.awards(funder).count() >= PARALLEL_FROM:
            ranges = export.split_ids(funder, jobs)
        with contextlib.ExitStack() as cleanup:
            helpers = [
                _start(fmt, funder, ids, snapshot, url or "", folder, cleanup) for ids in ranges[1:]
            ]
            if fmt == "scdl":
                tally.written = export.write_scdl(
                    tally.counted(export.iter_lines(funder, ids=ranges[0])), stream
                )
            else:
                export.write_giving_head(stream, issued=issued)
                tally.written = export.write_giving_grants(
                    tally.counted(export.iter_lines(funder, ids=ranges[0])), stream, first=True
                )
            for process, part in helpers:
                before = tally.written
                tally.add(_finish(process, part))
                with part.open(encoding="utf-8", newline="") as source:
                    if fmt == "360giving" and before == 0:
                        source.read(1)  # the first grant of the file follows a plain line break
                    shutil.copyfileobj(source, stream, 1 << 20)
            if fmt == "360giving":
                export.write_giving_tail(stream, tally.written)
    return tally


def write_part(
    fmt: str, funder: Funder | None, ids: export.IdRange, snapshot: str | None, out: Path
) -> None:
    """A helper's part: the rows (SCDL) or grants each after its separator (360Giving) of the
    awards in `ids`, read in the parent's snapshot; its tally in `out` + « .json »."""
    tally = Tally()
    with contextlib.ExitStack() as stack:
        if snapshot is not None and connection.vendor == "postgresql":
            if not _SNAPSHOT.fullmatch(snapshot):
                raise PartFailed(f"Instantané invalide : {snapshot!r}")
            stack.enter_context(transaction.atomic())
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        with out.open("w", encoding="utf-8", newline="") as stream:
            lines = tally.counted(export.iter_lines(funder, ids=ids))
            if fmt == "scdl":
                tally.written = export.write_scdl(lines, stream, header=False)
            else:
                tally.written = export.write_giving_grants(lines, stream, first=False)
    Path(f"{out}.json").write_text(
        json.dumps(
            {
                "counts": tally.counts,
                "missing": sorted(tally.missing),
                "written": tally.written,
                "peak_kb": peak_kb(),
            }
        ),
        encoding="utf-8",
    )


def peak_kb() -> int:
    """This process's peak resident memory (VmHWM, kB; 0 where /proc is absent)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def _snapshot() -> Iterator[str | None]:
    """On PostgreSQL outside a transaction: a read-only REPEATABLE READ transaction held for the
    whole export, and its exported snapshot's id for the helpers."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        yield str(snapshot)


def _database_url_for_helpers() -> str | None:
    """The DATABASE_URL a helper process opens this process's database with (its name may differ
    from the environment's: the tests' database); None when another process cannot open it (an
    in-memory SQLite) or this process is inside a transaction the helpers would not see."""
    if connection.in_atomic_block:
        return None
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        if SqliteCreation.is_in_memory_db(name):
            return None
        return f"sqlite:///{Path(name).resolve()}"
    url = os.environ.get("DATABASE_URL", "")
    if connection.vendor != "postgresql" or not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _start(
    fmt: str,
    funder: Funder | None,
    ids: export.IdRange,
    snapshot: str | None,
    url: str,
    folder: Path,
    cleanup: contextlib.ExitStack,
) -> tuple[subprocess.Popen[bytes], Path]:
    handle, name = tempfile.mkstemp(dir=folder, prefix=".export_opendata-part-")
    os.close(handle)
    part = Path(name)
    cleanup.callback(_remove, part)
    low, high = ids
    command = [
        sys.executable,
        "-m",
        "pepiniere.manage",
        "export_opendata",
        "--format",
        fmt,
        "--out",
        str(part),
        "--part",
        f"{'' if low is None else low}:{'' if high is None else high}",
    ]
    if funder is not None:
        command += ["--funder", funder.siret]
    if snapshot is not None:
        command += ["--snapshot", snapshot]
    process = subprocess.Popen(  # noqa: S603 — our own command, no shell
        command,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    cleanup.callback(_stop, process)
    return process, part


def _finish(process: subprocess.Popen[bytes], part: Path) -> dict[str, object]:
    _out, err = process.communicate()
    if process.returncode != 0:
        reason = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise PartFailed(f"Un processus auxiliaire de l'export a échoué : {reason[0]}")
    result: dict[str, object] = json.loads(Path(f"{part}.json").read_text(encoding="utf-8"))
    return result


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def _remove(part: Path) -> None:
    for path in (part, Path(f"{part}.json")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def parse_ids(text: str) -> export.IdRange:
    """« LOW:HIGH » (either side may be empty) as an id range."""
    low, sep, high = text.partition(":")
    if not sep:
        raise ValueError(text)
    return (int(low) if low else None, int(high) if high else None)
