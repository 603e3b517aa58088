"""The history of file imports (the console lists it; ``report`` holds every rejected row)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ImportRun(models.Model):
    """One import of one file, applied or dry run.

    ``sha256`` identifies the file's bytes (the console applies only the file it previewed);
    ``report`` is ``ImportReport.as_dict()`` (counts, every error with row, column, value and
    reason, detected formats, notes). ``applied`` is False for a dry run and for a strict import
    refused because of rejected rows. ``duration_ms`` is wall time in milliseconds.
    """

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="user:<username> or cli:<os user>")
    kind = models.CharField(max_length=32)
    mapping = models.CharField(max_length=32)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(default=0)
    dry_run = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    applied = models.BooleanField(default=False)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        mode = "dry run" if self.dry_run else ("applied" if self.applied else "not applied")
        return f"{self.kind} from {self.file_name} ({mode}, {self.started_at:%Y-%m-%d %H:%M})"
