"""The synthetic national dataset, the maintained tallies, and the national roll-up."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from socialplan.accounts.models import AuditEvent, Membership
from socialplan.cases.models import Case, CaseEvent, Referral, ServiceEvent, Status
from socialplan.monitoring.models import ProgressReport
from socialplan.national.models import Tally
from socialplan.national.synthetic import SIZES, clear_national, generate_national
from socialplan.national.tallies import refresh
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import Municipality

AS_OF = datetime.date(2026, 11, 30)


@pytest.fixture
def national(durres_plan):
    return generate_national(size="small", seed=7, as_of=AS_OF)


def test_small_size_makes_what_it_says(national):
    size = SIZES["small"]
    people = Person.objects.filter(created_by__username__startswith="synthetic.")
    assert people.count() == size.people
    assert not people.filter(synthetic=False).exists()
    assert Municipality.objects.count() == size.municipalities
    assert Case.objects.filter(person__in=people).count() == size.cases
    # Rounding per municipality and per service spell moves the total a little.
    events = ServiceEvent.objects.count()
    assert abs(events - size.events) < size.events * 0.05
    # Every step of the lifecycle is present.
    assert set(Case.objects.values_list("status", flat=True)) == set(Status)
    # Four years of history, none in the future.
    span = ServiceEvent.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span["last"] <= AS_OF
    assert span["first"] >= AS_OF - datetime.timedelta(days=4 * 365 + 1)
    assert national.counts["registry_person"] == size.people


def test_histories_are_consistent(national):
    # A case's last history step is its status, and its first is "identified".
    cases = Case.objects.annotate(n=Count("events"))
    assert not cases.filter(n=0).exists()
    for case in Case.objects.prefetch_related("events")[:100]:
        steps = [e.to_status for e in sorted(case.events.all(), key=lambda e: (e.at, e.pk))]
        assert steps[0] == Status.IDENTIFIED and steps[-1] == case.status
        assert case.opened_at <= case.status_changed_at
        assert (case.closed_at is not None) == (case.status == Status.CLOSED)
    # Only cases that reached "referred" have referrals, each with a consent.
    assert not Referral.objects.filter(consent__isnull=True).exists()
    referred = set(
        CaseEvent.objects.filter(to_status=Status.REFERRED).values_list("case_id", flat=True)
    )
    assert set(Referral.objects.values_list("case_id", flat=True)) == referred
    # Events of a case fall between its first service and its closing (local days).
    events = ServiceEvent.objects.filter(case__isnull=False).select_related("case")
    assert events.exists()
    for event in events:
        case = event.case
        assert case.first_service_at is not None
        assert event.date >= timezone.localdate(case.first_service_at)
        if case.closed_at is not None:
            assert event.date <= timezone.localdate(case.closed_at)
    # Progress reports on every other municipality's copy of the plan.
    assert ProgressReport.objects.exclude(plan__municipality__code="durres").exists()


def test_tallies_equal_the_raw_counts(national):
    year = 2026
    durres = Municipality.objects.get(code="durres")
    tally = dict(
        Tally.objects.filter(municipality=durres, year=year, dimension="")
        .values_list("measure")
        .annotate(total=Sum("value"))
    )
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    end = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    cases = Case.objects.filter(municipality=durres)
    assert tally["cases_opened"] == cases.filter(opened_at__gte=start, opened_at__lt=end).count()
    assert tally["cases_closed"] == cases.filter(closed_at__gte=start, closed_at__lt=end).count()
    assert (
        tally["cases_open"]
        == cases.filter(opened_at__lt=end).filter(Q(closed_at=None) | Q(closed_at__gte=end)).count()
    )
    events = ServiceEvent.objects.filter(municipality=durres, date__year=year)
    assert tally["service_events"] == events.count()
    assert tally["people_served"] == events.values("person").distinct().count()
    assert (
        tally["referrals_sent"]
        == (
            Referral.objects.filter(case__municipality=durres, sent_at__gte=start, sent_at__lt=end)
        ).count()
    )
    current = PersonCategory.objects.filter(
        person__municipality=durres, person__merged_into=None, start_date__lte=AS_OF
    ).filter(Q(end_date=None) | Q(end_date__gt=AS_OF))
    assert tally["people"] == current.values("person").distinct().count()
    elderly = Tally.objects.filter(
        municipality=durres, year=year, measure="people", dimension="elderly"
    ).aggregate(n=Sum("value"))["n"]
    assert elderly == current.filter(category__code="elderly").values("person").distinct().count()


def test_refresh_replaces_and_counts_new_rows(national):
    durres = Municipality.objects.get(code="durres")

    def total():
        tallies = Tally.objects.filter(municipality=durres, year=2026, measure="service_events")
        return tallies.aggregate(n=Sum("value"))["n"]

    first = total()
    event = ServiceEvent.objects.filter(municipality=durres, date__year=2026).first()
    ServiceEvent.objects.create(
        municipality=durres,
        unit=event.unit,
        person=event.person,
        service=event.service,
        organisation=event.organisation,
        date=datetime.date(2026, 6, 1),
        kind="session",
    )
    assert total() == first  # the tallies are maintained, not live
    refresh(durres, today=AS_OF)
    assert total() == first + 1


def test_same_seed_same_people_and_clear_keeps_real_rows(durres_plan, django_user_model):
    real = Person.objects.create(
        municipality=durres_plan.municipality,
        unit=durres_plan.municipality.units.first(),
        first_name="Test",
        last_name="Real",
        sex="F",
        date_of_birth=datetime.date(1980, 1, 1),
    )
    generate_national(size="small", seed=3, as_of=AS_OF)
    names = list(
        Person.objects.filter(synthetic=True)
        .values_list("search_name", flat=True)
        .order_by("search_name", "date_of_birth")
    )
    with pytest.raises(ValueError, match="already"):
        generate_national(size="small", seed=3, as_of=AS_OF)
    removed = clear_national()
    assert removed["registry_person"] == SIZES["small"].people
    assert not Person.objects.filter(synthetic=True).exists()
    assert not ServiceEvent.objects.exists() and not Case.objects.exists()
    assert Person.objects.filter(pk=real.pk).exists()
    generate_national(size="small", seed=3, as_of=AS_OF)
    again = list(
        Person.objects.filter(synthetic=True)
        .values_list("search_name", flat=True)
        .order_by("search_name", "date_of_birth")
    )
    assert again == names


def test_rollup_reads_tallies_in_constant_queries(national, client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/national/2026")
    assert response.status_code == 200
    body = response.json()
    assert [m["code"] for m in body["municipalities"]] == sorted(
        [m["code"] for m in body["municipalities"]],
        key=lambda c: Municipality.objects.get(code=c).name,
    )
    # Only the tallies, municipalities, categories and refresh times: no raw table.
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for raw in ("cases_case", "cases_serviceevent", "registry_person", "cases_referral"):
        assert raw not in sql
    assert len(queries) <= 4
    durres = next(m for m in body["municipalities"] if m["code"] == "durres")
    served = Tally.objects.filter(
        municipality__code="durres", year=2026, measure="service_events"
    ).aggregate(n=Sum("value"))["n"]
    # Counts are protected in public: rounded to a multiple of 5, within 4.
    assert body["rounded_to"] == 5
    assert durres["activity"]["service_events"] % 5 == 0
    assert abs(durres["activity"]["service_events"] - served) <= 4
    values = [v for m in body["municipalities"] for v in m["people"].values()]
    assert values and all(v % 5 == 0 for v in values)
    people = Tally.objects.filter(municipality__code="durres", year=2026, measure="people")
    for category, value in durres["people"].items():
        true = sum(people.filter(dimension=category).values_list("value", flat=True))
        assert abs(value - true) <= 4


def test_rollup_pages(national, client, django_user_model):
    public = client.get("/national/2026/")
    assert public.status_code == 200
    assert "&lt;5" not in public.content.decode()
    assert public.context["report"].people.is_protected
    assert client.get("/national/1990/").status_code == 404
    staff = client.get("/national/2026/staff/")
    assert staff.status_code == 302  # to the login page
    citizen = django_user_model.objects.create_user("someone")
    client.force_login(citizen)
    assert client.get("/national/2026/staff/").status_code == 403


def test_national_viewer_sees_every_figure(national, client, django_user_model):
    viewer = django_user_model.objects.create_user("ministry.viewer")
    Membership.objects.create(
        user=viewer, municipality=Municipality.objects.get(code="tirane"), role="national"
    )
    client.force_login(viewer)
    response = client.get("/national/2026/staff/")
    assert response.status_code == 200
    report = response.context["report"]
    assert not report.people.is_protected
    assert (
        report.people.total
        == Tally.objects.filter(year=2026, measure="people")
        .exclude(dimension="")
        .aggregate(n=Sum("value"))["n"]
    )
    assert AuditEvent.objects.filter(user=viewer, summary__contains="national roll-up").exists()
