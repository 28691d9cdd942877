"""Load a plan data file (docs/plan-format.md) into the database.

All or nothing: the file is validated whole before anything is written,
and the writing runs in one transaction. Loading is idempotent: rows are
matched by their natural keys (priority number, objective code, measure
number, place in the measure) and updated in place, so ids survive a
reload and an unchanged file writes nothing at all.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from socialplan.datafile import DataFileError, read_yaml, validate
from socialplan.territory.models import Municipality

from .models import Activity, BudgetLine, DeclaredTotal, Measure, Objective, Plan, Priority, Target
from .schema import PlanFile
from .targets import split_indicator


@dataclass
class LoadResult:
    plan: Plan
    changed: bool


def load_plan_file(path: Path | str) -> LoadResult:
    path = Path(path)
    raw = path.read_bytes() if path.exists() else None
    data = read_yaml(path)
    parsed: PlanFile = validate(path, data, PlanFile)
    digest = hashlib.sha256(raw).hexdigest()
    existing = Plan.objects.filter(slug=parsed.plan.slug).first()
    if existing and existing.loaded_hash == digest:
        return LoadResult(existing, changed=False)
    plan = write_plan(parsed, digest)
    return LoadResult(plan, changed=True)


def write_plan(parsed: PlanFile, digest: str = "") -> Plan:
    """Write a validated plan (from a data file or an imported workbook), all or nothing."""
    with transaction.atomic():
        return _write(parsed, digest)


def _sync(model, parent_filter: dict, key: str, rows: list[dict]):
    """Update or create `rows` (dicts with `key`) under a parent; delete the rest."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**parent_filter)}
    kept = []
    for values in rows:
        obj = existing.pop(values[key], None)
        if obj is None:
            obj = model.objects.create(**parent_filter, **values)
        else:
            dirty = [f for f, v in values.items() if getattr(obj, f) != v]
            if dirty:
                for field in dirty:
                    setattr(obj, field, values[field])
                obj.save(update_fields=dirty)
        kept.append(obj)
    if existing:
        model.objects.filter(pk__in=[o.pk for o in existing.values()]).delete()
    return kept


def _text(value) -> str:
    return value or ""


def _write(parsed: PlanFile, digest: str) -> Plan:
    municipality, _ = Municipality.objects.get_or_create(
        code=parsed.municipality.code, defaults={"name": parsed.municipality.name}
    )
    header = parsed.plan
    plan, _ = Plan.objects.update_or_create(
        slug=header.slug,
        defaults={
            "municipality": municipality,
            "title": header.title,
            "period_start": header.period_start,
            "period_end": header.period_end,
            "source_document": header.source,
            "vision": header.vision.text if header.vision else "",
            "mission": header.mission.text if header.mission else "",
            "general_goal": header.general_goal.text if header.general_goal else "",
            "source_lines": {
                name: getattr(header, name).line
                for name in ("vision", "mission", "general_goal")
                if getattr(header, name) is not None
            },
            "loaded_hash": digest,
        },
    )
    priorities = _sync(
        Priority,
        {"plan": plan},
        "number",
        [{"number": p.number, "title": p.title, "line": p.line} for p in parsed.priorities],
    )
    objectives_by_code = {}
    for priority, p_in in zip(priorities, parsed.priorities, strict=True):
        objectives = _sync(
            Objective,
            {"priority": priority},
            "code",
            [
                {
                    "code": o.code,
                    "printed_code": _text(o.printed_code),
                    "title": o.title,
                    "line": o.line,
                    "position": i,
                }
                for i, o in enumerate(p_in.objectives)
            ],
        )
        for objective, o_in in zip(objectives, p_in.objectives, strict=True):
            objectives_by_code[o_in.code] = objective
            measures = _sync(
                Measure,
                {"objective": objective},
                "number",
                [{"number": m.number, "title": m.title, "line": m.line} for m in o_in.measures],
            )
            for measure, m_in in zip(measures, o_in.measures, strict=True):
                _write_activities(measure, m_in.activities)
    _sync(
        DeclaredTotal,
        {"plan": plan},
        "position",
        [
            {
                "position": i,
                "priority": next((p for p in priorities if p.number == t.priority), None),
                "objective": objectives_by_code.get(t.objective) if t.objective else None,
                "where": t.where,
                "group": t.group,
                "printed": t.printed,
                "amount": t.amount,
                "line": t.line,
                "label": t.label,
            }
            for i, t in enumerate(parsed.declared_totals)
        ],
    )
    return plan


def _write_activities(measure: Measure, activities_in) -> None:
    rows = [
        {
            "position": i,
            "code": a.code,
            "title": a.title,
            "indicator": _text(a.indicator),
            "start_year": a.start_year,
            "end_year": a.end_year,
            "lead": _text(a.lead),
            "contributor": _text(a.contributor),
            "notes": _text(a.notes),
            "line": a.line,
        }
        for i, a in enumerate(activities_in)
    ]
    activities = _sync(Activity, {"measure": measure}, "position", rows)
    by_code = {}
    for activity, a_in in zip(activities, activities_in, strict=True):
        parent = by_code.get(a_in.parent) if a_in.parent else None
        if activity.parent_id != (parent.pk if parent else None):
            activity.parent = parent
            activity.save(update_fields=["parent"])
        if a_in.code:
            by_code[a_in.code] = activity
        targets = a_in.targets
        if targets is None:
            # No reviewed split in the file: split the printed text ourselves.
            targets = split_indicator(a_in.indicator or "")
        _sync(
            Target,
            {"activity": activity},
            "position",
            [
                {
                    "position": i,
                    "text": t.text,
                    "parsed": t.parsed,
                    "value": t.value,
                    "unit": t.unit,
                    "per": t.per or "",
                    "years": t.years or [],
                }
                for i, t in enumerate(targets)
            ],
        )
        _sync(
            BudgetLine,
            {"activity": activity},
            "position",
            [
                {
                    "position": i,
                    "printed": b.printed,
                    "amount": b.amount,
                    "per_year": b.per_year,
                    "source": b.source,
                    "funder": _text(b.funder),
                    "interpretation": _text(b.interpretation),
                    "line": b.line,
                }
                for i, b in enumerate(a_in.budget)
            ],
        )


__all__ = ["DataFileError", "LoadResult", "load_plan_file", "write_plan"]
