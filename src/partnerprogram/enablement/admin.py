from django.contrib import admin

from partnerprogram.enablement.models import Certification, Credential


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "family", "level", "validity_months"]
    list_filter = ["family", "level"]
    search_fields = ["code", "name"]


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = ["credential_id", "person", "certification", "earned_on", "expires_on"]
    list_filter = ["certification__family", "certification__level"]
    search_fields = ["credential_id", "person__email"]
    raw_id_fields = ["person"]
