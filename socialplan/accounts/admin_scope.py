"""The Django admin, scoped to the municipalities a user manages, and audited.

Every admin class of the project uses one of three mixins (before
admin.ModelAdmin / admin.TabularInline in its bases):

- MunicipalityScopedAdmin: rows of the municipalities where the user holds a
  managing role (access.MANAGERS); a superuser crosses municipalities. The
  class declares `municipality_path`, the lookup from its model to the
  Municipality ("measure__objective__priority__plan__municipality"; "" for
  Municipality itself). Rows outside the scope are absent: the admin answers
  "does not exist", never "forbidden", so their existence is not confirmed.
  Foreign-key and many-to-many choices are limited the same way, and a save
  that would put a row in another municipality is refused.
- MunicipalityScopedInline: the same for an inline (saved by its parent).
- SuperuserOnlyAdmin: users, groups, memberships, tokens, the audit log, TOTP
  devices, lockout records, national lists.

All three write an AuditEvent for every add, change and delete, inlines and
the bulk "delete selected" action included.
"""

import datetime

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit
from .access import MANAGERS, memberships
from .models import AuditEvent

Action = AuditEvent.Action
# Values never copied into the audit trail, only the fact that they changed:
# password hashes, API token hashes, TOTP device keys.
SECRET_FIELDS = {
    "auth.user": {"password"},
    "accounts.apitoken": {"key_hash"},
    "otp_totp.totpdevice": {"key"},
}
OUTSIDE_SCOPE = _("You do not manage the municipality this would belong to. Nothing was saved.")


def managed_municipality_ids(user) -> set[int] | None:
    """The municipalities the user may manage in the admin; None means all (a superuser).

    Only a managing role counts: a national viewer, an auditor or a provider
    reads elsewhere and writes nothing here.
    """
    if user.is_superuser:
        return None
    return {m.municipality_id for m in memberships(user) if m.role in MANAGERS}


def municipality_path(model) -> str | None:
    """How to reach a model's municipality, or None for a national (unscoped) model.

    The model's own admin declares it; a model without one (an inline's) that
    has a direct `municipality` foreign key needs no declaration.
    """
    from socialplan.territory.models import Municipality

    if model is Municipality:
        return ""
    declared = getattr(admin.site._registry.get(model), "municipality_path", None)
    if declared is not None:
        return declared
    for field in model._meta.concrete_fields:
        if field.name == "municipality" and field.related_model is Municipality:
            return "municipality"
    return None


def within(queryset, path: str | None, allowed: set[int] | None):
    """`queryset` cut to the allowed municipalities (users: those with a role there)."""
    if allowed is None:
        return queryset
    if queryset.model is get_user_model():
        return queryset.filter(memberships__municipality__in=allowed).distinct()
    if path is None:
        return queryset
    return queryset.filter(**{f"{path}__in" if path else "pk__in": allowed})


def municipality_id_of(obj, path: str) -> int | None:
    """The municipality an (unsaved, perhaps) object belongs to, by its path."""
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    try:
        for hop in hops:
            obj = getattr(obj, hop)
            if obj is None:
                return None
    except ObjectDoesNotExist:
        return None
    return getattr(obj, f"{last}_id", None)


def scoped_form(form_class, path: str, allowed: set[int] | None):
    """The form, refusing an instance that would land outside the allowed municipalities."""
    if allowed is None:
        return form_class

    class ScopedForm(form_class):
        def _post_clean(self):
            super()._post_clean()
            municipality = municipality_id_of(self.instance, path)
            # None: a required parent is missing, which the form already reports.
            if municipality is not None and municipality not in allowed:
                self.add_error(None, OUTSIDE_SCOPE)

    ScopedForm.__name__ = form_class.__name__
    return ScopedForm


def snapshot(obj) -> dict:
    """Field values of a row (foreign keys as ids, many-to-many as id lists)."""
    values = {f.name: f.value_from_object(obj) for f in obj._meta.concrete_fields}
    for name, value in values.items():
        # One clock for the trail: a form hands back local time, the database UTC.
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            values[name] = value.astimezone(datetime.UTC)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = list(getattr(obj, field.name).values_list("pk", flat=True))
    return values


def changes(obj, before: dict, after: dict) -> dict:
    found = audit.diff(before, after)
    for name in SECRET_FIELDS.get(obj._meta.label_lower, set()) & set(found):
        found[name] = ["[hidden]", "[hidden]"]
    return found


def summary(verb: str, obj) -> str:
    return f"admin: {verb} {obj._meta.verbose_name} {obj}"


