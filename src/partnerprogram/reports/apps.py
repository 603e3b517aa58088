from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "partnerprogram.reports"
    label = "reports"
    verbose_name = "Reports"
