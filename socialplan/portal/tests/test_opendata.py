"""The public portal: the home page and open data, read by a member of the public.

The people here are synthetic (made up for the test), created with the ORM.
"""

import csv
import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from socialplan.directory.models import Category, Organisation, Service
from socialplan.monitoring.models import ProgressReport, Spending, TargetActual
from socialplan.needs.models import NeedFigure
from socialplan.plan.models import Activity, BudgetLine, DeclaredTotal, Target
from socialplan.portal.opendata import DATASETS
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit

SLUG = "durres-2025-2028"
CODES = sorted(DATASETS)
BOM = b"\xef\xbb\xbf"
NNBSP = "\u202f"


def download(client, code, fmt):
    response = client.get(reverse("portal:dataset", args=[SLUG, code, fmt]))
    assert response.status_code == 200, (code, fmt, response.status_code)
    return response


def csv_rows(content: bytes) -> list[dict]:
    assert content.startswith(BOM)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_values(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.fixture
def clerk(db):
    return get_user_model().objects.create_user("portal.clerk", password="x-not-real")


def add_people(plan, by, names=(("Zamira", "Testndoni"),), *, unit="sukth", category="elderly"):
    """Synthetic people in one unit and category: a small group unless many names."""
    unit = AdministrativeUnit.objects.get(municipality=plan.municipality, code=unit)
    people = []
    for first, last in names:
        person = Person.objects.create(
            municipality=plan.municipality, unit=unit, first_name=first, last_name=last,
            sex="F", date_of_birth=datetime.date(1950, 5, 17), synthetic=True, created_by=by,
        )  # fmt: skip
        PersonCategory.objects.create(
            person=person, category=Category.objects.get(code=category),
            start_date=datetime.date(2026, 2, 1), source="test", recorded_by=by,
        )  # fmt: skip
        people.append(person)
    return people


@pytest.mark.parametrize("code", CODES)
def test_every_dataset_downloads_in_three_formats(citizen_client, durres_plan, code):
    dataset = DATASETS[code]
    expected = len(dataset.rows(durres_plan))

    response = download(citizen_client, code, "csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{SLUG}_{code}.csv"'
    rows = csv_rows(response.content)
    assert len(rows) == expected
    assert list(rows[0]) == dataset.field_names if rows else True

    sheets = xlsx_values(download(citizen_client, code, "xlsx").content)
    assert list(sheets) == [code, "Fjalori"]
    assert list(sheets[code][0]) == dataset.field_names
    assert len(sheets[code]) == expected + 1
    dictionary = {row[0] for row in sheets["Fjalori"]}
    assert set(dataset.field_names) <= dictionary

    document = json.loads(download(citizen_client, code, "json").content)
    assert document["dataset"]["code"] == code
    assert [f["name"] for f in document["fields"]] == dataset.field_names
    assert all(f["meaning"] and f["unit"] and f["source"] for f in document["fields"])
    assert len(document["rows"]) == expected


def test_datasets_hold_the_plan(citizen_client, durres_plan):
    """Spot checks against figures the plan pages show."""
    lines = json.loads(download(citizen_client, "budget-lines", "json").content)["rows"]
    assert sum(r["total"] for r in lines if r["source"] == "donor_uncovered") == 68_751_500
    assert any(r["printed"].startswith("1.810,000") and r["amount"] == 1_810_000 for r in lines)
    activities = json.loads(download(citizen_client, "plan-activities", "json").content)["rows"]
    assert sum(r["budget_total"] for r in activities if r["priority"] == 1) == 29_295_000
    reconciliation = json.loads(download(citizen_client, "reconciliation", "json").content)
    differences = [r for r in reconciliation["rows"] if r["check"] == "budget_lines"]
    assert any(r["difference"] == 52_172 for r in differences)
    assert all(r["difference"] == r["declared"] - r["computed"] for r in reconciliation["rows"])


def test_a_formula_in_a_title_stays_text(citizen_client, durres_plan):
    activity = Activity.objects.filter(measure__objective__priority__plan=durres_plan).first()
    activity.title = '=HYPERLINK("http://example.invalid","click")'
    activity.save()
    quoted = "'" + activity.title

    rows = csv_rows(download(citizen_client, "plan-activities", "csv").content)
    assert quoted in [r["title"] for r in rows]
    assert activity.title not in [r["title"] for r in rows]

    book = load_workbook(io.BytesIO(download(citizen_client, "plan-activities", "xlsx").content))
    titles = [c for c in book["plan-activities"].iter_cols(values_only=True) if c[0] == "title"][0]
    assert quoted in titles
    cells = [c for row in book["plan-activities"].iter_rows() for c in row if c.value == quoted]
    assert cells and all(c.data_type == "s" for c in cells)

    rows = json.loads(download(citizen_client, "plan-activities", "json").content)["rows"]
    assert activity.title in [r["title"] for r in rows]  # JSON keeps the text as it is


def test_register_statistics_never_show_a_small_number(citizen_client, durres_plan, clerk):
    add_people(durres_plan, clerk, [("Ana", "Provë"), ("Besa", "Provë")])  # 2 in Sukth
    add_people(durres_plan, clerk, [("Dita", "Provë")], unit="ishem")  # 1 in Ishëm
    add_people(durres_plan, clerk, [(f"Eva{i}", "Provë") for i in range(6)], unit="manez")
    add_people(durres_plan, clerk, [("Fatos", "Provë")], category="domestic_violence")

    rows = json.loads(download(citizen_client, "register-statistics", "json").content)["rows"]
    counts = [r["count"] for r in rows]
    # Protected (socialplan.disclosure): every count a multiple of 5, no "<5".
    assert all(isinstance(c, int) and c % 5 == 0 for c in counts)
    assert {r["rounded_to"] for r in rows} == {5}
    manez = [
        r
        for r in rows
        if r["table"] == "by_unit" and r["column"] == "Manëz" and r["kind"] == "cell"
    ]
    assert [r["count"] for r in manez if r["count"]] in ([5], [10])  # 6 people
    special = [r for r in rows if r["category"] == "domestic_violence"]
    assert special and {r["table"] for r in special} - {"by_unit"} == {r["table"] for r in special}

    for row in csv_rows(download(citizen_client, "register-statistics", "csv").content):
        assert row["count"] not in {"1", "2", "3", "4"}
    sheet = xlsx_values(download(citizen_client, "register-statistics", "xlsx").content)
    column = sheet["register-statistics"][0].index("count")
    assert not [r for r in sheet["register-statistics"][1:] if r[column] in (1, 2, 3, 4)]


def test_the_directory_never_holds_a_confidential_address(citizen_client, durres_plan):
    assert Service.objects.filter(confidential=True, address__contains="Shkozet").exists()
    for fmt in ("csv", "json"):
        assert "Shkozet" not in download(citizen_client, "directory-hsds", fmt).content.decode()
    sheets = xlsx_values(download(citizen_client, "directory-hsds", "xlsx").content)
    assert "Shkozet" not in repr(sheets)
    document = json.loads(download(citizen_client, "directory-hsds", "json").content)
    assert document["hsds"]["services"]  # the whole HSDS dataset rides along
    hidden = [r for r in document["rows"] if r["confidential_location"]]
    assert hidden and not any(r["address"] for r in hidden)
    assert any(r["address"] for r in document["rows"])  # public addresses are published


def _grow(plan, by):
    """More of every kind of row the datasets read."""
    activities = list(Activity.objects.filter(measure__objective__priority__plan=plan)[:6])
    for activity in activities:
        for position in range(50, 55):
            BudgetLine.objects.create(
                activity=activity, position=position, printed="1,000", amount=1000,
                source="donor_uncovered", line=1,
            )  # fmt: skip
        target = Target.objects.create(
            activity=activity, position=50, text="10 trajnime", value=10, unit="trajnime",
            per="year", years=[2026],
        )  # fmt: skip
        report = ProgressReport.objects.create(
            plan=plan, activity=activity, year=2026, status="on_track", state="approved",
            created_by=by,
        )  # fmt: skip
        TargetActual.objects.create(report=report, target=target, value=4)
        Spending.objects.create(report=report, budget_line=activity.budget_lines.first(), amount=5)
    measure = activities[0].measure
    for position in range(60, 65):
        Activity.objects.create(measure=measure, position=position, title="e re", line=1)
    for position in range(900, 905):
        NeedFigure.objects.create(
            municipality=plan.municipality, position=position, line=1, label="Provë",
            measure="need", unit_of_count="persona", area="municipality", value=7, printed="7",
        )  # fmt: skip
    organisation = Organisation.objects.filter(municipality=plan.municipality).first()
    for i in range(4):
        service = Service.objects.create(
            municipality=plan.municipality, organisation=organisation, code=f"prove-{i}",
            name=f"Shërbim prove {i}", type="day", funding="public", status="active",
            address="Rruga e Provës",
        )  # fmt: skip
        service.categories.add(*Category.objects.all()[:2])
        service.units.add(*AdministrativeUnit.objects.filter(municipality=plan.municipality)[:2])
    add_people(plan, by, [(f"Gjin{i}", "Provë") for i in range(8)], unit="ishem")
    priority = plan.priorities.first()
    for position in range(900, 904):
        DeclaredTotal.objects.create(
            plan=plan, position=position, priority=priority, where="action_sheet",
            group="total", printed="1", amount=1,
        )  # fmt: skip


@pytest.mark.parametrize("code", CODES)
def test_query_count_does_not_grow_with_the_rows(citizen_client, durres_plan, clerk, code):
    def queries():
        with CaptureQueriesContext(connection) as context:
            download(citizen_client, code, "json")
        return len(context.captured_queries)

    before_rows = len(DATASETS[code].rows(durres_plan))
    before = queries()
    _grow(durres_plan, clerk)
    assert len(DATASETS[code].rows(durres_plan)) > before_rows
    assert queries() == before
    assert before <= 25


def test_open_data_page_lists_every_dataset_with_formats(english_client, durres_plan):
    response = english_client.get(reverse("portal:open_data"))
    assert response.status_code == 200
    body = response.content.decode()
    for code in CODES:
        for fmt in ("csv", "xlsx", "json"):
            assert reverse("portal:dataset", args=[SLUG, code, fmt]) in body
        assert reverse("portal:dictionary", args=[SLUG, code]) in body


@pytest.mark.parametrize("language", ["sq", "en"])
def test_dictionary_page_names_every_field(client, durres_plan, language):
    client.cookies["django_language"] = language
    response = client.get(reverse("portal:dictionary", args=[SLUG, "budget-lines"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    for name in DATASETS["budget-lines"].field_names:
        assert f"<code>{name}</code>" in body


def test_unknown_dataset_plan_or_format_is_not_found(citizen_client, durres_plan):
    assert citizen_client.get(f"/open-data/{SLUG}/nothing.csv").status_code == 404
    assert citizen_client.get(f"/open-data/{SLUG}/budget-lines.pdf").status_code == 404
    assert citizen_client.get("/open-data/no-plan/budget-lines.csv").status_code == 404
    assert citizen_client.get(f"/open-data/{SLUG}/nothing/dictionary/").status_code == 404


@pytest.mark.parametrize("language", ["sq", "en"])
def test_home_is_the_portal_in_both_languages(
    client, durres_plan, language, django_assert_max_num_queries
):
    client.cookies["django_language"] = language
    with django_assert_max_num_queries(10):
        response = client.get(reverse("portal:home"))
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert durres_plan.vision in body
    assert f"68{NNBSP}751{NNBSP}500" in body  # funding still needed
    assert f"29{NNBSP}295{NNBSP}000" in body  # priority 1, computed
    assert reverse("plan:funding", args=[SLUG]) in body
    assert reverse("portal:open_data") in body
    assert reverse("directory:coverage", args=["durres"]) in body
    assert 'role="search"' in body and 'for="home-q"' in body
    assert "<script" not in body and "<img" not in body
    heading = {"sq": "Financim ende i nevojshëm", "en": "Funding still needed"}[language]
    assert heading in body


def test_home_counts_progress_and_lists_published_reports(
    english_client, durres_plan, clerk, django_assert_max_num_queries
):
    from socialplan.monitoring.models import AnnualReport

    activities = Activity.objects.filter(
        measure__objective__priority__plan=durres_plan, children__isnull=True
    )
    year = 2026
    running = [a for a in activities if not a.years or year in a.years]
    for activity, status in zip(running[:3], ["done", "done", "delayed"], strict=True):
        ProgressReport.objects.create(
            plan=durres_plan, activity=activity, year=year, status=status, state="approved",
            created_by=clerk,
        )  # fmt: skip
    ProgressReport.objects.create(
        plan=durres_plan, activity=running[3], year=year, status="done", created_by=clerk
    )  # a draft does not count
    reports = [
        AnnualReport.objects.create(
            plan=durres_plan,
            year=2025,
            version=v,
            published_by=clerk,
            snapshot={},
            html="",
            pdf=b"",
            docx=b"",
        )  # fmt: skip
        for v in (1, 2)
    ]
    with django_assert_max_num_queries(10):
        response = english_client.get(reverse("portal:home"))
    assert response.context["year"] == year
    statuses = {code: n for code, _label, n in response.context["statuses"]}
    assert statuses["done"] == 2 and statuses["delayed"] == 1
    assert response.context["not_reported"] == len(running) - 3
    body = response.content.decode()
    for report in reports:
        assert report.get_absolute_url() in body


def test_no_personal_data_on_the_home_page_or_in_open_data(citizen_client, durres_plan, clerk):
    add_people(durres_plan, clerk, [("Zamira", "Testndoni")] * 6)
    body = citizen_client.get(reverse("portal:home")).content.decode()
    assert "Testndoni" not in body and "Zamira" not in body
    for code in CODES:
        content = download(citizen_client, code, "json").content.decode()
        assert "Testndoni" not in content and "1950-05-17" not in content


def test_open_data_paths_are_public_and_only_those(rf):
    from socialplan.accounts.middleware import is_public

    public = [
        reverse("portal:open_data"),
        reverse("portal:dataset", args=[SLUG, "register-statistics", "xlsx"]),
        reverse("portal:dictionary", args=[SLUG, "register-statistics"]),
    ]
    assert all(is_public(rf.get(path)) for path in public)
    guarded = ["/open-data/x/y.pdf", "/open-data/x/y/z/", "/open-data/x/y.csv/extra"]
    assert not any(is_public(rf.get(path)) for path in guarded)
