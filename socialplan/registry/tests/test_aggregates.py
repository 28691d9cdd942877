"""Aggregates of the register, cases and referrals, and the protection of public tables.

Small synthetic data made here with the ORM, in a municipality of its own
(Berat) so the Durrës data loaded for other tests does not count.
"""

import datetime
import random

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from socialplan import disclosure
from socialplan.accounts.models import Membership
from socialplan.cases.models import Case, Referral, Status
from socialplan.directory.models import Category, Organisation, Service
from socialplan.registry.aggregates import (
    Table,
    build_aggregates,
    caseloads,
    cases_by_step,
    people_by_category_and_age_group,
    people_by_category_and_sex,
    people_by_category_and_start_year,
    people_by_category_and_unit,
    public_people_tables,
    referrals_by_service_and_outcome,
    referrals_by_service_and_state,
    time_to_first_service,
    unit_caseloads,
)
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit, Municipality

ON = datetime.date(2026, 6, 30)
NOW = timezone.make_aware(datetime.datetime(2026, 6, 30, 12, 0))


# Protection on hand-made tables (socialplan.disclosure) --------------------


def table(cells, title="t") -> Table:
    return Table.from_counts(
        title=title,
        rows=[(i, f"row {i}") for i in range(len(cells))],
        columns=[(j, f"column {j}") for j in range(len(cells[0]))],
        counts={(i, j): v for i, row in enumerate(cells) for j, v in enumerate(row)},
    )


def cell_key(row, column):
    return ("t", row, column)


def assert_protected(raw: Table, shown: Table):
    """Every figure a multiple of 5 within 4 of the truth; everything adds up."""
    assert shown.is_protected and not raw.is_protected
    pairs = [
        *zip(sum(raw.cells, ()), sum(shown.cells, ()), strict=True),
        *zip(raw.row_totals, shown.row_totals, strict=True),
    ]
    for true, published in pairs:
        assert published % 5 == 0
        assert abs(published - true) <= 4, "within 4 of the true count"
        if true % 5 == 0:
            assert published == true, "0 and multiples of 5 are kept"
    for i, row in enumerate(shown.cells):
        assert sum(row) == shown.row_totals[i]
    for j, total in enumerate(shown.column_totals):
        assert sum(row[j] for row in shown.cells) == total
    assert sum(shown.row_totals) == shown.total


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_are_rounded_within_4_and_add_up(seed):
    rng = random.Random(seed)
    rows, columns = rng.randint(1, 7), rng.randint(1, 7)
    raw = table(
        [
            [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for _ in range(columns)]
            for _ in range(rows)
        ]
    )
    shown = disclosure.protect(raw, cell_key=cell_key, row_key=lambda r: ("row", r))
    assert_protected(raw, shown)
    again = disclosure.protect(raw, cell_key=cell_key, row_key=lambda r: ("row", r))
    assert again == shown, "the same data is published the same way every time"


def test_a_row_total_is_the_same_in_every_table_that_shares_it():
    by_sex = table([[3, 1], [2, 2]])
    by_age = table([[1, 1, 2], [0, 4, 0]])
    shown = [
        disclosure.protect(t, cell_key=cell_key, row_key=lambda r: ("row", r))
        for t in (by_sex, by_age)
    ]
    assert shown[0].row_totals == shown[1].row_totals
    # And the same as the count published on its own (the national roll-up).
    assert shown[0].row_totals[0] == disclosure.round_count(4, ("row", 0))


def test_rounding_is_unbiased_over_many_keys():
    published = [disclosure.round_count(2, ("k", i)) for i in range(2000)]
    assert set(published) == {0, 5}
    assert 0.35 < published.count(5) / 2000 < 0.45  # 2 rounds up 2 times in 5


def test_without_a_row_key_each_cell_is_rounded_on_its_own():
    raw = table([[1, 2, 3, 4, 6]])
    shown = disclosure.protect(raw, cell_key=cell_key)
    for true, published in zip(raw.cells[0], shown.cells[0], strict=True):
        assert published == disclosure.round_count(true, cell_key(0, raw.cells[0].index(true)))
    assert shown.row_totals[0] == sum(shown.cells[0])


