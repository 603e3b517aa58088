from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "partnerprogram.sales"
    label = "sales"
    verbose_name = "Sales"
