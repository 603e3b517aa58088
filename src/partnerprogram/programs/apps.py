from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "partnerprogram.programs"
    label = "programs"
    verbose_name = "Programs"