class AuditedAdmin:
    """Writes an AuditEvent for every admin add, change and delete (inlines included)."""

    def _before(self, request) -> dict:
        if not hasattr(request, "_admin_audit_before"):
            request._admin_audit_before = {}
        return request._admin_audit_before

    def save_model(self, request, obj, form, change):
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None:
                self._before(request)[(obj._meta.label_lower, obj.pk)] = snapshot(stored)
        super().save_model(request, obj, form, change)

    # Django calls these after the row and its many-to-many fields are saved
    # (log_deletions before the delete), in the same transaction.
    def log_addition(self, request, obj, message):
        audit.record(
            request,
            Action.CREATE,
            obj,
            summary=summary("added", obj),
            changes=changes(obj, {}, snapshot(obj)),
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        before = self._before(request).pop((obj._meta.label_lower, obj.pk), None)
        audit.record(
            request,
            Action.CHANGE,
            obj,
            summary=summary("changed", obj),
            changes=changes(obj, before, snapshot(obj)) if before is not None else {},
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit.record(
                request,
                Action.DELETE,
                obj,
                summary=summary("deleted", obj),
                changes=changes(obj, snapshot(obj), {}),
            )
        return super().log_deletions(request, queryset)

    def save_formset(self, request, form, formset, change):
        """An inline's rows: each added, changed and deleted row gets its own event."""
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {pk: snapshot(row) for pk, row in model._default_manager.in_bulk(pks).items()}
        for deleted in formset.deleted_forms:
            obj = deleted.instance
            if obj.pk in before:
                audit.record(
                    request,
                    Action.DELETE,
                    obj,
                    summary=summary("deleted", obj),
                    changes=changes(obj, before[obj.pk], {}),
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit.record(
                request,
                Action.CREATE,
                obj,
                summary=summary("added", obj),
                changes=changes(obj, {}, snapshot(obj)),
            )
        for obj, _fields in formset.changed_objects:
            audit.record(
                request,
                Action.CHANGE,
                obj,
                summary=summary("changed", obj),
                changes=changes(obj, before.get(obj.pk, {}), snapshot(obj)),
            )


class ScopedQueries:
    """What admin classes and inlines share: the scoped rows and choices."""

    municipality_path: str  # declared by each class

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return within(queryset, self.municipality_path, managed_municipality_ids(request.user))

    def get_field_queryset(self, db, db_field, request):
        """Foreign-key and many-to-many choices: only rows of the same municipalities."""
        queryset = super().get_field_queryset(db, db_field, request)
        allowed = managed_municipality_ids(request.user)
        if allowed is None:
            return queryset
        model = db_field.remote_field.model
        if queryset is None:
            queryset = model._default_manager.using(db).all()
        return within(queryset, municipality_path(model), allowed)


class MunicipalityScopedAdmin(ScopedQueries, AuditedAdmin):
    # Municipality itself sets these False: only a superuser adds or removes one.
    managers_may_add = True
    managers_may_delete = True

    def _in_scope(self, request, obj) -> bool:
        allowed = managed_municipality_ids(request.user)
        if allowed is None:
            return True
        if obj is None:
            return bool(allowed)
        return municipality_id_of(obj, self.municipality_path) in allowed

    def has_view_permission(self, request, obj=None):
        return self._in_scope(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._in_scope(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not (self.managers_may_delete or request.user.is_superuser):
            return False
        return self._in_scope(request, obj) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        if not (self.managers_may_add or request.user.is_superuser):
            return False
        return self._in_scope(request, None) and super().has_add_permission(request)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return scoped_form(form, self.municipality_path, managed_municipality_ids(request.user))

    def get_changelist_form(self, request, **kwargs):
        form = super().get_changelist_form(request, **kwargs)
        return scoped_form(form, self.municipality_path, managed_municipality_ids(request.user))

    def get_list_filter(self, request):
        """A filter on a relation offers only the values of the rows the user sees.

        (Django's default lists every plan or municipality in the database.)
        """
        from django.contrib.admin.utils import get_fields_from_path

        filters = []
        for spec in super().get_list_filter(request):
            if isinstance(spec, str) and get_fields_from_path(self.model, spec)[-1].is_relation:
                spec = (spec, admin.RelatedOnlyFieldListFilter)
            filters.append(spec)
        return filters


class MunicipalityScopedInline(ScopedQueries):
    """An inline's rows and choices, scoped; its parent admin audits its saves."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = scoped_form(
            formset.form, self.municipality_path, managed_municipality_ids(request.user)
        )
        return formset


class SuperuserOnlyAdmin(AuditedAdmin):
    """Personal data or security meaning: only a superuser sees it in the admin."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)
