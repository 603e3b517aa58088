from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "partnerprogram.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from partnerprogram.accounts import rules  # noqa: F401  (registers the permissions)
