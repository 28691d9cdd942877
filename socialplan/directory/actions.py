"""Saving directory records: version check, the change itself and its audit row, together."""

from django.db import transaction
from django.db.models import F

from socialplan.accounts.audit import diff, record

from .models import Organisation, Service


class StaleRecord(Exception):
    """The record changed after the form was opened."""


def _snapshot(obj, form) -> dict:
    values = {}
    for name in form.Meta.fields:
        value = getattr(obj, name)
        if hasattr(value, "all"):
            value = [str(v) for v in value.all()] if obj.pk else []
        values[name] = value
    return values


def save_versioned(*, form, request, municipality=None) -> Service | Organisation:
    """Save a VersionedForm; the version bump is conditional, so two saves cannot both win."""
    instance = form.instance
    model = type(instance)
    with transaction.atomic():
        if instance.pk:
            before = _snapshot(model.objects.get(pk=instance.pk), form)
            updated = model.objects.filter(
                pk=instance.pk, version=form.cleaned_data["version"]
            ).update(version=F("version") + 1)
            if not updated:
                raise StaleRecord
            obj = form.save(commit=False)
            obj.version = form.cleaned_data["version"] + 1
            obj.save()
            form.save_m2m()
            action = "change"
        else:
            before = {}
            obj = form.save(commit=False)
            if municipality is not None:
                obj.municipality = municipality
            obj.save()
            form.save_m2m()
            action = "create"
        record(request, action, obj, summary=str(obj), changes=diff(before, _snapshot(obj, form)))
    return obj
