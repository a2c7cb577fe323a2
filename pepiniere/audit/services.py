"""Writing and reading the audit trail. Every state transition in the platform calls `record`."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from pepiniere.audit.models import AuditEntry


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
    objs: list[models.Model],
    action: str,
    from_state: str = "",
    to_state: str = "",
    reasons: list[str],
    public: bool = True,
    at: datetime.datetime | None = None,
) -> list[AuditEntry]:
    """One audit row per object of a batch (a payment run's orders), in one INSERT per thousand
    rows: the same rows `record` writes one by one."""
    if len(objs) != len(reasons):
        raise ValueError("one reason per object")
    at = at or timezone.now()
    actor = actor if actor is not None and actor.is_authenticated else None
    types = ContentType.objects.get_for_models(*{type(obj) for obj in objs})
    return AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=actor,
                at=at,
                content_type=types[type(obj)],
                object_id=obj.pk,
                object_repr=str(obj)[:200],
                action=action,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                public=public,
            )
            for obj, reason in zip(objs, reasons, strict=True)
        ],
        batch_size=1000,
    )


def trail_for(obj: models.Model, *, public_only: bool = False) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    if public_only:
        entries = entries.filter(public=True)
    return entries.order_by("at", "id")
