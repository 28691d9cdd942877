"""The plan data file format (psv-plan/1), as a schema. See docs/plan-format.md."""

import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from socialplan.datafile import Strict

from .models import DeclaredTotal, FundingSource, Target

Year = int  # validated against a plausible range below


def _check_year(value):
    if value is not None and not 1990 <= value <= 2100:
        raise ValueError(f"{value} is not a plausible year")
    return value


class SourcedText(Strict):
    text: str
    line: int | None = None


class TargetIn(Strict):
    text: str = Field(min_length=1)
    parsed: bool = True
    value: Decimal | None = None
    unit: str = ""
    per: Literal["year", "period"] | None = None
    years: list[int] | None = None

    @model_validator(mode="after")
    def value_when_parsed(self):
        if self.parsed and self.value is None:
            raise ValueError("a measurable target needs a value (or parsed: false)")
        if self.parsed and self.per is None:
            raise ValueError("a measurable target needs per: year or per: period")
        return self


class BudgetLineIn(Strict):
    # A blank budget cell is recorded as printed "" with amount null (unknown).
    printed: str = ""
    amount: int | None = Field(default=None, ge=0)
    per_year: bool = False
    source: Literal[tuple(FundingSource.values)]  # type: ignore[valid-type]
    funder: str | None = None
    line: int | None = None
    interpretation: str | None = None

    @model_validator(mode="after")
    def printed_when_amount(self):
        if self.amount is not None and not self.printed:
            raise ValueError("an amount needs the printed text it was read from")
        return self


class ActivityIn(Strict):
    code: str = ""
    parent: str | None = None
    title: str = ""
    line: int | None = None
    indicator: str | None = None
    targets: list[TargetIn] | None = None
    start_year: int | None = None
    end_year: int | None = None
    lead: str | None = None
    contributor: str | None = None
    budget: list[BudgetLineIn] = []
    notes: str | None = None

    _years = field_validator("start_year", "end_year")(_check_year)


class MeasureIn(Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    line: int | None = None
    activities: list[ActivityIn] = []

    @model_validator(mode="after")
    def parents_listed_before(self):
        seen = set()
        for activity in self.activities:
            if activity.parent and activity.parent not in seen:
                raise ValueError(
                    f"activity {activity.code or activity.title!r} "
                    f"names parent {activity.parent!r}, "
                    f"which is not an activity listed before it in measure {self.number}"
                )
            if activity.code:
                seen.add(activity.code)
        return self


class ObjectiveIn(Strict):
    code: str = Field(min_length=1)
    printed_code: str | None = None
    title: str = Field(min_length=1)
    line: int | None = None
    measures: list[MeasureIn] = []

    @model_validator(mode="after")
    def unique_measures(self):
        numbers = [m.number for m in self.measures]
        if len(numbers) != len(set(numbers)):
            raise ValueError(f"measure numbers repeat in objective {self.code}: {numbers}")
        return self


class PriorityIn(Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    line: int | None = None
    objectives: list[ObjectiveIn] = []


class DeclaredTotalIn(Strict):
    priority: int | None = None
    objective: str | None = None
    where: Literal[tuple(DeclaredTotal.Where.values)]  # type: ignore[valid-type]
    group: Literal[tuple(DeclaredTotal.Group.values)]  # type: ignore[valid-type]
    printed: str = Field(min_length=1)
    amount: int = Field(ge=0)
    line: int | None = None
    label: str = ""


class MunicipalityIn(Strict):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1)


class PlanHeaderIn(Strict):
    slug: str = Field(pattern=r"^[a-z0-9-]+$", max_length=60)
    title: str = Field(min_length=1)
    period_start: datetime.date
    period_end: datetime.date
    source: str = ""
    vision: SourcedText | None = None
    mission: SourcedText | None = None
    general_goal: SourcedText | None = None


class PlanFile(Strict):
    format: Literal["psv-plan/1"]
    municipality: MunicipalityIn
    plan: PlanHeaderIn
    priorities: list[PriorityIn] = Field(min_length=1)
    declared_totals: list[DeclaredTotalIn] = []

    @model_validator(mode="after")
    def references_resolve(self):
        numbers = [p.number for p in self.priorities]
        if len(numbers) != len(set(numbers)):
            raise ValueError(f"priority numbers repeat: {numbers}")
        codes = [o.code for p in self.priorities for o in p.objectives]
        if len(codes) != len(set(codes)):
            raise ValueError(f"objective codes repeat: {codes}")
        objectives = {o.code: p.number for p in self.priorities for o in p.objectives}
        for i, total in enumerate(self.declared_totals):
            if total.priority is not None and total.priority not in numbers:
                raise ValueError(
                    f"declared_totals[{i}] names priority {total.priority}, not in the file"
                )
            if total.objective is not None and objectives.get(total.objective) != total.priority:
                raise ValueError(
                    f"declared_totals[{i}] names objective {total.objective!r}, "
                    f"which is not an objective of priority {total.priority}"
                )
        if self.plan.period_end < self.plan.period_start:
            raise ValueError("plan.period_end is before plan.period_start")
        return self


TARGET_PER = {"year": Target.Per.YEAR, "period": Target.Per.PERIOD}
