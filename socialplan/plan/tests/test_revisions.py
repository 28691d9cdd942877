"""Revising the adopted plan: a whole new version, the diff, and who may revise."""

from decimal import Decimal

import pytest
from django.urls import reverse

from socialplan.accounts.models import AuditEvent, Membership
from socialplan.directory.models import Organisation
from socialplan.monitoring.models import ProgressReport
from socialplan.plan.models import (
    Activity,
    BudgetLine,
    DeclaredTotal,
    Measure,
    Objective,
    Plan,
    Priority,
    Target,
)
from socialplan.plan.reconciliation import reconcile
from socialplan.plan.revisions import create_revision, diff, versions_of
from socialplan.territory.models import Municipality

SLUG = "durres-2025-2028"
DECISION = "VKB nr. 45, datë 12.03.2027"


def _persona(django_user_model, username, role, *, municipality=None, **scope):
    user = django_user_model.objects.create_user(username, password="not-a-real-password")
    Membership.objects.create(
        user=user,
        municipality=municipality or Municipality.objects.get(code="durres"),
        role=role,
        **scope,
    )
    return user


@pytest.fixture
def planner(django_user_model, durres_plan):
    """Olti, planning and monitoring officer of Durrës."""
    return _persona(django_user_model, "olti.planner", "planner")


@pytest.fixture
def director(django_user_model, durres_plan):
    """Arta, director of social services of Durrës (she logs in with a code too)."""
    return _persona(django_user_model, "arta.drejtore", "director")


def _revise(plan, by, reason="Rishikim vjetor"):
    return create_revision(request=None, plan=plan, by=by, reason=reason, council_decision=DECISION)


def _counts(plan):
    return {
        "priorities": Priority.objects.filter(plan=plan).count(),
        "objectives": Objective.objects.filter(priority__plan=plan).count(),
        "measures": Measure.objects.filter(objective__priority__plan=plan).count(),
        "activities": Activity.objects.filter(measure__objective__priority__plan=plan).count(),
        "children": Activity.objects.filter(
            measure__objective__priority__plan=plan, parent__isnull=False
        ).count(),
        "targets": Target.objects.filter(activity__measure__objective__priority__plan=plan).count(),
        "budget": BudgetLine.objects.filter(
            activity__measure__objective__priority__plan=plan
        ).count(),
        "declared": DeclaredTotal.objects.filter(plan=plan).count(),
    }


def _activity(plan, objective_code, code):
    return Activity.objects.get(
        measure__objective__priority__plan=plan, measure__objective__code=objective_code, code=code
    )


def test_revision_copies_the_whole_tree(durres_plan, planner):
    before = _counts(durres_plan)
    revision = _revise(durres_plan, planner)

    assert revision.slug == f"{SLUG}-r1"
    assert revision.revision_number == 1 and revision.revision_of == durres_plan
    assert revision.council_decision == DECISION and revision.revised_by == planner
    assert revision.revised_at is not None and revision.loaded_hash == ""
    assert _counts(revision) == before
    assert before["activities"] > 0 and before["children"] > 0 and before["declared"] > 0

    # The same money: computed by source, and every declared total compared alike.
    old, new = reconcile(durres_plan), reconcile(revision)
    assert new.whole.amounts.by_source == old.whole.amounts.by_source

    def compared(report):
        scopes = [report.whole, *report.priorities, *report.objectives]
        return [(s.label, c.declared.printed, c.computed) for s in scopes for c in s.comparisons]

    assert compared(new) == compared(old) and compared(old)
    assert diff(durres_plan, revision).is_empty

    # Printed texts and source lines travel with the copy; parents stay in the version.
    original = _activity(durres_plan, "1.1", "A 1.2.1")
    copy = _activity(revision, "1.1", "A 1.2.1")
    assert copy.pk != original.pk
    assert (copy.title, copy.line, copy.position) == (
        original.title,
        original.line,
        original.position,
    )
    assert copy.parent.code == original.parent.code
    assert copy.parent.measure.objective.priority.plan == revision
    assert [(b.printed, b.line, b.amount) for b in copy.budget_lines.all()] == [
        (b.printed, b.line, b.amount) for b in original.budget_lines.all()
    ]
    assert not DeclaredTotal.objects.filter(plan=revision, objective__priority__plan=durres_plan)

    event = AuditEvent.objects.get(object_type="plan.plan", object_id=str(revision.pk))
    assert event.action == "create" and event.user == planner

    # A second revision takes the next number, whichever version it revises.
    second = _revise(revision, planner)
    assert second.slug == f"{SLUG}-r2" and second.revision_of == revision
    assert [p.revision_number for p in versions_of(durres_plan)] == [0, 1, 2]
    assert versions_of(second) == versions_of(durres_plan)


