from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partnerprogram.partners"
    label = "partners"
    verbose_name = "Partners"
