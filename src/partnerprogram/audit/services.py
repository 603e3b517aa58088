"""Writing the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from partnerprogram.audit.models import AuditEvent

#: ``{field: (before, after)}``
Changes = Mapping[str, tuple[Any, Any]]
#: ``(obj, changes)`` or ``(obj, changes, note)``
AuditEntry = tuple[models.Model, Changes | None] | tuple[models.Model, Changes | None, str]
#: events per INSERT (SQLite lowers it to its limit on query parameters)
BATCH_SIZE = 1000


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
    changes: Changes | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one audit event for ``obj`` (already saved: it needs a primary key).

    ``actor``: ``user:<username>`` or ``system:<job>``; ``action``: a verb such as ``created``,
    ``settled``, ``granted``, ``loaded``; ``changes``: ``{field: (before, after)}`` with dates,
    Decimals and model instances made JSON-ready. Side effect: one INSERT. Raises ``ValueError``
    when ``obj`` has no primary key.
    """
    event = _event(actor=actor, action=action, obj=obj, changes=changes, note=note)
    event.save(force_insert=True)
    return event


def _event(
    *,
    actor: str,
    action: str,
    obj: models.Model,
    changes: Changes | None,
    note: str,
) -> AuditEvent:
    if obj.pk is None:
        raise ValueError(f"cannot audit an unsaved {type(obj).__name__}")
    return AuditEvent(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes={k: [_jsonable(a), _jsonable(b)] for k, (a, b) in (changes or {}).items()},
        note=note,
    )


def audit_record_bulk(
    *,
    actor: str,
    action: str,
    entries: Iterable[AuditEntry],
    note: str = "",
) -> list[AuditEvent]:
    """Append one audit event per entry with a single ``bulk_create`` (a settlement writes
    hundreds of standings at once: one INSERT per batch of events instead of one per event).

    ``entries``: ``(obj, changes)`` pairs, or ``(obj, changes, note)`` triples whose note
    replaces ``note`` for that event; ``obj``, ``changes`` and ``actor``/``action`` as in
    ``audit_record``. Every object must be saved (``ValueError`` otherwise, nothing written).
    Returns the events written (none, and no query, when ``entries`` is empty).
    """
    events = [
        _event(
            actor=actor,
            action=action,
            obj=entry[0],
            changes=entry[1],
            note=entry[2] if len(entry) == 3 else note,
        )
        for entry in entries
    ]
    if not events:
        return []
    return AuditEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def audit_record_many(
    *, actor: str, action: str, objects: list[models.Model], note: str = ""
) -> int:
    """Append one event without changes per object (``audit_record_bulk`` with empty changes).
    Returns the number of events written."""
    return len(
        audit_record_bulk(
            actor=actor, action=action, entries=[(obj, None) for obj in objects], note=note
        )
    )
