"""Writing and reading the audit trail. Every state transition in the platform calls `record`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

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


def record_many(
    *,
    actor: Any,
    model: type[models.Model],
    objects: Sequence[tuple[int, str]],
    action: str,
    from_state: str = "",
    to_state: str = "",
    reasons: Sequence[str],
    public: bool = True,
    at: datetime.datetime | None = None,
) -> int:
    """One audit row per object of a batch (a payment run's orders): the rows `record` writes
    one by one, from each object's (pk, str(obj)), without a model instance per object or per
    row (lib/bulk.py: a run writes 10 000). Returns the number of rows."""
    if len(objects) != len(reasons):
        raise ValueError("one reason per object")
    return insert_rows(
        AuditEntry,
        ["object_id", "object_repr", "reason"],
        ((pk, name[:200], reason) for (pk, name), reason in zip(objects, reasons, strict=True)),
        same={
            "actor": actor if actor is not None and actor.is_authenticated else None,
            "at": at or timezone.now(),
            "content_type": ContentType.objects.get_for_model(model),
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "public": public,
        },
    )


def trail_for(obj: models.Model, *, public_only: bool = False) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    if public_only:
        entries = entries.filter(public=True)
    return entries.order_by("at", "id")
