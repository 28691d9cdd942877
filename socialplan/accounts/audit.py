"""Writing audit events: one small function, called from views, actions and the access helpers."""

from django.db import models

from .models import AuditEvent, AuditSubject


def client_ip(request) -> str | None:
    # Behind a proxy the deployment sets REMOTE_ADDR correctly (gunicorn
    # --forwarded-allow-ips); we never trust a client-sent header here.
    if request is None:
        return None
    if hasattr(request, "META"):
        return request.META.get("REMOTE_ADDR")
    return getattr(request, "ip", None)  # an Actor or a Scope's actor


def _acting_user(request):
    if request is None:
        return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _people_of(obj) -> list[int]:
    """The person a record is about, when it is about one (without a query)."""
    from socialplan.registry.models import Person

    if isinstance(obj, Person):
        return [obj.pk]
    person_id = getattr(obj, "person_id", None)
    return [person_id] if person_id else []


def record(
    request,
    action: str,
    obj: models.Model | None = None,
    *,
    summary: str = "",
    changes=None,
    user=None,
    people=(),
):
    """One audit row. `request` may be a request, an Actor, a Scope or None.

    `people`: the ids of the people the action showed or touched (a list
    page's rows, an export's lines); the person an object is about is added.
    """
    if hasattr(request, "actor"):  # a Scope
        request = request.actor
    event = AuditEvent.objects.create(
        user=user or _acting_user(request),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        changes=changes or {},
        ip=client_ip(request),
    )
    ids = sorted(set(_people_of(obj)) | {int(p) for p in people if p})
    if ids:
        AuditSubject.objects.bulk_create(AuditSubject(event=event, person_id=p) for p in ids)
    return event


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