# The register ---------------------------------------------------------------


@pytest.fixture
def berat(db):
    municipality = Municipality.objects.create(code="test-berat", name="Berat")
    for position, (code, name) in enumerate([("qender", "Qendër"), ("otllak", "Otllak")]):
        AdministrativeUnit.objects.create(
            municipality=municipality, code=code, name=name, kind="urban", position=position
        )
    return municipality


@pytest.fixture
def arben(db, berat):
    """Arben, social administrator of Qendër."""
    user = get_user_model().objects.create_user(
        "arben.qender", first_name="Arben", last_name="Lika"
    )
    unit = AdministrativeUnit.objects.get(municipality=berat, code="qender")
    Membership.objects.create(user=user, municipality=berat, role="unit_admin", unit=unit)
    return user


@pytest.fixture
def mira(db, berat):
    """Mira, an NJVRN worker."""
    user = get_user_model().objects.create_user("mira.njvrn", first_name="Mira", last_name="Cela")
    Membership.objects.create(user=user, municipality=berat, role="njvrn")
    return user


def unit(municipality, code):
    return AdministrativeUnit.objects.get(municipality=municipality, code=code)


def person(municipality, unit_code, by, *, sex="F", born=datetime.date(1980, 1, 1), **fields):
    return Person.objects.create(
        municipality=municipality,
        unit=unit(municipality, unit_code),
        first_name="Test",
        last_name="Person",
        sex=sex,
        date_of_birth=born,
        synthetic=True,
        created_by=by,
        **fields,
    )


def in_category(who, code, by, since=datetime.date(2025, 3, 1), until=None):
    return PersonCategory.objects.create(
        person=who,
        category=Category.objects.get(code=code),
        start_date=since,
        end_date=until,
        source="test",
        recorded_by=by,
    )


def test_people_by_category_and_unit_counts_current_people_once(berat, arben):
    a = person(berat, "qender", arben)
    in_category(a, "elderly", arben)
    in_category(a, "families_in_need", arben)
    in_category(a, "elderly", arben, since=datetime.date(2024, 1, 1))  # a second period
    b = person(berat, "otllak", arben)
    in_category(b, "elderly", arben)
    ended = person(berat, "otllak", arben)
    in_category(ended, "elderly", arben, until=datetime.date(2026, 1, 1))
    future = person(berat, "otllak", arben)
    in_category(future, "elderly", arben, since=datetime.date(2026, 7, 1))
    duplicate = person(berat, "qender", arben, merged_into=a)
    in_category(duplicate, "elderly", arben)

    t = people_by_category_and_unit(berat, on=ON)

    qender, otllak = unit(berat, "qender").pk, unit(berat, "otllak").pk
    assert t.cell("elderly", qender) == 1
    assert t.cell("elderly", otllak) == 1
    assert t.cell("families_in_need", qender) == 1
    assert t.row_total("elderly") == 2
    assert t.column_total(qender) == 2  # person-categories, not people
    assert t.total == 3
    assert t.row_keys == tuple(Category.objects.values_list("code", flat=True))
    assert "domestic_violence" in t.special_rows and "elderly" not in t.special_rows


def test_people_by_sex_age_group_and_start_year(berat, arben):
    ages = {
        "just under 18": (datetime.date(2008, 7, 1), "F"),
        "18 today": (datetime.date(2008, 6, 30), "M"),
        "64": (datetime.date(1961, 7, 1), "F"),
        "65 today": (datetime.date(1961, 6, 30), "F"),
    }
    for born, sex in ages.values():
        in_category(person(berat, "qender", arben, sex=sex, born=born), "children_at_risk", arben)
    old = person(berat, "qender", arben, sex="M")
    in_category(old, "children_at_risk", arben, since=datetime.date(2023, 5, 5), until=ON)

    by_age = people_by_category_and_age_group(berat, on=ON)
    by_sex = people_by_category_and_sex(berat, on=ON)
    by_year = people_by_category_and_start_year(berat, on=ON)

    assert [by_age.cell("children_at_risk", g) for g in ("0-17", "18-64", "65+")] == [1, 3, 1]
    assert by_sex.cell("children_at_risk", "F") == 3
    assert by_sex.cell("children_at_risk", "M") == 2  # an end date is inclusive
    assert by_year.column_keys == (2023, 2025)
    assert by_year.cell("children_at_risk", 2025) == 4
    assert by_year.cell("children_at_risk", 2023) == 1


