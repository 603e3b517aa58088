"""Writing the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from partnerprogram.audit.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def audit_record(
    *,
    actor: str,
    action: str,
    obj: models.Model,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one audit event for ``obj`` (already saved: it needs a primary key).

    ``actor``: ``user:<username>`` or ``system:<job>``; ``action``: a verb such as ``created``,
    ``settled``, ``granted``, ``loaded``; ``changes``: ``{field: (before, after)}`` with dates,
    Decimals and model instances made JSON-ready. Side effect: one INSERT. Raises ``ValueError``
    when ``obj`` has no primary key.
    """
    if obj.pk is None:
        raise ValueError(f"cannot audit an unsaved {type(obj).__name__}")
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes={k: [_jsonable(a), _jsonable(b)] for k, (a, b) in (changes or {}).items()},
        note=note,
    )


def audit_record_many(
    *, actor: str, action: str, objects: list[models.Model], note: str = ""
) -> int:
    """Append one creation event per object with a single bulk insert (settlements write
    hundreds of standings at once). Returns the number of events written."""
    events = [
        AuditEvent(
            actor=actor,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:255],
            changes={},
            note=note,
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)
