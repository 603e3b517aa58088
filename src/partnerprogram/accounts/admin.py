from django.contrib import admin

from partnerprogram.accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "partner"]
    list_filter = ["role"]
    raw_id_fields = ["user", "partner"]
    search_fields = ["user__username", "partner__name", "partner__external_id"]