def test_public_tables_never_break_special_categories_down_by_unit(berat, arben):
    for i in range(20):
        who = person(berat, "qender" if i % 2 else "otllak", arben)
        in_category(who, "elderly", arben)
        if i < 14:
            in_category(who, "children_at_risk", arben)
        if i < 7:
            in_category(who, "domestic_violence", arben)
        if i < 3:
            in_category(who, "families_in_need", arben)

    public = public_people_tables(berat, on=ON)

    by_unit = public.by_unit
    assert "domestic_violence" not in by_unit.row_keys
    assert not by_unit.special_rows
    qender = unit(berat, "qender").pk
    assert by_unit.cell("elderly", qender) == 10
    raw_by_unit = people_by_category_and_unit(berat, on=ON).without_rows(
        set(Category.objects.filter(special=True).values_list("code", flat=True))
    )
    assert_protected(raw_by_unit, by_unit)
    # Unit totals are the sums of the published cells of the categories shown.
    assert by_unit.column_total(qender) == sum(
        by_unit.cell(code, qender) for code in by_unit.row_keys
    )

    special = public.special_totals
    assert special.column_keys == ("municipality",)
    assert special.cell("domestic_violence", "municipality") in (5, 10)  # 7
    assert special.cell("trafficking", "municipality") == 0
    assert set(special.row_keys) == set(
        Category.objects.filter(special=True).values_list("code", flat=True)
    )
    for t in (by_unit, special, public.by_sex, public.by_age_group, public.by_start_year):
        assert t.is_protected
        assert all(v % 5 == 0 for row in t.cells for v in row)
    # By sex (not by place) a special category is kept, rounded like the rest,
    # to the same total as the special categories' table.
    assert "domestic_violence" in public.by_sex.row_keys
    assert public.by_sex.cell("domestic_violence", "M") == 0
    assert public.by_sex.row_total("domestic_violence") == special.cell(
        "domestic_violence", "municipality"
    )
    assert public.by_age_group.row_total("families_in_need") == by_unit.row_total(
        "families_in_need"
    )
    assert public.by_sex.cell("elderly", "F") == 20
    assert_protected(people_by_category_and_sex(berat, on=ON), public.by_sex)


# Cases and referrals --------------------------------------------------------


def make_case(municipality, unit_code, owner, who, *, status=Status.IDENTIFIED, **fields):
    return Case.objects.create(
        municipality=municipality,
        unit=unit(municipality, unit_code),
        person=who,
        reference=f"BRT-{Case.objects.count() + 1:04d}-{who.pk}",
        owner=owner,
        status=status,
        **fields,
    )


@pytest.fixture
def service(berat):
    organisation = Organisation.objects.create(
        municipality=berat, code="qendra", name="Qendra", kind="public", funding="municipal"
    )
    return Service.objects.create(
        municipality=berat,
        organisation=organisation,
        code="dite",
        name="Qendër ditore",
        type="day",
        funding="municipal",
    )


def refer(case, service, by, *, state=Referral.State.SENT, **fields):
    return Referral.objects.create(
        case=case,
        service=service,
        organisation=service.organisation,
        reference=f"R-{Referral.objects.count() + 1}-{case.pk}",
        purpose="test",
        override_reason="test",
        sent_by=by,
        state=state,
        **fields,
    )


