from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "partnerprogram.notifications"
    label = "notifications"
    verbose_name = "Notifications"
