"""Writing and reading the audit trail. Every state transition in the platform calls `record`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, Unpack

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from pepiniere.audit.models import AuditEntry
from pepiniere.lib.bulk import insert_rows


def record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    public: bool = True,
    at: datetime.datetime | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=at or timezone.now(),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        public=public,
    )


class BatchEntry(TypedDict):
    """What the audit rows of one batch share."""

    actor: Any
    action: str
    from_state: NotRequired[str]
    to_state: NotRequired[str]
    public: NotRequired[bool]
    at: NotRequired[datetime.datetime | None]


def record_many(
    *, objs: Sequence[models.Model], reasons: Sequence[str], **entry: Unpack[BatchEntry]
) -> int:
    """One audit row per object of a batch: the rows `record` writes one by one, in a few
    statements (lib/bulk.py). Returns the number of rows."""
    types = ContentType.objects.get_for_models(*{type(obj) for obj in objs})
    return _insert_entries([(types[type(obj)], obj.pk, str(obj)) for obj in objs], reasons, entry)


def record_rows(
    *,
    model: type[models.Model],
    objects: Sequence[tuple[int, str]],
    reasons: Sequence[str],
    **entry: Unpack[BatchEntry],
) -> int:
    """`record_many` from each object's (pk, str(obj)), for a batch read as rows: a payment
    run's 10 000 instalments need no model instance to be audited."""
    content_type = ContentType.objects.get_for_model(model)
    return _insert_entries([(content_type, pk, name) for pk, name in objects], reasons, entry)


def _insert_entries(
    targets: Sequence[tuple[ContentType, int, str]], reasons: Sequence[str], entry: BatchEntry
) -> int:
    if len(targets) != len(reasons):
        raise ValueError("one reason per object")
    actor = entry["actor"]
    return insert_rows(
        AuditEntry,
        ["content_type", "object_id", "object_repr", "reason"],
        (
            (content_type, pk, name[:200], reason)
            for (content_type, pk, name), reason in zip(targets, reasons, strict=True)
        ),
        same={
            "actor": actor if actor is not None and actor.is_authenticated else None,
            "at": entry.get("at") or timezone.now(),
            "action": entry["action"],
            "from_state": entry.get("from_state", ""),
            "to_state": entry.get("to_state", ""),
            "public": entry.get("public", True),
        },
    )


def trail_for(obj: models.Model, *, public_only: bool = False) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    if public_only:
        entries = entries.filter(public=True)
    return entries.order_by("at", "id")
