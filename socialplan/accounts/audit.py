"""Writing audit events: one small function, called from views and actions."""

from django.db import models

from .models import AuditEvent


def client_ip(request) -> str | None:
    # Behind a proxy the deployment sets REMOTE_ADDR correctly (gunicorn
    # --forwarded-allow-ips); we never trust a client-sent header here.
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    request,
    action: str,
    obj: models.Model | None = None,
    *,
    summary: str = "",
    changes=None,
    user=None,
):
    return AuditEvent.objects.create(
        user=user
        or (request.user if request is not None and request.user.is_authenticated else None),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        changes=changes or {},
        ip=client_ip(request),
    )


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed, as strings for JSON."""

    def show(value):
        if isinstance(value, (list, tuple, set)):
            return sorted(str(v) for v in value)
        return None if value is None else str(value)

    return {
        name: [show(before.get(name)), show(after.get(name))]
        for name in sorted(set(before) | set(after))
        if show(before.get(name)) != show(after.get(name))
    }
