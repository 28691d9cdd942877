from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
from socialplan.directory.models import Service, ServiceType

from . import actions
from .access import check_unit, get_event_for_user, list_units, may_activate, may_see_board
from .board import coverage_board
from .exports import list_pdf, list_xlsx
from .forms import ActivateForm, CloseForm, ExerciseForm, ResponseForm
from .lists import build_list
from .models import Event, EventStep, Exercise, Protocol, Response, ShelterStay


def _municipality(user):
    membership = next(iter(memberships(user)), None)
    if membership is None:
        raise PermissionDenied
    return membership.municipality


@login_required
def events(request):
    municipality = _municipality(request.user)
    visible = [
        e
        for e in Event.objects.filter(municipality=municipality).prefetch_related("units")
        if may_see_board(request.user, e) or list_units(request.user, e)
    ]
    protocol = (
        Protocol.objects.filter(municipality=municipality, current=True)
        .prefetch_related("steps", "contacts")
        .first()
    )
    return render(
        request,
        "emergency/events.html",
        {
            "events": visible,
            "protocol": protocol,
            "can_activate": may_activate(request.user, municipality.pk),
        },
    )


@login_required
def activate(request):
    municipality = _municipality(request.user)
    if not may_activate(request.user, municipality.pk):
        raise PermissionDenied
    form = ActivateForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.activate(
                request=request, by=request.user, municipality=municipality, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(event)
    return render(
        request,
        "emergency/form.html",
        {"form": form, "title": _("Activate the emergency protocol")},
    )


@login_required
def event_detail(request, pk):
    event = get_event_for_user(request.user, pk)
    board = coverage_board(event) if may_see_board(request.user, event) else None
    return render(
        request,
        "emergency/event.html",
        {
            "event": event,
            "steps": event.steps.select_related("done_by"),
            "board": board,
            "my_units": list_units(request.user, event),
            "can_manage": may_activate(request.user, event.municipality_id)
            or event.coordinator_id == request.user.pk,
            "stays": event.shelter_stays.select_related("service")
            if list_units(request.user, event)
            else [],
            "close_form": CloseForm(
                initial={"what_happened": event.what_happened, "gaps": event.gaps}
            ),
        },
    )


@login_required
@require_POST
def step_done(request, pk, step_pk):
    event = get_event_for_user(request.user, pk, manage=True)
    step = get_object_or_404(EventStep, pk=step_pk, event=event)
    actions.complete_step(request=request, by=request.user, step=step)
    return redirect(event)


def _unit_list(request, pk, unit_pk):
    event = get_event_for_user(request.user, pk)
    unit = get_object_or_404(event.units.all(), pk=unit_pk)
    check_unit(request.user, event, unit)
    return event, unit, build_list(event, unit)


@login_required
def unit_list(request, pk, unit_pk):
    event, unit, rows = _unit_list(request, pk, unit_pk)
    record(
        request,
        "list",
        event,
        summary=f"emergency list of unit {unit.pk}: {len(rows)} people",
        people=[r.person.pk for r in rows],
    )
    done = {}
    for person_id, kind in Response.objects.filter(
        event=event, person_id__in=[r.person.pk for r in rows]
    ).values_list("person_id", "kind"):
        done.setdefault(person_id, set()).add(kind)
    shelters = Service.objects.filter(municipality=event.municipality, type=ServiceType.EMERGENCY)
    return render(
        request,
        "emergency/list.html",
        {
            "event": event,
            "unit": unit,
            "rows": [(r, sorted(done.get(r.person.pk, []))) for r in rows],
            "kinds": Response.Kind.choices,
            "shelters": shelters,
            "active": event.status == Event.Status.ACTIVE,
        },
    )


@login_required
def unit_list_export(request, pk, unit_pk, fmt):
    event, unit, rows = _unit_list(request, pk, unit_pk)
    if fmt == "pdf":
        content, kind = list_pdf(event, unit, rows), "application/pdf"
    elif fmt == "xlsx":
        content = list_xlsx(event, unit, rows)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    record(
        request,
        "export",
        event,
        summary=f"emergency list of unit {unit.pk} as {fmt}: {len(rows)} people",
        people=[r.person.pk for r in rows],
    )
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = (
        f'attachment; filename="emergency-{event.pk}-{unit.code}.{fmt}"'
    )
    return response


@login_required
@require_POST
def respond(request, pk, unit_pk):
    event, unit, rows = _unit_list(request, pk, unit_pk)
    form = ResponseForm(request.POST)
    listed = {r.person.pk: r.person for r in rows}
    if not form.is_valid() or form.cleaned_data["person"] not in listed:
        messages.error(request, _("Choose what was done for a person on this list."))
        return redirect("emergency:list", pk=event.pk, unit_pk=unit.pk)
    person = listed[form.cleaned_data["person"]]
    try:
        if form.cleaned_data["kind"] == Response.Kind.SHELTERED:
            shelter = Service.objects.filter(
                pk=request.POST.get("shelter"), type=ServiceType.EMERGENCY
            ).first()
            actions.admit_to_shelter(
                request=request, by=request.user, event=event, person=person, service=shelter
            )
        else:
            actions.record_response(
                request=request,
                by=request.user,
                event=event,
                person=person,
                kind=form.cleaned_data["kind"],
                needs_found=form.cleaned_data["needs_found"],
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("emergency:list", pk=event.pk, unit_pk=unit.pk)


@login_required
@require_POST
def shelter_leave(request, pk, stay_pk):
    event = get_event_for_user(request.user, pk)
    stay = get_object_or_404(ShelterStay, pk=stay_pk, event=event)
    check_unit(request.user, event, stay.person.unit)
    actions.leave_shelter(request=request, by=request.user, stay=stay)
    return redirect(event)


@login_required
@require_POST
def close(request, pk):
    event = get_event_for_user(request.user, pk, manage=True)
    form = CloseForm(request.POST)
    if form.is_valid():
        actions.close_event(request=request, by=request.user, event=event, **form.cleaned_data)
        messages.success(request, _("The event is closed; its report is below."))
    else:
        messages.error(request, _("Say what happened before closing the event."))
    return redirect(event)


@login_required
def exercises(request):
    municipality = _municipality(request.user)
    if not may_activate(request.user, municipality.pk):
        raise PermissionDenied
    form = ExerciseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        exercise = form.save(commit=False)
        exercise.municipality = municipality
        exercise.participants = form.cleaned_data["participants_text"]
        exercise.recorded_by = request.user
        exercise.protocol = Protocol.objects.filter(municipality=municipality, current=True).first()
        exercise.save()
        record(request, "create", exercise)
        return redirect("emergency:exercises")
    rows = Exercise.objects.filter(municipality=municipality)
    return render(request, "emergency/exercises.html", {"form": form, "exercises": rows})
