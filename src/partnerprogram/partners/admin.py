from django.contrib import admin

from partnerprogram.partners.models import Attestation, Partner, Person, TrackEnrolment


class TrackEnrolmentInline(admin.TabularInline):
    model = TrackEnrolment
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "country", "city", "status", "previous_tier"]
    list_filter = ["status", "previous_tier", "country", "enrolments__track"]
    search_fields = ["external_id", "name", "siren", "vat_number"]
    inlines = [TrackEnrolmentInline]
    raw_id_fields = ["merged_into"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["external_id", "email", "partner", "employed_from", "employed_until"]
    search_fields = ["external_id", "email", "last_name", "partner__name"]
    raw_id_fields = ["partner"]


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["external_id", "partner", "kind", "category", "attested_on", "valid_until"]
    list_filter = ["kind"]
    raw_id_fields = ["partner"]
