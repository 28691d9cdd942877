"""Progress reporting: the workflow and its locks, indicators entered and computed, budgets."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from socialplan.accounts.models import Membership
from socialplan.emergency.models import Exercise
from socialplan.monitoring import actions
from socialplan.monitoring.indicators import indicator_rows, planned_for_year
from socialplan.monitoring.models import ProgressReport, Spending, TargetActual
from socialplan.monitoring.reports import budget_execution, progress
from socialplan.plan.models import Activity, Target

SLUG = "durres-2025-2028"


def _user(django_user_model, name, role, **scope):
    from socialplan.territory.models import Municipality

    user = django_user_model.objects.create_user(name, password="x-not-real")
    Membership.objects.create(
        user=user, municipality=Municipality.objects.get(code="durres"), role=role, **scope
    )
    return user


@pytest.fixture
def director(durres_plan, django_user_model):
    return _user(django_user_model, "drejtore.prove", "director")


@pytest.fixture
def planner(durres_plan, django_user_model):
    return _user(django_user_model, "planifikues.prove", "planner")


@pytest.fixture
def provider(durres_plan, django_user_model):
    from socialplan.directory.models import Organisation

    return _user(
        django_user_model,
        "ofrues.prove",
        "provider",
        organisation=Organisation.objects.get(code="kryqi-i-kuq"),
    )


@pytest.fixture
def a122(durres_plan):
    """A 1.2.2: "5 trajnime te realizuara ne vit", 225,000 from a donor not yet secured."""
    return Activity.objects.get(
        code="A 1.2.2",
        measure__objective__code="1.1",
        measure__objective__priority__plan=durres_plan,
    )


def _pdf() -> bytes:
    """A real one-page PDF (evidence is opened with its parser before it is kept)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _report(plan, activity, by, *, organisation=None, status="on_track", value=None, spent=None):
    report = ProgressReport(plan=plan, activity=activity, year=2026, organisation=organisation)
    target = activity.targets.filter(parsed=True).first()
    line = activity.budget_lines.first()
    return actions.save_report(
        request=None, by=by, report=report, status=status, narrative="",
        actuals={target: value} if value is not None else {},
        spending={line: spent} if spent is not None else {},
    )  # fmt: skip


def test_workflow_submit_return_approve_reopen(durres_plan, a122, provider, planner, director):
    report = _report(
        durres_plan, a122, provider, organisation=provider.memberships.get().organisation, value=3
    )
    actions.submit(request=None, by=provider, report=report)
    with pytest.raises(PermissionDenied):
        actions.approve(request=None, by=provider, report=report)  # a provider does not approve
    with pytest.raises(ValidationError):
        actions.return_report(request=None, by=planner, report=report, reason=" ")
    actions.return_report(request=None, by=planner, report=report, reason="Mungon evidenca")
    assert report.state == "returned"
    actions.submit(request=None, by=provider, report=report)
    actions.approve(request=None, by=planner, report=report)
    assert report.state == "approved" and not report.editable
    # Approved is locked: saving again is refused.
    with pytest.raises(actions.StaleReport):
        actions.save_report(
            request=None,
            by=provider,
            report=report,
            status="done",
            narrative="",
            actuals={},
            spending={},
        )
    with pytest.raises(PermissionDenied):
        actions.reopen(request=None, by=planner, report=report, reason="x")  # only the director
    actions.reopen(request=None, by=director, report=report, reason="Gabim në shifra")
    assert report.state == "draft" and report.reopen_reason


def test_nobody_approves_their_own_report(durres_plan, a122, planner):
    report = _report(durres_plan, a122, planner)
    actions.submit(request=None, by=planner, report=report)
    with pytest.raises(PermissionDenied):
        actions.approve(request=None, by=planner, report=report)


def test_only_approved_reports_count(durres_plan, a122, provider, planner):
    org = provider.memberships.get().organisation
    report = _report(durres_plan, a122, provider, organisation=org, value=4, spent=70_000)
    target = a122.targets.filter(parsed=True).first()
    rows = {r.target.pk: r for r in indicator_rows(durres_plan, 2026)}
    assert rows[target.pk].actual is None and rows[target.pk].planned == 5
    assert budget_execution(durres_plan, 2026).spent == {}
    actions.submit(request=None, by=provider, report=report)
    actions.approve(request=None, by=planner, report=report)
    rows = {r.target.pk: r for r in indicator_rows(durres_plan, 2026)}
    assert rows[target.pk].actual == Decimal(4) and rows[target.pk].ratio == 0.8
    assert budget_execution(durres_plan, 2026).spent == {"donor_uncovered": 70_000}
    statuses = {
        m.measure.number: m.by_status
        for p in progress(durres_plan, 2026)
        for m in p.measures
        if p.priority.number == 1
    }
    assert statuses[1]["on_track"] == 1


