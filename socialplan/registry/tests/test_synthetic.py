"""The synthetic population: made-up people, households and cases for demos and benchmarks."""

import datetime
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction

from socialplan.accounts.models import Membership
from socialplan.cases.models import (
    DEFAULT_DEADLINE_DAYS,
    TRANSITIONS,
    Case,
    CaseEvent,
    Referral,
    Status,
)
from socialplan.cases.references import (
    next_case_reference,
    next_referral_reference,
    save_with_reference,
)
from socialplan.directory.models import Category, Service
from socialplan.registry import synthetic
from socialplan.registry.models import Assessment, Household, Person, PersonCategory
from socialplan.registry.synthetic import category_weights, generate_population

AS_OF = datetime.date(2026, 6, 30)
N = 120


@pytest.fixture
def durres(durres_plan):
    return durres_plan.municipality


def snapshot(municipality):
    """Everything that makes the population what it is, without database ids."""
    people = list(Person.objects.filter(municipality=municipality).order_by("pk"))
    rank = {p.pk: i for i, p in enumerate(people)}
    households = {h: i for i, h in enumerate(sorted({p.household_id for p in people}))}
    cases = Case.objects.filter(municipality=municipality).order_by("reference")
    return {
        "people": [
            (
                p.first_name,
                p.last_name,
                p.fathers_name,
                p.sex,
                p.date_of_birth,
                p.national_id,
                households[p.household_id],
                p.relationship,
                p.unit_id,
                p.address,
            )
            for p in people
        ],
        "categories": sorted(
            (rank[c.person_id], c.category.code, c.detail, c.start_date, c.source)
            for c in PersonCategory.objects.filter(person__in=people).select_related("category")
        ),
        "assessments": sorted(
            (rank[a.person_id], a.date, a.risk, sorted(a.needs.items()))
            for a in Assessment.objects.filter(person__in=people)
        ),
        "cases": [
            (c.reference, rank[c.person_id], c.status, c.opened_at, c.due_at, c.owner.username)
            for c in cases.select_related("owner")
        ],
        "events": [
            (e.case.reference, e.from_status, e.to_status, e.at)
            for e in CaseEvent.objects.filter(case__in=cases).select_related("case")
        ],
        "referrals": [
            (r.reference, r.case.reference, r.service.code, r.state, r.sent_at, r.outcome)
            for r in Referral.objects.filter(case__in=cases)
            .select_related("case", "service")
            .order_by("reference")
        ],
    }


def test_the_same_seed_makes_the_same_population(durres):
    generate_population(durres, people=N, seed=7, as_of=AS_OF)
    first = snapshot(durres)
    assert len(first["people"]) == N and first["cases"] and first["referrals"]

    generate_population(durres, people=N, seed=7, as_of=AS_OF, clear=True)
    assert snapshot(durres) == first

    generate_population(durres, people=N, seed=8, as_of=AS_OF, clear=True)
    assert snapshot(durres)["people"] != first["people"]


def test_every_person_is_synthetic_and_made_up(durres):
    generate_population(durres, people=N, seed=1, as_of=AS_OF)

    people = list(Person.objects.filter(municipality=durres).select_related("household"))
    assert len(people) == N
    assert all(p.synthetic for p in people)
    first_names = {n for names in synthetic.MALE_NAMES + synthetic.FEMALE_NAMES for n in names}
    assert {p.first_name for p in people} <= first_names
    assert {p.last_name for p in people} <= set(synthetic.SURNAMES)
    assert all(p.search_name == p.search_name.lower() and p.search_name for p in people)
    # National IDs: Albanian format, made up, unique, for about 70% of adults only.
    ids = [p.national_id for p in people if p.national_id]
    assert all(re.fullmatch(r"[A-Z]\d{8}[A-Z]", i) for i in ids)
    assert len(ids) == len(set(ids))
    adults = [p for p in people if p.age_on(AS_OF) >= 18]
    assert all(p.age_on(AS_OF) >= 18 for p in people if p.national_id)
    assert 0.5 <= len(ids) / len(adults) <= 0.9
    # Households of 1-7 with one head, living in the household's unit at a made-up address.
    members = Counter(p.household_id for p in people)
    assert set(members.values()) <= set(range(1, 8))
    heads = Counter(p.household_id for p in people if p.relationship == Person.Relationship.HEAD)
    assert heads == Counter(dict.fromkeys(members, 1))
    assert all(p.unit_id == p.household.unit_id for p in people)
    assert all(re.match(r"Lagjja \d+, Rruga ", p.household.address) for p in people)
    assert Household.objects.filter(municipality=durres).count() == len(members)


