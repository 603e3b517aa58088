from django.contrib import admin

from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "country", "segment"]
    search_fields = ["external_id", "name"]


class InvolvementInline(admin.TabularInline):
    model = PartnerInvolvement
    extra = 0
    raw_id_fields = ["partner"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "name",
        "customer",
        "product_line",
        "amount",
        "currency",
        "stage",
        "close_date",
    ]
    list_filter = ["stage", "product_line"]
    search_fields = ["external_id", "name", "customer__name"]
    raw_id_fields = ["customer"]
    inlines = [InvolvementInline]


@admin.register(DealRegistration)
class DealRegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "partner",
        "customer_name",
        "product_line",
        "estimated_amount",
        "currency",
        "status",
        "registered_on",
    ]
    list_filter = ["status", "product_line"]
    search_fields = ["external_id", "customer_name", "partner__name"]
    raw_id_fields = ["partner", "customer", "opportunity"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "booked_on",
        "amount",
        "currency",
        "channel",
        "transacting_partner",
        "influencing_partner",
        "product_line",
    ]
    list_filter = ["channel", "product_line", "motion"]
    search_fields = ["external_id"]
    raw_id_fields = ["customer", "opportunity", "transacting_partner", "influencing_partner"]
    date_hierarchy = "booked_on"


@admin.register(CloudUsage)
class CloudUsageAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "partner",
        "month",
        "product_line",
        "quantity",
        "amount",
        "currency",
    ]
    list_filter = ["product_line"]
    raw_id_fields = ["partner"]
    date_hierarchy = "month"
