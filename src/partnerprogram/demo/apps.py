from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "partnerprogram.demo"
    label = "demo"
    verbose_name = "Demo"
