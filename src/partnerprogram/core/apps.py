from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "partnerprogram.core"
    label = "core"
    verbose_name = "Core"