def test_cases_by_step_caseloads_and_overdue(berat, arben, mira):
    who = person(berat, "qender", arben)
    late = NOW - datetime.timedelta(days=1)
    later = NOW + datetime.timedelta(days=1)
    make_case(berat, "qender", arben, who, due_at=late)
    make_case(berat, "qender", arben, who, status=Status.ASSESSMENT, due_at=later)
    make_case(berat, "otllak", mira, who, status=Status.REFERRED, due_at=late)
    make_case(berat, "otllak", mira, who, status=Status.CLOSED, due_at=late)

    steps = cases_by_step(berat)
    loads = caseloads(berat, now=NOW)
    units = unit_caseloads(berat, now=NOW)

    assert steps.row_total(Status.IDENTIFIED) == 1
    assert steps.row_total(Status.CLOSED) == 1
    assert steps.column_total("njvrn") == 2 and steps.column_total("other") == 2
    assert steps.cell(Status.REFERRED, "njvrn") == 1
    assert [(c.owner, c.open_cases, c.overdue_cases, c.njvrn) for c in loads] == [
        ("Arben Lika", 2, 1, False),
        ("Mira Cela", 1, 1, True),
    ]
    assert [(u.unit, u.open_cases, u.overdue_cases) for u in units] == [
        ("Qendër", 2, 1),
        ("Otllak", 1, 1),
    ]


def test_referrals_by_service_state_and_outcome(berat, arben, service):
    case = make_case(berat, "qender", arben, person(berat, "qender", arben))
    refer(case, service, arben)
    refer(case, service, arben, state=Referral.State.DECLINED)
    refer(case, service, arben, state=Referral.State.COMPLETED, outcome="served")
    refer(case, service, arben, state=Referral.State.COMPLETED, outcome="served")

    by_state = referrals_by_service_and_state(berat)
    by_outcome = referrals_by_service_and_outcome(berat)

    assert by_state.row_labels == ("Qendër ditore (Qendra)",)
    assert by_state.cell(service.pk, "sent") == 1
    assert by_state.cell(service.pk, "completed") == 2
    assert by_state.total == 4
    assert by_outcome.cell(service.pk, "served") == 2
    assert by_outcome.cell(service.pk, "not_served") == 0


def test_median_days_from_identification_to_first_service(berat, arben, service):
    who = person(berat, "qender", arben)
    opened = NOW - datetime.timedelta(days=40)
    make_case(
        berat,
        "qender",
        arben,
        who,
        opened_at=opened,
        first_service_at=opened + datetime.timedelta(days=4),
    )
    accepted = make_case(berat, "qender", arben, who, opened_at=opened)
    refer(
        accepted,
        service,
        arben,
        state="accepted",
        responded_at=opened + datetime.timedelta(days=10),
    )
    refer(
        accepted,
        service,
        arben,
        state="accepted",
        responded_at=opened + datetime.timedelta(days=20),
    )
    refer(
        accepted, service, arben, state="declined", responded_at=opened + datetime.timedelta(days=1)
    )
    make_case(
        berat,
        "qender",
        arben,
        who,
        opened_at=opened,
        first_service_at=opened + datetime.timedelta(days=30),
    )
    make_case(berat, "qender", arben, who, opened_at=opened)  # still waiting

    result = time_to_first_service(berat)

    assert result.median_days == 10.0
    assert result.cases == 3
    assert result.waiting == 1


@pytest.mark.parametrize("people", [5, 50])
def test_building_the_aggregates_takes_a_constant_number_of_queries(
    people, berat, arben, mira, service, django_assert_max_num_queries
):
    codes = ["elderly", "domestic_violence", "families_in_need"]
    for i in range(people):
        who = person(
            berat,
            "qender" if i % 3 else "otllak",
            arben,
            sex="FM"[i % 2],
            born=datetime.date(1940 + i, 1, 1),
        )
        in_category(who, codes[i % 3], arben, since=datetime.date(2020 + i % 5, 1, 1))
        case = make_case(berat, "qender", [arben, mira][i % 2], who, status=Status.REFERRED)
        refer(case, service, mira, state="accepted", responded_at=NOW)

    with django_assert_max_num_queries(13):
        aggregates = build_aggregates(berat, on=ON, now=NOW)
    with django_assert_max_num_queries(6):
        public = public_people_tables(berat, on=ON)

    assert aggregates.people_by_unit.total == people
    assert public.special_totals.row_total("domestic_violence") == disclosure.round_count(
        len(range(1, people, 3)), disclosure.people_key(berat.code, "domestic_violence")
    )
    assert aggregates.cases_by_step.total == people
    assert aggregates.time_to_first_service.cases == people
