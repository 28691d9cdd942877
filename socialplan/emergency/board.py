"""The live coverage board: of the people listed in each unit, how many were reached and helped."""

from dataclasses import dataclass

from .lists import build_lists
from .models import Response


@dataclass
class UnitCoverage:
    unit: object
    listed: int
    contacted: int
    assisted: int

    @property
    def contacted_share(self) -> float | None:
        return self.contacted / self.listed if self.listed else None

    @property
    def assisted_share(self) -> float | None:
        return self.assisted / self.listed if self.listed else None


@dataclass
class Board:
    units: list[UnitCoverage]
    helped_not_listed: int  # people helped who were on no list (found in the field)

    @property
    def listed(self) -> int:
        return sum(u.listed for u in self.units)

    @property
    def contacted(self) -> int:
        return sum(u.contacted for u in self.units)

    @property
    def assisted(self) -> int:
        return sum(u.assisted for u in self.units)


def coverage_board(event) -> Board:
    responses = list(Response.objects.filter(event=event).values_list("person_id", "kind"))
    reached = {pid for pid, kind in responses if kind in Response.REACHED_KINDS}
    assisted = {pid for pid, kind in responses if kind in Response.ASSISTED_KINDS}
    rows, listed_ids = [], set()
    units = list(event.units.all())
    # One pass over all affected units: the queries do not grow with their number.
    lists = build_lists(event, units)
    for unit in units:
        ids = {row.person.pk for row in lists[unit.pk]}
        listed_ids |= ids
        rows.append(UnitCoverage(unit, len(ids), len(ids & reached), len(ids & assisted)))
    return Board(rows, len((reached | assisted) - listed_ids))