def test_planned_values_per_year_and_period(durres_plan, a122):
    per_year = a122.targets.filter(parsed=True).first()  # 5 a year, 2026-2028
    assert [planned_for_year(per_year, y) for y in (2025, 2026, 2028)] == [None, 5, 5]
    a121 = Activity.objects.get(code="A 1.2.1", measure__objective__priority__plan=durres_plan)
    period = a121.targets.get()  # 5 modules over 2025-2026
    assert [planned_for_year(period, y) for y in (2025, 2026)] == [None, 5]


def test_a_linked_indicator_is_computed_and_says_how(durres_plan, director):
    target = Target.objects.get(
        link__metric="trainings", activity__measure__objective__priority__plan=durres_plan
    )
    for day in (datetime.date(2026, 3, 1), datetime.date(2026, 9, 1), datetime.date(2025, 9, 1)):
        Exercise.objects.create(
            municipality=durres_plan.municipality, kind="training", date=day, title="t",
            participants={"Bashkia": 10}, recorded_by=director,
        )  # fmt: skip
    row = {r.target.pk: r for r in indicator_rows(durres_plan, 2026)}[target.pk]
    assert row.computed and row.actual == 2 and "2026" in row.how


def test_pages_and_access(durres_plan, a122, provider, planner, client, verified_login):
    verified_login(client, provider)
    url = reverse("monitoring:report_create", args=[SLUG, 2026, a122.pk])
    target = a122.targets.filter(parsed=True).first()
    line = a122.budget_lines.first()
    response = client.post(
        url,
        {
            "status": "delayed",
            "narrative": "Vonesë",
            f"target_{target.pk}": "2",
            f"line_{line.pk}": "10000",
        },
    )
    report = ProgressReport.objects.get(activity=a122)
    assert response.status_code == 302 and report.organisation.code == "kryqi-i-kuq"
    assert (
        TargetActual.objects.get(report=report).value == 2
        and Spending.objects.get(report=report).amount == 10_000
    )
    # Evidence: a real PDF is kept; a program renamed .pdf is refused.
    upload = reverse("monitoring:evidence_upload", args=[report.pk])
    client.post(upload, {"file": SimpleUploadedFile("raport.pdf", _pdf(), "application/pdf")})
    client.post(upload, {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", "application/pdf")})
    assert [e.name for e in report.evidence.all()] == ["raport.pdf"]
    client.post(reverse("monitoring:report_submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.state == "submitted"
    assert client.post(reverse("monitoring:report_approve", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.state == "submitted"  # the provider cannot approve
    client.logout()
    verified_login(client, planner)
    client.post(reverse("monitoring:report_approve", args=[report.pk]))
    report.refresh_from_db()
    assert report.state == "approved"
    page = client.get(reverse("monitoring:dashboard", args=[SLUG, 2026]))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    head = page.content.decode().split("</title>")[0]
    assert "<h2>" not in head and "<svg" not in head  # the page title is text only
    assert [name for name, _counts in page.context["by_reporter"]] == [report.organisation.name]
    # Figure 9 of the diagnosis, regenerated from the directory: services by funding.
    assert sum(n for _label, n, _share in page.context["funding"]) == 34
    assert client.get(reverse("monitoring:dashboard_public", args=[SLUG, 2026])).status_code == 200


def test_evidence_is_downloaded_with_the_reports_access(
    durres_plan, a122, provider, client, verified_login, django_user_model, settings, tmp_path
):
    from socialplan.directory.models import Organisation
    from socialplan.monitoring.models import Evidence

    settings.MEDIA_ROOT = tmp_path
    report = _report(
        durres_plan, a122, provider, organisation=provider.memberships.get().organisation
    )
    evidence = Evidence.objects.create(
        report=report,
        file=SimpleUploadedFile("a.pdf", b"%PDF-1.4"),
        name="a.pdf",
        uploaded_by=provider,
    )
    verified_login(client, provider)
    response = client.get(reverse("monitoring:evidence", args=[evidence.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4"
    other = _user(
        django_user_model,
        "ofrues.tjeter",
        "provider",
        organisation=Organisation.objects.get(code="gender-paqe-siguri"),
    )
    client.logout()
    verified_login(client, other)
    assert client.get(reverse("monitoring:evidence", args=[evidence.pk])).status_code == 404