def test_cases_belong_to_demo_staff_of_the_municipality(durres):
    generate_population(durres, people=N, seed=1, as_of=AS_OF)

    owners = {c.owner for c in Case.objects.filter(municipality=durres).select_related("owner")}
    assert owners
    for owner in owners:
        assert owner.username.startswith("demo.")
        assert not owner.has_usable_password()
        roles = set(
            Membership.objects.filter(user=owner, municipality=durres).values_list(
                "role", flat=True
            )
        )
        assert roles & {"njvrn", "unit_admin", "child_protection", "dv_coordinator"}
    units = durres.units.count()
    assert (
        Membership.objects.filter(
            municipality=durres, role="unit_admin", user__username__startswith="demo.admin."
        ).count()
        == units
    )
    # A second run reuses the same accounts.
    assert generate_population(durres, people=10, seed=2, as_of=AS_OF).staff_created == 0


def test_the_category_mix_follows_the_needs_figures(durres):
    weights = category_weights(durres)
    # Headline figures of the Durrës needs data, not the module's fallbacks.
    assert weights["children_at_risk"] == 1288
    assert weights["elderly"] == 1926
    assert weights["domestic_violence"] == 174
    assert weights["children_disability"] + weights["adults_disability"] == pytest.approx(3172)

    generate_population(durres, people=N, seed=1, as_of=AS_OF)

    rows = PersonCategory.objects.filter(person__municipality=durres)
    counts = Counter(rows.values_list("category__code", flat=True))
    total, total_weight = sum(counts.values()), sum(weights.values())
    for code, weight in weights.items():
        expected = total * weight / total_weight
        assert abs(counts[code] - expected) <= max(3, 0.25 * expected), (code, counts, expected)
    # Rare special categories still show up in a small population.
    for code in ("trafficking", "drug_use", "lgbtiq", "alcohol_use"):
        assert counts[code] >= 1
    # Each category fits the person: children are children, the elderly are 65 or more.
    for row in rows.select_related("person", "category"):
        low, high = synthetic.AGES[row.category.code]
        assert low <= row.person.age_on(AS_OF) <= high
        assert row.source and row.recorded_by_id and row.start_date <= AS_OF


def test_assessments_and_cases_for_the_people_in_need(durres):
    generate_population(durres, people=N, seed=1, as_of=AS_OF)

    in_need = set(
        PersonCategory.objects.filter(person__municipality=durres).values_list(
            "person_id", flat=True
        )
    )
    assessed = set(
        Assessment.objects.filter(person__in=in_need).values_list("person_id", flat=True)
    )
    with_case = set(Case.objects.filter(municipality=durres).values_list("person_id", flat=True))
    assert with_case <= in_need
    assert len(assessed) / len(in_need) == pytest.approx(0.6, abs=0.05)
    assert len(with_case) / len(in_need) == pytest.approx(0.4, abs=0.05)


def test_case_steps_follow_the_event_history(durres):
    summary = generate_population(durres, people=400, seed=1, as_of=AS_OF)

    cases = list(Case.objects.filter(municipality=durres).prefetch_related("events"))
    assert {c.status for c in cases} == set(Status)
    assert summary.reopened >= 1
    start = datetime.datetime(2025, 1, 1, tzinfo=synthetic.TZ)
    end = datetime.datetime.combine(AS_OF, datetime.time(0), synthetic.TZ)
    overdue = 0
    for case in cases:
        events = list(case.events.all())
        assert events[0].from_status == "" and events[0].to_status == Status.IDENTIFIED
        assert events[-1].to_status == case.status
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_status == before.to_status
            reopen = (after.from_status, after.to_status) == (Status.CLOSED, Status.ASSESSMENT)
            assert reopen or after.to_status in TRANSITIONS[Status(after.from_status)]
            assert before.at <= after.at
        assert start <= case.opened_at == events[0].at
        assert case.status_changed_at == events[-1].at < end
        if case.status == Status.CLOSED:
            assert case.due_at is None and case.closed_at == events[-1].at
        else:
            deadline = DEFAULT_DEADLINE_DAYS[Status(case.status)]
            assert case.due_at == case.status_changed_at + datetime.timedelta(days=deadline)
            overdue += case.due_at < end
        if any(e.to_status == Status.IN_SERVICE for e in events):
            assert case.first_service_at is not None
    assert overdue >= 1
    assert sum(1 for c in cases if c.status != Status.CLOSED and c.due_at >= end) >= 1


def test_referrals_match_the_case_step(durres):
    generate_population(durres, people=400, seed=1, as_of=AS_OF)

    referrals = Referral.objects.filter(case__municipality=durres)
    assert set(referrals.values_list("state", flat=True)) >= {
        "sent",
        "accepted",
        "declined",
        "completed",
    }
    cases = Case.objects.filter(municipality=durres).prefetch_related(
        "referrals__service__categories", "person__categories__category"
    )
    for case in cases:
        refs = sorted(case.referrals.all(), key=lambda r: (r.sent_at, r.pk))
        states = [r.state for r in refs]
        # Sent only while the case is referred (the latest referral); accepted only in service.
        assert states.count("sent") == (case.status == Status.REFERRED)
        if case.status == Status.REFERRED:
            assert refs[-1].state == "sent"
        if "accepted" in states:
            assert case.status == Status.IN_SERVICE and refs[-1].state == "accepted"
        person_codes = {c.category.code for c in case.person.categories.all()}
        for referral in refs:
            assert referral.service.status == Service.Status.ACTIVE
            assert referral.organisation_id == referral.service.organisation_id
            assert person_codes & {c.code for c in referral.service.categories.all()}
            assert referral.consent_id or referral.override_reason
            if referral.state == "completed":
                assert referral.outcome and referral.outcome_at and referral.responded_at
            if referral.state == "declined":
                assert referral.decline_reason and referral.responded_at


