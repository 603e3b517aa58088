from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "partnerprogram.enablement"
    label = "enablement"
    verbose_name = "Enablement"
