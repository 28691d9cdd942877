from importlib import import_module

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit
from .admin_scope import SuperuserOnlyAdmin
from .models import ApiToken, AuditEvent, Membership


def superuser_only(model) -> None:
    """Re-register another app's admin class for `model` as superuser-only and audited."""
    current = type(admin.site._registry[model])
    admin.site.unregister(model)
    admin.site.register(model, type(current.__name__, (SuperuserOnlyAdmin, current), {}))


# Accounts, roles and permissions decide who sees personal data; TOTP devices hold
# second-factor keys; lockout records hold usernames and addresses: superusers only.
# Those apps come after this one in INSTALLED_APPS, so their admin modules are
# imported here first.
superuser_only(get_user_model())
superuser_only(Group)
for app_admin in ("django_otp.plugins.otp_totp.admin", "axes.admin"):
    import_module(app_admin)
for model in list(admin.site._registry):
    if model._meta.app_label in {"otp_totp", "axes"}:
        superuser_only(model)


@admin.register(Membership)
class MembershipAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ["user", "role", "municipality", "unit", "organisation"]
    list_filter = ["role", "municipality"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """Read-only: auditors search it; nobody edits it."""

    list_display = ["at", "user", "action", "object_type", "object_id", "summary", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "summary", "user__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """Tokens are made with `manage.py create_api_token` (which shows the secret once);
    here they are only listed and revoked."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        now = timezone.now()
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
        for token in tokens:
            audit.record(
                request,
                AuditEvent.Action.CHANGE,
                token,
                summary=f"admin: revoked API token {token.prefix}",
                changes=audit.diff({"revoked_at": None}, {"revoked_at": now}),
            )
