from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "partnerprogram.portal"
    label = "portal"
    verbose_name = "Portal"
