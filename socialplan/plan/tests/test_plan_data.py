"""The loaded Durrës plan against what the document prints."""

from socialplan.plan.models import Activity, BudgetLine, DeclaredTotal, FundingSource, Measure


def test_structure_matches_the_document(durres_plan):
    priorities = list(durres_plan.priorities.all())
    assert [p.number for p in priorities] == [1, 2, 3]
    objectives = {o.code: o for p in priorities for o in p.objectives.all()}
    assert list(objectives) == ["1.1", "2.1", "2.2", "3.1"]
    # Chapter IV: 7 measures for 1.1 and 2.1, 2 for 2.2 and 3.1.
    counts = {code: o.measures.count() for code, o in objectives.items()}
    assert counts == {"1.1": 7, "2.1": 7, "2.2": 2, "3.1": 2}
    assert durres_plan.vision.startswith("Një shoqëri gjithëpërfshirëse")
    assert durres_plan.mission and durres_plan.general_goal
    assert Measure.objects.filter(objective__priority__plan=durres_plan).count() == 18


def test_every_activity_row_is_there_with_its_code_as_printed(durres_plan):
    activities = Activity.objects.filter(measure__objective__priority__plan=durres_plan)
    assert activities.count() == 85
    assert activities.filter(parent__isnull=False).count() == 25
    codes = set(activities.values_list("code", flat=True))
    for code in ["A 1.1", "A 1.2.1", "A 1.2.2", "A 7.6", "A 3.4", "S1.3.1", "1.2.8"]:
        assert code in codes, code
    # OS 2.2 prints "A 2.2" twice; both rows are kept as printed.
    os22 = activities.filter(measure__objective__code="2.2", code="A 2.2")
    assert os22.count() == 2
    a121 = activities.get(code="A 1.2.1", measure__objective__code="1.1")
    assert a121.parent.code == "A 1.2"
    assert (a121.start_year, a121.end_year) == (2025, 2026)
    assert a121.lead == "Drejtoria e sherbimeve sociale"
    assert a121.contributor == "OJF"


def test_targets_split_from_the_indicator(durres_plan):
    a122 = Activity.objects.get(code="A 1.2.2", measure__objective__code="1.1")
    first = a122.targets.first()
    assert first.parsed and first.value == 5 and first.per == "year"
    a21 = Activity.objects.get(code="A 2.1", measure__objective__code="1.1")
    assert a21.targets.exists()
    assert not a21.targets.filter(parsed=True).exists()  # nothing measurable as printed


def test_budget_lines_keep_printed_text_and_interpretations(durres_plan):
    lines = BudgetLine.objects.filter(activity__measure__objective__priority__plan=durres_plan)
    assert lines.count() == 112
    a31 = lines.get(activity__code="A 3.1", activity__measure__objective__code="1.1")
    assert a31.printed.startswith("1.810,000")
    assert a31.amount == 1_810_000 and a31.interpretation
    # A per-year line counts once for each year of its activity.
    a13 = lines.get(activity__code="A 1.3", activity__measure__objective__code="1.1")
    assert a13.per_year and a13.amount == 30_000 and a13.total == 90_000
    # Blank and "????" budgets are unknown, never zero.
    unknown = lines.filter(amount__isnull=True)
    assert unknown.count() == 7
    assert not lines.filter(amount=0).exists()
    assert lines.filter(source=FundingSource.DONOR_UNCOVERED).count() == 30


def test_declared_totals_are_stored_with_their_location(durres_plan):
    totals = DeclaredTotal.objects.filter(plan=durres_plan)
    summary = totals.filter(where="summary_table")
    assert summary.count() == 12
    plan_total = summary.get(priority__isnull=True, group="total")
    assert (plan_total.amount, plan_total.printed.strip()) == (2_399_603_203, "2,399,603,203")
    assert plan_total.line == 4437
    assert totals.filter(where="action_plan_total").count() == 3
    assert totals.filter(where="action_sheet").count() == 12
