from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "partnerprogram.audit"
    label = "audit"
    verbose_name = "Audit trail"
