"""Who works an emergency: the lists name people at risk, so only the roles that need them.

- The director, the NJVRN, the child protection worker, the domestic violence
  coordinator and the event's coordinator: every affected unit.
- A unit's social administrator: the list of their own unit.
Providers, planners, national viewers and auditors see counts (the board), no list.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from socialplan.accounts.access import memberships
from socialplan.accounts.models import Membership

Role = Membership.Role
COORDINATING = {Role.DIRECTOR, Role.NJVRN, Role.CHILD_PROTECTION, Role.DV_COORDINATOR}
# Who may activate an event and edit its checklist and report.
ACTIVATING = {Role.DIRECTOR, Role.NJVRN}
# Who may see the coverage board (counts only).
BOARD = COORDINATING | {Role.UNIT_ADMIN, Role.PLANNER}


def _roles(user, municipality_id) -> set:
    return {m.role for m in memberships(user) if m.municipality_id == municipality_id}


def may_activate(user, municipality_id) -> bool:
    return user.is_superuser or bool(_roles(user, municipality_id) & ACTIVATING)


def list_units(user, event) -> list:
    """The affected units whose list this user may open."""
    affected = list(event.units.all())
    if user.is_superuser or event.coordinator_id == user.pk:
        return affected
    if _roles(user, event.municipality_id) & COORDINATING:
        return affected
    own = {m.unit_id for m in memberships(user) if m.role == Role.UNIT_ADMIN}
    return [u for u in affected if u.pk in own]


def may_see_board(user, event) -> bool:
    return (
        user.is_superuser
        or event.coordinator_id == user.pk
        or bool(_roles(user, event.municipality_id) & BOARD)
    )


def get_event_for_user(user, pk, *, manage=False):
    from .models import Event

    event = (
        Event.objects.select_related("municipality", "coordinator", "protocol")
        .filter(pk=pk)
        .first()
    )
    if event is None or not (may_see_board(user, event) or list_units(user, event)):
        raise Http404
    if manage and not (
        may_activate(user, event.municipality_id) or event.coordinator_id == user.pk
    ):
        raise PermissionDenied
    return event


def check_unit(user, event, unit) -> None:
    if unit not in list_units(user, event):
        raise PermissionDenied
