from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partnerprogram.programs.models import Assessment, EvaluationRun, Program, ProgramVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Program versions and evaluation results are immutable records: read-only here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["key", "name"]


@admin.register(ProgramVersion)
class ProgramVersionAdmin(ReadOnlyAdmin):
    list_display = ["program", "version", "effective_from", "status", "sha256", "loaded_at"]
    list_filter = ["program", "status"]


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "program_version", "as_of", "partner_count", "started_at", "finished_at"]
    list_filter = ["program_version"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = [
        "run",
        "partner",
        "tier",
        "qualified_tier",
        "previous_tier",
        "grandfathered",
        "next_tier",
    ]
    list_filter = ["run", "tier", "grandfathered"]
    search_fields = ["partner__name", "partner__external_id"]
    raw_id_fields = ["partner"]
