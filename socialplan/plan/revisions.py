"""Revisions of an adopted plan, and what changed between two versions.

A revision is a whole new Plan: the tree of the version it revises is
copied row by row (printed texts and source lines included), so the adopted
baseline stays readable as it was adopted, and progress reported on a
version keeps pointing at that version's activities. The copy is then
edited in the Django admin.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialplan.accounts.audit import record

from .models import (
    Activity,
    BudgetLine,
    DeclaredTotal,
    FundingSource,
    Measure,
    Objective,
    Plan,
    Priority,
    Target,
)
from .reconciliation import Amounts
from .reports import amounts_of

# ---------------------------------------------------------------- versions


def baseline_of(plan: Plan) -> Plan:
    """The adopted plan a version descends from (itself for the baseline)."""
    while plan.revision_of_id is not None:
        plan = Plan.objects.select_related("municipality").get(pk=plan.revision_of_id)
    return plan


def versions_of(plan: Plan) -> list[Plan]:
    """The baseline and every revision descending from it, by version number.

    One query per generation of revisions: a plan is revised a handful of
    times in its life.
    """
    baseline = baseline_of(plan)
    family = [baseline]
    frontier = [baseline.pk]
    while frontier:
        children = list(
            Plan.objects.filter(revision_of__in=frontier).select_related(
                "revision_of", "revised_by"
            )
        )
        family.extend(children)
        frontier = [c.pk for c in children]
    return sorted(family, key=lambda p: p.revision_number)


def _clone(obj, **changes):
    """An unsaved copy of `obj` with every concrete field but the key, then `changes`."""
    values = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }
    values.update(changes)
    return type(obj)(**values)


@transaction.atomic
def create_revision(*, request, plan: Plan, by, reason: str, council_decision: str) -> Plan:
    """Copy `plan` and its whole tree into a new version; `plan` is left as it is."""
    # Lock the baseline: two revisions made at once must not take the same number.
    baseline = Plan.objects.select_for_update().get(pk=baseline_of(plan).pk)
    number = max(p.revision_number for p in versions_of(baseline)) + 1
    revision = _clone(
        plan,
        slug=f"{baseline.slug}-r{number}",
        revision_of_id=plan.pk,
        revision_number=number,
        revision_reason=reason,
        council_decision=council_decision,
        revised_at=timezone.now(),
        revised_by_id=by.pk,
        # Not loaded from a data file: a reload of the file updates the baseline only.
        loaded_hash="",
    )
    revision.save()

    copy_tree(plan, revision)
    record(
        request,
        "create",
        revision,
        user=by,
        summary=f"revision {number} of {plan.slug}: {council_decision}",
        changes={"revision_of": [None, plan.slug], "council_decision": [None, council_decision]},
    )
    return revision


def copy_tree(source: Plan, target: Plan) -> None:
    """Copy every priority, objective, measure, activity, target, budget line and
    declared total of `source` under the saved plan `target`."""
    old = list(Priority.objects.filter(plan=source))
    new = Priority.objects.bulk_create(_clone(p, plan_id=target.pk) for p in old)
    priorities = {o.pk: n for o, n in zip(old, new, strict=True)}

    old = list(Objective.objects.filter(priority__plan=source))
    new = Objective.objects.bulk_create(
        _clone(o, priority_id=priorities[o.priority_id].pk) for o in old
    )
    objectives = {o.pk: n for o, n in zip(old, new, strict=True)}

    old = list(Measure.objects.filter(objective__priority__plan=source))
    new = Measure.objects.bulk_create(
        _clone(m, objective_id=objectives[m.objective_id].pk) for m in old
    )
    measures = {o.pk: n for o, n in zip(old, new, strict=True)}

    # Activities first without their parents, then the parent links between the copies.
    old = list(Activity.objects.filter(measure__objective__priority__plan=source))
    new = Activity.objects.bulk_create(
        _clone(a, measure_id=measures[a.measure_id].pk, parent_id=None) for a in old
    )
    activities = {o.pk: n for o, n in zip(old, new, strict=True)}
    children = []
    for activity in old:
        if activity.parent_id is not None:
            copy = activities[activity.pk]
            copy.parent_id = activities[activity.parent_id].pk
            children.append(copy)
    Activity.objects.bulk_update(children, ["parent"])

    Target.objects.bulk_create(
        _clone(t, activity_id=activities[t.activity_id].pk)
        for t in Target.objects.filter(activity__measure__objective__priority__plan=source)
    )
    BudgetLine.objects.bulk_create(
        _clone(b, activity_id=activities[b.activity_id].pk)
        for b in BudgetLine.objects.filter(activity__measure__objective__priority__plan=source)
    )
    DeclaredTotal.objects.bulk_create(
        _clone(
            t,
            plan_id=target.pk,
            priority_id=priorities[t.priority_id].pk if t.priority_id else None,
            objective_id=objectives[t.objective_id].pk if t.objective_id else None,
        )
        for t in DeclaredTotal.objects.filter(plan=source)
    )


# -------------------------------------------------------------------- diff

ACTIVITY_FIELDS = ["code", "title", "indicator", "years", "lead", "contributor"]
TARGET_FIELDS = ["value", "per", "unit"]
BUDGET_FIELDS = ["amount", "source", "per_year"]
FIELD_LABELS = {
    "code": _("code"),
    "title": _("title"),
    "indicator": _("indicator"),
    "years": _("years"),
    "lead": _("lead institution"),
    "contributor": _("contributing institution"),
    "value": _("value"),
    "per": _("per"),
    "unit": _("unit"),
    "amount": _("amount (lek)"),
    "source": _("funding source"),
    "per_year": _("per year"),
}


@dataclass
class FieldChange:
    name: str
    before: object
    after: object

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name)


@dataclass
class RowChange:
    """A target or a budget line at one position: added, removed, or with fields changed."""

    position: int
    before: Target | BudgetLine | None
    after: Target | BudgetLine | None
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


@dataclass
class ActivityChange:
    before: Activity
    after: Activity
    fields: list[FieldChange] = field(default_factory=list)
    targets: list[RowChange] = field(default_factory=list)
    budget: list[RowChange] = field(default_factory=list)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass
class SourceTotal:
    source: str
    label: str
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before


@dataclass
class PlanDiff:
    old: Plan
    new: Plan
    added: list[Activity]
    removed: list[Activity]
    changed: list[ActivityChange]
    amounts_before: Amounts
    amounts_after: Amounts

    @property
    def totals(self) -> list[SourceTotal]:
        """Budget by funding source before and after, for every source with money in either."""
        return [
            SourceTotal(
                code,
                label,
                self.amounts_before.by_source[code],
                self.amounts_after.by_source[code],
            )
            for code, label in FundingSource.choices
            if self.amounts_before.by_source[code] or self.amounts_after.by_source[code]
        ]

    @property
    def total_before(self) -> int:
        return self.amounts_before.total

    @property
    def total_after(self) -> int:
        return self.amounts_after.total

    @property
    def total_difference(self) -> int:
        return self.total_after - self.total_before

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed) and not self.total_difference


def _activities(plan: Plan) -> list[Activity]:
    return list(
        Activity.objects.filter(measure__objective__priority__plan=plan)
        .select_related("measure__objective__priority__plan")
        .prefetch_related("targets", "budget_lines")
        .order_by(
            "measure__objective__priority__number",
            "measure__objective__position",
            "measure__number",
            "position",
        )
    )


def _measure_key(activity: Activity) -> tuple:
    measure = activity.measure
    return (measure.objective.priority.number, measure.objective.code, measure.number)


def _match(old: list[Activity], new: list[Activity]):
    """Pair the activities of one measure: (pairs, removed, added).

    By position and code first; then by a code that is unique among those
    left on both sides (an activity inserted earlier shifts the positions
    after it); then by position alone (a code corrected in place).
    """
    pairs = []
    old_left, new_left = list(old), list(new)

    def take(key):
        nonlocal old_left, new_left
        new_by_key = defaultdict(list)
        for a in new_left:
            if key(a) is not None:
                new_by_key[key(a)].append(a)
        old_by_key = defaultdict(list)
        for a in old_left:
            if key(a) is not None:
                old_by_key[key(a)].append(a)
        matched_old, matched_new = set(), set()
        for value, olds in old_by_key.items():
            news = new_by_key.get(value, [])
            if len(olds) == 1 and len(news) == 1:
                pairs.append((olds[0], news[0]))
                matched_old.add(olds[0].pk)
                matched_new.add(news[0].pk)
        old_left = [a for a in old_left if a.pk not in matched_old]
        new_left = [a for a in new_left if a.pk not in matched_new]

    take(lambda a: (a.position, a.code))
    take(lambda a: a.code or None)
    take(lambda a: a.position)
    return pairs, old_left, new_left


def _years(activity: Activity) -> str:
    if activity.start_year is None and activity.end_year is None:
        return ""
    return f"{activity.start_year or ''}–{activity.end_year or ''}"


def _field_changes(before, after, names, read=getattr) -> list[FieldChange]:
    changes = []
    for name in names:
        old, new = read(before, name), read(after, name)
        if old != new:
            changes.append(FieldChange(name, old, new))
    return changes


def _read_activity(activity, name):
    return _years(activity) if name == "years" else getattr(activity, name)


def _read_row(row, name):
    # Choices compare by code and show by label: the same thing either way.
    if name in ("source", "per"):
        return getattr(row, f"get_{name}_display")()
    return getattr(row, name)


def _rows(before: list, after: list, names: list[str]) -> list[RowChange]:
    """Compare targets or budget lines by their place in the activity."""
    old = {r.position: r for r in before}
    new = {r.position: r for r in after}
    changes = []
    for position in sorted(set(old) | set(new)):
        o, n = old.get(position), new.get(position)
        if o is None or n is None:
            changes.append(RowChange(position, o, n))
            continue
        fields = _field_changes(o, n, names, _read_row)
        if fields:
            changes.append(RowChange(position, o, n, fields))
    return changes


def diff(old: Plan, new: Plan) -> PlanDiff:
    """What changed from `old` to `new`: activities, their targets and budget, and totals."""
    old_activities, new_activities = _activities(old), _activities(new)
    old_groups, new_groups = defaultdict(list), defaultdict(list)
    for activity in old_activities:
        old_groups[_measure_key(activity)].append(activity)
    for activity in new_activities:
        new_groups[_measure_key(activity)].append(activity)

    added, removed, changed = [], [], []
    # In the order of the tree: the new version's measures, then those it dropped.
    for key in dict.fromkeys([*new_groups, *old_groups]):
        pairs, gone, came = _match(old_groups.get(key, []), new_groups.get(key, []))
        removed.extend(gone)
        added.extend(came)
        for before, after in sorted(pairs, key=lambda p: p[1].position):
            change = ActivityChange(
                before,
                after,
                fields=_field_changes(before, after, ACTIVITY_FIELDS, _read_activity),
                targets=_rows(before.targets.all(), after.targets.all(), TARGET_FIELDS),
                budget=_rows(before.budget_lines.all(), after.budget_lines.all(), BUDGET_FIELDS),
            )
            if change.fields or change.targets or change.budget:
                changed.append(change)
    return PlanDiff(
        old=old,
        new=new,
        added=added,
        removed=removed,
        changed=changed,
        amounts_before=amounts_of(line for a in old_activities for line in a.budget_lines.all()),
        amounts_after=amounts_of(line for a in new_activities for line in a.budget_lines.all()),
    )