def test_editing_the_revision_leaves_the_baseline_alone(durres_plan, planner):
    baseline_counts = _counts(durres_plan)
    baseline_amounts = reconcile(durres_plan).whole.amounts.by_source
    revision = _revise(durres_plan, planner)

    copy = _activity(revision, "1.1", "A 1.3")
    copy.title = "Kalendar i ri trajnimi"
    copy.save()
    line = copy.budget_lines.get(position=0)
    line.amount = 45_000
    line.save()
    copy.targets.update(value=Decimal("2"))
    Activity.objects.filter(measure__objective__priority__plan=revision, parent__isnull=False)[
        0
    ].delete()

    original = _activity(durres_plan, "1.1", "A 1.3")
    assert original.title == "Hartimi dhe zbatimi I kalendarit vjetor të trajnimit"
    assert original.budget_lines.get(position=0).amount == 30_000
    assert original.targets.get(position=0).value == Decimal("1")
    assert _counts(durres_plan) == baseline_counts
    assert reconcile(durres_plan).whole.amounts.by_source == baseline_amounts


def test_diff_finds_added_removed_and_changed_activities(durres_plan, planner):
    revision = _revise(durres_plan, planner)

    # Changed: A 1.3's title, its target value and its budget amount.
    changed = _activity(revision, "1.1", "A 1.3")
    changed.title = "Kalendar i ri trajnimi"
    changed.save()
    changed.targets.filter(position=0).update(value=Decimal("2"))
    line = changed.budget_lines.get(position=0)
    old_total = line.total
    line.amount = 45_000
    line.save()
    # Removed: an activity without sub-activities in another measure.
    gone = (
        Activity.objects.filter(
            measure__objective__priority__plan=revision, parent__isnull=True, children__isnull=True
        )
        .exclude(measure=changed.measure)
        .first()
    )
    gone_key = (gone.measure.objective.code, gone.measure.number, gone.position)
    gone.delete()
    # Added: a new activity at the end of A 1.3's measure.
    added = Activity.objects.create(
        measure=changed.measure, position=99, code="A 1.4", title="Aktivitet i ri"
    )

    result = diff(durres_plan, revision)

    assert result.added == [added]
    assert len(result.removed) == 1
    removed = result.removed[0]
    assert removed.measure.objective.priority.plan == durres_plan
    assert (removed.measure.objective.code, removed.measure.number, removed.position) == gone_key
    assert len(result.changed) == 1
    change = result.changed[0]
    assert change.before == _activity(durres_plan, "1.1", "A 1.3") and change.after == changed
    assert change.field_names == ["title"]
    assert [(t.kind, [(f.name, f.before, f.after) for f in t.fields]) for t in change.targets] == [
        ("changed", [("value", Decimal("1.00"), Decimal("2.00"))])
    ]
    assert [(b.kind, [(f.name, f.before, f.after) for f in b.fields]) for b in change.budget] == [
        ("changed", [("amount", 30_000, 45_000)])
    ]

    # Totals by source: the municipality's changes by A 1.3's new amount, less what was removed.
    line.refresh_from_db()
    removed_municipal = sum(
        b.total or 0 for b in removed.budget_lines.all() if b.source == "municipality"
    )
    totals = {row.source: row for row in result.totals}
    assert totals["municipality"].difference == line.total - old_total - removed_municipal
    assert result.total_difference == sum(row.difference for row in result.totals)


