"""Read-only admin: standings, claims, cycles and overrides are changed only through the
services (``standings.services``) so that every change is audited."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partnerprogram.standings.models import Claim, Cycle, Override, Standing


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Standing)
class StandingAdmin(ReadOnlyAdmin):
    list_display = [
        "partner",
        "track",
        "tier",
        "status",
        "valid_from",
        "valid_until",
        "frozen_until",
        "priority",
        "program_version",
        "decided_by",
    ]
    list_filter = ["status", "track", "tier", "program_version"]
    search_fields = ["partner__name", "partner__external_id", "reason"]
    raw_id_fields = ["partner", "assessment", "claim", "override", "cycle"]


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = [
        "program",
        "track",
        "claims_open",
        "claim_deadline",
        "freeze_until",
        "promotions_during_freeze",
        "status",
        "settled_at",
        "program_version",
    ]
    list_filter = ["program", "status"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "partner",
        "track",
        "tier",
        "status",
        "outcome_tier",
        "filed_at",
        "filed_by",
        "cycle",
    ]
    list_filter = ["status", "track", "tier"]
    search_fields = ["partner__name", "partner__external_id", "filed_by"]
    raw_id_fields = ["partner"]


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = [
        "partner",
        "track",
        "tier",
        "starts_on",
        "ends_on",
        "approver",
        "granted_by",
        "granted_at",
    ]
    list_filter = ["track", "tier"]
    search_fields = ["partner__name", "partner__external_id", "reason", "approver"]
    raw_id_fields = ["partner"]
