from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "partnerprogram.imports"
    label = "imports"
    verbose_name = "Imports"
