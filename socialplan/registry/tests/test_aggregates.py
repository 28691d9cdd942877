"""Aggregates of the register, cases and referrals, and small-cell suppression.

Small synthetic data made here with the ORM, in a municipality of its own
(Berat) so the Durrës data loaded for other tests does not count.
"""

import datetime
import random

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

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
    suppress,
    time_to_first_service,
    unit_caseloads,
)
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit, Municipality

ON = datetime.date(2026, 6, 30)
NOW = timezone.make_aware(datetime.datetime(2026, 6, 30, 12, 0))


# Suppression on hand-made tables ----------------------------------------------


def table(cells, title="t") -> Table:
    return Table.from_counts(
        title=title,
        rows=[(i, f"row {i}") for i in range(len(cells))],
        columns=[(j, f"column {j}") for j in range(len(cells[0]))],
        counts={(i, j): v for i, row in enumerate(cells) for j, v in enumerate(row)},
    )


def lines(t: Table):
    """(values, total) for every row and column, and for the margins."""
    for row, total in zip(t.cells, t.row_totals, strict=True):
        yield list(row), total
    for j, total in enumerate(t.column_totals):
        yield [row[j] for row in t.cells], total
    yield list(t.column_totals), t.total
    yield list(t.row_totals), t.total


def assert_safe(raw: Table, shown: Table):
    """The promises of suppress(), checked on a raw table and its suppressed copy."""
    pairs = list(zip(lines(raw), lines(shown), strict=True))
    for (raw_values, raw_total), (values, total) in pairs:
        for raw_value, value in zip([*raw_values, raw_total], [*values, total], strict=True):
            if 1 <= raw_value <= 4:
                assert value is None, "every value from 1 to 4 is suppressed"
            if raw_value == 0:
                assert value == 0, "zero is never suppressed"
            if value is not None:
                assert value == raw_value, "what is shown is the true count"
        hidden = [v for v, s in zip(raw_values, values, strict=True) if s is None]
        if total is None or not hidden:
            continue
        # No suppressed cell can be recomputed from the line's total and visible cells.
        left_over = total - sum(v for v in values if v is not None)
        assert len(hidden) >= 2
        assert all(value != left_over for value in hidden)


def test_cells_from_1_to_4_are_suppressed_and_5_and_0_are_shown():
    raw = table([[1, 5, 0, 40], [4, 9, 0, 30], [2, 7, 0, 50]])

    shown = suppress(raw)

    assert [row[0] for row in shown.cells] == [None, None, None]
    assert shown.cells[0][2] == shown.cells[1][2] == shown.cells[2][2] == 0
    assert shown.column_totals[2] == 0
    assert shown.column_totals[0] == 7  # 1 + 4 + 2: large enough, and its cells are all hidden
    assert shown.is_suppressed and not raw.is_suppressed
    assert_safe(raw, shown)


def test_row_with_one_small_cell_gets_a_second_cell_suppressed():
    raw = table([[3, 10, 12], [20, 30, 40], [25, 35, 45]])

    shown = suppress(raw)

    # 3 alone could be recomputed as 25 - 10 - 12: the next smallest cell, 10, goes too.
    assert shown.cells[0] == (None, None, 12)
    assert shown.row_totals[0] == 25
    # ...and then each of their columns needs a second hidden cell.
    assert shown.cells[1][0] is None and shown.cells[1][1] is None
    assert shown.cells[2] == (25, 35, 45)
    assert_safe(raw, shown)
    assert shown.total == raw.total


def test_small_totals_are_suppressed_with_their_complements():
    raw = table([[1, 2, 0], [0, 0, 0], [30, 40, 50]])

    shown = suppress(raw)

    assert shown.row_totals[0] is None  # 3
    assert shown.row_totals[1] == 0
    # Row totals 3, 0, 120 with the grand total 123: 3 would show as 123 - 120.
    assert shown.row_totals[2] is None
    assert shown.total == 123
    assert_safe(raw, shown)


def test_a_single_column_table_is_safe():
    raw = table([[3], [12], [40], [0]])

    shown = suppress(raw)

    assert shown.cells[0] == (None,) and shown.cells[1] == (None,)
    assert shown.cells[3] == (0,)
    assert_safe(raw, shown)


def test_tables_with_nothing_small_are_unchanged():
    raw = table([[5, 6], [7, 80]])
    shown = suppress(raw)
    assert shown.cells == raw.cells and shown.total == raw.total
    assert shown.display_rows()[0] == ("row 0", ["5", "6"], "11")


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_are_safe(seed):
    rng = random.Random(seed)
    rows, columns = rng.randint(1, 7), rng.randint(1, 7)
    raw = table(
        [
            [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for _ in range(columns)]
            for _ in range(rows)
        ]
    )
    shown = suppress(raw)
    assert_safe(raw, shown)
    assert suppress(shown) == shown, "suppression is stable"


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
    assert by_unit.cell("families_in_need", qender) is None  # 1
    assert by_unit.row_total("families_in_need") is None  # 3
    # 7 children: hidden, or families in need would be 17 - 10 - 7 = 1.
    assert by_unit.cell("children_at_risk", qender) is None
    # Unit totals count only the categories that are shown (1 + 7 + 10).
    assert by_unit.column_total(qender) == 18
    assert_safe(
        people_by_category_and_unit(berat, on=ON).without_rows(
            set(Category.objects.filter(special=True).values_list("code", flat=True))
        ),
        by_unit,
    )

    special = public.special_totals
    assert special.column_keys == ("municipality",)
    assert special.cell("domestic_violence", "municipality") == 7
    assert special.cell("trafficking", "municipality") == 0
    assert set(special.row_keys) == set(
        Category.objects.filter(special=True).values_list("code", flat=True)
    )
    for t in (by_unit, special, public.by_sex, public.by_age_group, public.by_start_year):
        assert t.is_suppressed
        assert all(v is None or v == 0 or v >= 5 for row in t.cells for v in row)
    # By sex (not by place) a special category is kept, suppressed like the rest:
    # here all 20 are women, so the 7 women in it would show as their row total.
    assert "domestic_violence" in public.by_sex.row_keys
    assert public.by_sex.cell("domestic_violence", "M") == 0
    assert public.by_sex.cell("domestic_violence", "F") is None
    assert public.by_sex.row_total("domestic_violence") is None
    assert public.by_sex.cell("elderly", "F") == 20
    assert_safe(people_by_category_and_sex(berat, on=ON), public.by_sex)


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
    assert public.special_totals.row_total("domestic_violence") == (
        None if len(range(1, people, 3)) < 5 else len(range(1, people, 3))
    )
    assert aggregates.cases_by_step.total == people
    assert aggregates.time_to_first_service.cases == people
