"""Social emergencies: events, their checklist and coverage board, the lists of people at risk.

Bearer tokens only, and the rules of the pages (emergency/access.py): the
board (counts) for the coordinating roles, unit administrators and planners;
a unit's list of people only to whom list_units gives it, and every list read
is audited. An event the user may not see at all is 404, a unit's list they
may not open 403.
"""

import datetime

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
from socialplan.emergency.access import check_unit, get_event_for_user, list_units, may_see_board
from socialplan.emergency.board import coverage_board
from socialplan.emergency.lists import build_list
from socialplan.emergency.models import Event, EventStep, Response
from socialplan.territory.models import AdministrativeUnit

from .auth import token_auth
from .schemas import MAX_ID, RECORD_ERRORS, TOKEN_ERRORS, PageParams, choice

router = Router(tags=["emergencies"], auth=token_auth)


def _id():
    return Path(..., ge=1, le=MAX_ID)


class EventUnitOut(Schema):
    id: int
    code: str
    name: str


class EventSummaryOut(Schema):
    id: int
    municipality: str = Field(description="The municipality's code.")
    kind: choice(Event.Kind)
    title: str
    status: choice(Event.Status)
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    units: list[EventUnitOut] = Field(description="The units affected.")
    list_units: list[int] = Field(description="Ids of the units whose list this user may open.")
    board: bool = Field(description="Whether this user sees the coverage board.")


class EventPage(Schema):
    count: int
    items: list[EventSummaryOut]


class StepOut(Schema):
    position: int
    title: str
    responsible: str
    due_at: datetime.datetime
    done_at: datetime.datetime | None
    late: bool


class UnitCoverageOut(Schema):
    unit: EventUnitOut
    listed: int
    contacted: int
    assisted: int


class BoardOut(Schema):
    units: list[UnitCoverageOut]
    listed: int
    contacted: int
    assisted: int
    helped_not_listed: int = Field(description="People helped who were on no list.")


class EventOut(EventSummaryOut):
    protocol_title: str
    protocol_version: int
    steps: list[StepOut]
    coverage: BoardOut | None = Field(description="Counts only; None for who sees no board.")
    what_happened: str
    gaps: str


class ListedPersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    address: str
    phone: str
    reasons: list[str] = Field(description="The criteria that put the person on the list.")
    needs: list[str] = Field(description="Assessed needs at a serious level or more.")
    done: list[choice(Response.Kind)] = Field(description="What the teams did in this event.")


class UnitListOut(Schema):
    event: int
    unit: EventUnitOut
    count: int
    items: list[ListedPersonOut]


def _summary(user, event: Event) -> dict:
    mine = {u.pk for u in list_units(user, event)}
    return {
        "id": event.pk,
        "municipality": event.municipality.code,
        "kind": event.kind,
        "title": event.title,
        "status": event.status,
        "started_at": event.started_at,
        "ended_at": event.ended_at,
        "units": list(event.units.all()),
        "list_units": sorted(mine),
        "board": may_see_board(user, event),
    }


@router.get(
    "",
    response={200: EventPage, **TOKEN_ERRORS},
    summary="Emergency events this user may see",
    description="The events whose board or one of whose lists this user may open.",
)
def list_emergencies(request, params: Query[PageParams]):
    user = request.user
    events = Event.objects.select_related("municipality").prefetch_related(
        Prefetch("units", queryset=AdministrativeUnit.objects.order_by("position", "pk"))
    )
    if not user.is_superuser:
        events = events.filter(municipality_id__in={m.municipality_id for m in memberships(user)})
    visible = [
        e
        for e in events.order_by("-started_at", "-pk")
        if may_see_board(user, e) or list_units(user, e)
    ]
    rows = visible[params.offset : params.offset + params.limit]
    return {"count": len(visible), "items": [_summary(user, e) for e in rows]}


@router.get(
    "/{id}",
    response={200: EventOut, **RECORD_ERRORS},
    summary="An emergency event: its checklist and coverage board",
)
def get_emergency(request, id: int = _id()):
    user = request.user
    event = get_event_for_user(user, id)
    board = coverage_board(event) if may_see_board(user, event) else None
    steps = EventStep.objects.filter(event=event).order_by("position", "pk")
    return {
        **_summary(user, event),
        "protocol_title": event.protocol.title,
        "protocol_version": event.protocol.version,
        "steps": [
            {
                "position": s.position,
                "title": s.title,
                "responsible": s.responsible,
                "due_at": s.due_at,
                "done_at": s.done_at,
                "late": s.late,
            }
            for s in steps
        ],
        "coverage": None
        if board is None
        else {
            "units": [
                {
                    "unit": u.unit,
                    "listed": u.listed,
                    "contacted": u.contacted,
                    "assisted": u.assisted,
                }
                for u in board.units
            ],
            "listed": board.listed,
            "contacted": board.contacted,
            "assisted": board.assisted,
            "helped_not_listed": board.helped_not_listed,
        },
        "what_happened": event.what_happened,
        "gaps": event.gaps,
    }


@router.get(
    "/{id}/units/{unit_id}/list",
    response={200: UnitListOut, **RECORD_ERRORS},
    summary="The list of people at risk in one affected unit",
    description="Only for the units whose list this user may open (403 otherwise); audited.",
)
def get_emergency_list(request, id: int = _id(), unit_id: int = _id()):
    user = request.user
    event = get_event_for_user(user, id)
    unit = get_object_or_404(event.units.all(), pk=unit_id)
    check_unit(user, event, unit)
    rows = build_list(event, unit)
    record(
        request,
        "list",
        event,
        summary=f"API emergency list of unit {unit.pk}: {len(rows)}",
        people=[r.person.pk for r in rows],
    )
    done: dict[int, set] = {}
    for person_id, kind in Response.objects.filter(
        event=event, person_id__in=[r.person.pk for r in rows]
    ).values_list("person_id", "kind"):
        done.setdefault(person_id, set()).add(kind)
    return {
        "event": event.pk,
        "unit": unit,
        "count": len(rows),
        "items": [
            {
                "id": r.person.pk,
                "first_name": r.person.first_name,
                "last_name": r.person.last_name,
                "date_of_birth": r.person.date_of_birth,
                "address": r.address,
                "phone": r.person.phone,
                "reasons": r.reasons,
                "needs": r.needs,
                "done": sorted(done.get(r.person.pk, [])),
            }
            for r in rows
        ],
    }