def test_progress_reports_keep_pointing_at_the_baseline(durres_plan, planner):
    activity = _activity(durres_plan, "1.1", "A 1.3")
    report = ProgressReport.objects.create(
        plan=durres_plan, activity=activity, year=2026, status="on_track", created_by=planner
    )
    revision = _revise(durres_plan, planner)

    report.refresh_from_db()
    assert report.plan == durres_plan and report.activity == activity
    assert ProgressReport.objects.count() == 1
    assert not ProgressReport.objects.filter(plan=revision).exists()
    assert not ProgressReport.objects.filter(
        activity__measure__objective__priority__plan=revision
    ).exists()


def test_only_the_director_and_the_planner_may_revise(
    client, verified_login, django_user_model, durres_plan, planner, director
):
    url = reverse("plan:revise", args=[SLUG])
    data = {"reason": "Rishikim pas konsultimit", "council_decision": DECISION}

    # The public: sent to log in, nothing created.
    response = client.post(url, data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    organisation = Organisation.objects.filter(municipality__code="durres").first()
    provider = _persona(django_user_model, "drita.ofrues", "provider", organisation=organisation)
    verified_login(client, provider)
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    # A planner of another municipality is not a planner of Durrës.
    tirana = Municipality.objects.create(code="tirane", name="Tiranë")
    outsider = _persona(django_user_model, "ana.tirane", "planner", municipality=tirana)
    verified_login(client, outsider)
    assert client.post(url, data).status_code == 403
    assert Plan.objects.filter(revision_of=durres_plan).count() == 0

    verified_login(client, planner)
    assert client.get(url).status_code == 200
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("plan:overview", args=[f"{SLUG}-r1"])

    # An empty form is refused and changes nothing.
    verified_login(client, director)
    response = client.post(url, {"reason": "", "council_decision": ""})
    assert response.status_code == 200
    assert Plan.objects.filter(revision_of=durres_plan).count() == 1
    response = client.post(url, data)
    assert response["Location"] == reverse("plan:overview", args=[f"{SLUG}-r2"])
    revision = Plan.objects.get(slug=f"{SLUG}-r2")
    assert revision.revised_by == director and revision.revision_reason == data["reason"]


def test_version_pages_for_the_public(english_client, durres_plan, planner):
    revision = _revise(durres_plan, planner)
    changed = _activity(revision, "1.1", "A 1.3")
    changed.title = "Kalendar i ri trajnimi"
    changed.save()

    body = english_client.get(reverse("plan:overview", args=[revision.slug])).content.decode()
    assert "Version 1" in body and DECISION in body
    assert reverse("plan:versions", args=[revision.slug]) in body
    assert "Revise this plan" not in body
    body = english_client.get(reverse("plan:overview", args=[SLUG])).content.decode()
    assert "Version 0 (the adopted plan)" in body

    body = english_client.get(reverse("plan:versions", args=[SLUG])).content.decode()
    assert DECISION in body and revision.get_absolute_url() in body

    response = english_client.get(reverse("plan:diff", args=[SLUG, revision.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kalendar i ri trajnimi" in body and "1 activity changed" in body

    # The plan's own pages work for the revision's slug, showing the revision's rows.
    for name, args in [
        ("priority", [revision.slug, 1]),
        ("objective", [revision.slug, "1.1"]),
        ("measure", [revision.slug, changed.measure_id]),
        ("activity", [revision.slug, changed.pk]),
        ("budget", [revision.slug]),
        ("funding", [revision.slug]),
    ]:
        assert english_client.get(reverse(f"plan:{name}", args=args)).status_code == 200, name
    # An activity of the baseline is not an activity of the revision.
    baseline_activity = _activity(durres_plan, "1.1", "A 1.3")
    url = reverse("plan:activity", args=[revision.slug, baseline_activity.pk])
    assert english_client.get(url).status_code == 404


def test_diff_only_between_versions_of_one_plan(english_client, durres_plan):
    other = Plan.objects.create(
        municipality=durres_plan.municipality,
        slug="plan-tjeter",
        title="Plan tjetër",
        period_start=durres_plan.period_start,
        period_end=durres_plan.period_end,
    )
    response = english_client.get(reverse("plan:diff", args=[SLUG, other.slug]))
    assert response.status_code == 404
