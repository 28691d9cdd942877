from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "socialplan.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from .signals import record_failed_login

        user_login_failed.connect(record_failed_login, dispatch_uid="accounts.failed_login")
