from django.contrib import admin

from partnerprogram.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "partner", "kind", "on", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["partner__name", "partner__external_id"]
    raw_id_fields = ["partner"]
    readonly_fields = ["created_at", "emailed_at", "recipients", "dedupe_key"]
