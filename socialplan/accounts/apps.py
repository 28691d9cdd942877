from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "socialplan.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_delete, post_save, pre_save
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from . import signals

        user_login_failed.connect(signals.record_failed_login, dispatch_uid="accounts.failed_login")
        user_logged_in.connect(signals.record_login, dispatch_uid="accounts.login")
        user_logged_out.connect(signals.record_logout, dispatch_uid="accounts.logout")
        User = get_user_model()
        pre_save.connect(
            signals.remember_account_before_save, sender=User, dispatch_uid="accounts.user_before"
        )
        post_save.connect(
            signals.revoke_tokens_after_account_change,
            sender=User,
            dispatch_uid="accounts.user_tokens",
        )
        post_delete.connect(
            signals.revoke_tokens_after_last_device,
            sender=TOTPDevice,
            dispatch_uid="accounts.device_tokens",
        )
