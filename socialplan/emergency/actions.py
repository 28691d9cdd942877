"""Activating an event, working its checklist, recording the response."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialplan.accounts.audit import record

from .models import Event, EventStep, Protocol, Response, ShelterStay


@transaction.atomic
def activate(
    *, request, by, municipality, kind, title, units, coordinator, started_at=None
) -> Event:
    """Open an event on the current protocol: its steps become the checklist, with due times."""
    protocol = Protocol.objects.filter(municipality=municipality, current=True).first()
    if protocol is None:
        raise ValidationError(
            _("The municipality has no current emergency protocol: add one first.")
        )
    started_at = started_at or timezone.now()
    event = Event.objects.create(
        municipality=municipality,
        kind=kind,
        title=title,
        started_at=started_at,
        coordinator=coordinator,
        protocol=protocol,
        created_by=by,
    )
    event.units.set(units)
    EventStep.objects.bulk_create(
        EventStep(
            event=event,
            position=step.position,
            title=step.title,
            responsible=step.responsible,
            due_at=started_at + datetime.timedelta(hours=step.due_after_hours),
        )
        for step in protocol.steps.all()
    )
    record(request, "create", event, user=by, summary=f"emergency activated: {kind}")
    return event


@transaction.atomic
def complete_step(*, request, by, step: EventStep) -> None:
    if step.done_at is None:
        step.done_at = timezone.now()
        step.done_by = by
        step.save(update_fields=["done_at", "done_by"])
        record(request, "change", step.event, user=by, summary=f"step {step.position} done")


@transaction.atomic
def record_response(*, request, by, event, person, kind, needs_found="", referral=None) -> Response:
    if event.status != Event.Status.ACTIVE:
        raise ValidationError(_("The event is closed."))
    response = Response.objects.create(
        event=event, person=person, kind=kind, by=by, needs_found=needs_found, referral=referral
    )
    record(request, "create", response, user=by, summary=f"{kind} person {person.pk}")
    return response


@transaction.atomic
def admit_to_shelter(*, request, by, event, person, service=None) -> ShelterStay:
    if ShelterStay.objects.filter(event=event, person=person, left_at__isnull=True).exists():
        raise ValidationError(_("This person is already in the shelter."))
    stay = ShelterStay.objects.create(event=event, person=person, service=service, recorded_by=by)
    Response.objects.create(event=event, person=person, kind=Response.Kind.SHELTERED, by=by)
    record(request, "create", stay, user=by, summary=f"sheltered person {person.pk}")
    return stay


@transaction.atomic
def leave_shelter(*, request, by, stay: ShelterStay) -> None:
    if stay.left_at is None:
        stay.left_at = timezone.now()
        stay.save(update_fields=["left_at"])
        record(request, "change", stay, user=by, summary="left the shelter")


@transaction.atomic
def close_event(*, request, by, event, what_happened: str, gaps: str) -> None:
    event.status = Event.Status.CLOSED
    event.ended_at = event.ended_at or timezone.now()
    event.what_happened = what_happened
    event.gaps = gaps
    event.save(update_fields=["status", "ended_at", "what_happened", "gaps"])
    record(request, "change", event, user=by, summary="emergency closed")
