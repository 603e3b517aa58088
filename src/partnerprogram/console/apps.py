from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "partnerprogram.console"
    label = "console"
    verbose_name = "Console"
