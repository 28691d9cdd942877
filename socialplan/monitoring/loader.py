"""Load a monitoring frame file (docs/monitoring-format.md)."""

from pathlib import Path
from typing import Literal

from django.db import transaction
from pydantic import Field

from socialplan.datafile import DataFileError, Strict, read_yaml, replace_rows_if_changed, validate
from socialplan.plan.models import Objective, Plan, Target

from .models import FrameRow, IndicatorLink


class FrameIn(Strict):
    objective: str
    performance_indicator: str = Field(min_length=1)
    performance_target: str = ""
    monitoring_indicator: str = ""
    monitoring_target: str = ""
    data_source: str = ""
    line: int | None = None
    example: bool = False


class LinkIn(Strict):
    objective: str
    measure: int
    activity_position: int
    target_position: int
    metric: Literal[tuple(IndicatorLink.Metric.values)]  # type: ignore[valid-type]
    category: str = ""
    unit: str = ""
    why: str = ""


class MonitoringFile(Strict):
    format: Literal["psv-monitoring/1"]
    plan: str
    frame: list[FrameIn] = []
    links: list[LinkIn] = []


def load_monitoring_file(path: Path | str) -> Plan:
    path = Path(path)
    parsed: MonitoringFile = validate(path, read_yaml(path), MonitoringFile)
    plan = Plan.objects.filter(slug=parsed.plan).first()
    if plan is None:
        raise DataFileError(f"{path}: plan {parsed.plan!r} is not loaded")
    objectives = {o.code: o for o in Objective.objects.filter(priority__plan=plan)}
    rows = []
    for i, row in enumerate(parsed.frame):
        if row.objective not in objectives:
            raise DataFileError(
                f"{path}: entry frame[{i}], field 'objective': no objective {row.objective!r}"
            )
        rows.append(
            FrameRow(position=i, **{**row.model_dump(), "objective": objectives[row.objective]})
        )
    links = []
    for i, link in enumerate(parsed.links):
        target = Target.objects.filter(
            activity__measure__objective=objectives.get(link.objective),
            activity__measure__number=link.measure,
            activity__position=link.activity_position,
            position=link.target_position,
        ).first()
        if target is None:
            raise DataFileError(f"{path}: entry links[{i}]: no such target in plan {plan.slug}")
        unit = plan.municipality.units.filter(code=link.unit).first() if link.unit else None
        links.append((target, link, unit))
    with transaction.atomic():
        replace_rows_if_changed(
            FrameRow.objects.filter(objective__priority__plan=plan), rows, FrameRow
        )
        for target, link, unit in links:
            IndicatorLink.objects.update_or_create(
                target=target,
                defaults={"metric": link.metric, "category_code": link.category, "unit": unit},
            )
    return plan
