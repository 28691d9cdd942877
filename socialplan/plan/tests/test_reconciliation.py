"""The reconciliation finds every disagreement the document contains."""

from socialplan.plan.reconciliation import reconcile


def _scope(report, label):
    return next(
        s for s in [report.whole, *report.priorities, *report.objectives] if s.label == label
    )


def _comparison(scope, where, group):
    return next(
        c for c in scope.comparisons if c.declared.where == where and c.declared.group == group
    )


def test_priority_1_agrees_everywhere(durres_plan):
    p1 = _scope(reconcile(durres_plan), "P1")
    assert (p1.amounts.total, p1.amounts.municipality, p1.amounts.non_municipal) == (
        29_295_000,
        25_890_000,
        3_405_000,
    )
    assert p1.comparisons and all(c.agrees for c in p1.comparisons)
    # Counting the per-year line once would miss 60,000.
    assert p1.amounts.printed_once == 29_235_000


def test_priority_2_disagreements(durres_plan):
    report = reconcile(durres_plan)
    p2 = _scope(report, "P2")
    assert p2.amounts.total == 2_311_808_531
    assert p2.amounts.unknown_lines == 7
    summary = _comparison(p2, "summary_table", "total")
    assert (summary.declared.amount, summary.difference) == (2_311_860_703, 52_172)
    table_total = _comparison(p2, "action_plan_total", "total")
    assert (table_total.declared.amount, table_total.difference) == (2_313_382_023, 1_573_492)
    # The split between municipality and the rest is off by about 701 million.
    assert _comparison(p2, "summary_table", "municipality").difference == -701_273_328
    # The document's own two totals for P2 contradict each other.
    conflict = next(c for c in report.conflicts if c.label == "P2" and c.group == "total")
    assert {t.amount for t in conflict.figures} == {2_313_382_023, 2_311_860_703}


def test_priority_3_is_110000_short_in_municipal_funds(durres_plan):
    p3 = _scope(reconcile(durres_plan), "P3")
    assert p3.amounts.total == 58_337_500
    assert _comparison(p3, "summary_table", "municipality").difference == 110_000
    assert _comparison(p3, "summary_table", "non_municipal").agrees


def test_action_sheets_that_print_other_scopes_figures(durres_plan):
    report = reconcile(durres_plan)
    os21 = _scope(report, "OS 2.1")
    # The sheet for objective 2.1 prints priority 3's total.
    assert _comparison(os21, "action_sheet", "total").declared.amount == 58_447_500
    assert not _comparison(os21, "action_sheet", "total").agrees
    # The sheet for 2.2 prints 2,311,680,703 but its own parts add to 2,311,860,703.
    check = next(a for a in report.arithmetic if a.kind == "row" and a.scope == "OS 2.2")
    assert (check.sum, check.stated.amount, check.difference) == (
        2_311_860_703,
        2_311_680_703,
        -180_000,
    )


def test_summary_table_adds_up_internally(durres_plan):
    report = reconcile(durres_plan)
    summary_checks = [
        a for a in report.arithmetic if a.kind != "sheets" and a.stated.where == "summary_table"
    ]
    assert len(summary_checks) == 7
    assert all(a.agrees for a in summary_checks)


def test_action_sheets_of_priority_2_do_not_add_up_to_the_summary(durres_plan):
    report = reconcile(durres_plan)
    sheets = {a.group: a for a in report.arithmetic if a.kind == "sheets" and a.scope == "P2"}
    assert sheets["total"].sum == 58_447_500 + 2_311_680_703
    assert sheets["total"].difference == 2_311_860_703 - sheets["total"].sum


def test_whole_plan_and_lists(durres_plan):
    report = reconcile(durres_plan)
    assert report.whole.amounts.total == 29_295_000 + 2_311_808_531 + 58_337_500
    total = _comparison(report.whole, "summary_table", "total")
    assert total.difference == 2_399_603_203 - report.whole.amounts.total
    printed = {line.printed.split()[0] for line in report.interpretations}
    assert {"1.810,000", "4,020.000", "1.250,.000"} <= printed
    kindergarten = next(x for x in report.interpretations if x.printed.startswith("1.250,.000"))
    assert kindergarten.amount == 1_250_000_000
    assert len(report.unknown_amounts) == 7
    assert len(report.discrepancies) == 18


def test_reconciliation_runs_a_constant_number_of_queries(
    durres_plan, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        report = reconcile(durres_plan)
        _ = [c.declared.label for s in report.objectives for c in s.comparisons]