def test_clear_removes_only_synthetic_rows(durres, django_user_model):
    worker = django_user_model.objects.create_user("real.worker")
    unit = durres.units.order_by("position").first()
    home = Household.objects.create(municipality=durres, unit=unit, address="Rruga e vërtetë")
    real = Person.objects.create(
        municipality=durres,
        unit=unit,
        first_name="Real",
        last_name="Person",
        sex="F",
        date_of_birth=datetime.date(1980, 1, 1),
        household=home,
        relationship="head",
    )
    real_case = Case.objects.create(
        municipality=durres, unit=unit, person=real, reference="DUR-2025-00001", owner=worker
    )
    service = Service.objects.filter(municipality=durres, status="active").first()
    real_referral = Referral.objects.create(
        case=real_case,
        service=service,
        organisation=service.organisation,
        reference="REF-DUR-2026-00001",
        purpose="real",
        override_reason="real",
        sent_by=worker,
    )
    PersonCategory.objects.create(
        person=real,
        category=Category.objects.get(code="elderly"),
        start_date=datetime.date(2025, 1, 1),
        source="vetëdeklarim",
        recorded_by=worker,
    )
    out = io.StringIO()
    call_command("generate_population", "--people", "60", "--as-of", "2026-06-30", stdout=out)
    assert Person.objects.filter(synthetic=True).count() == 60
    # References continue after the real ones.
    synthetic_2025 = Case.objects.filter(person__synthetic=True, reference__startswith="DUR-2025-")
    assert min(synthetic_2025.values_list("reference", flat=True)) == "DUR-2025-00002"
    # A synthetic member moved into a real household: the household stays.
    moved = Person.objects.filter(synthetic=True).order_by("pk").first()
    Person.objects.filter(pk=moved.pk).update(household=home)

    out = io.StringIO()
    call_command(
        "generate_population", "--people", "0", "--clear", "--as-of", "2026-06-30", stdout=out
    )
    assert "Cleared the previous SYNTHETIC population" in out.getvalue()
    assert not Person.objects.filter(synthetic=True).exists()
    assert not Case.objects.filter(person__synthetic=True).exists()
    assert list(Person.objects.filter(municipality=durres)) == [real]
    assert list(Case.objects.filter(municipality=durres)) == [real_case]
    assert list(Referral.objects.filter(case__municipality=durres)) == [real_referral]
    assert list(Household.objects.filter(municipality=durres)) == [home]
    assert real.categories.count() == 1


def test_references_are_unique_and_numbered_per_year(durres):
    generate_population(durres, people=400, seed=1, as_of=AS_OF)

    cases = list(Case.objects.filter(municipality=durres).values_list("reference", "opened_at"))
    assert len({r for r, _ in cases}) == len(cases)
    for reference, opened_at in cases:
        year = opened_at.astimezone(synthetic.TZ).year
        assert re.fullmatch(rf"DUR-{year}-\d{{5}}", reference)
    referrals = list(Referral.objects.filter(case__municipality=durres).values_list("reference"))
    assert len(set(referrals)) == len(referrals)
    assert all(re.fullmatch(r"REF-DUR-20(25|26)-\d{5}", r) for (r,) in referrals)
    highest = max(int(r[-5:]) for r, o in cases if r.startswith("DUR-2026-"))
    assert next_case_reference(durres, 2026) == f"DUR-2026-{highest + 1:05d}"
    assert next_case_reference(durres, 2031) == "DUR-2031-00001"
    assert next_referral_reference(durres, 2031) == "REF-DUR-2031-00001"


def test_save_with_reference_takes_the_next_number_when_one_is_taken(durres, django_user_model):
    generate_population(durres, people=30, seed=1, as_of=AS_OF)
    existing = Case.objects.filter(municipality=durres).first()
    person = existing.person
    offered = iter([existing.reference, "DUR-2031-00001"])
    case = Case(municipality=durres, unit=person.unit, person=person, owner=existing.owner)
    with transaction.atomic():
        save_with_reference(case, lambda: next(offered))
    assert case.pk and case.reference == "DUR-2031-00001"


def test_the_command_prints_a_synthetic_summary_quickly(durres):
    out = io.StringIO()
    call_command("generate_population", "durres", "--people", "300", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "SYNTHETIC population of Durrës" in text
    assert "people: 300" in text
    assert "cases by step:" in text and "referrals by state:" in text
    seconds = float(re.search(r"done in ([\d.]+) s", text).group(1))
    assert seconds < 10
