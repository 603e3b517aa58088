from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "partnerprogram.api"
    label = "api"
    verbose_name = "REST API"
