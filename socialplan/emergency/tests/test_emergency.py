"""Emergency lists from a synthetic register, access and audit, the response board, exports."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from socialplan.accounts.models import AuditEvent
from socialplan.cases.models import Case, Consent, Referral
from socialplan.directory.models import Category, Service
from socialplan.emergency import actions
from socialplan.emergency.board import coverage_board
from socialplan.emergency.lists import build_list
from socialplan.emergency.models import Response
from socialplan.registry.models import Assessment, Household, Person, PersonCategory


def _person(durres, unit, first, born, by, **extra):
    return Person.objects.create(
        municipality=durres, unit=unit, first_name=first, last_name="Provë", sex="F",
        date_of_birth=born, synthetic=True, created_by=by, **extra,
    )  # fmt: skip


def _category(person, code, detail, by, ended=None):
    PersonCategory.objects.create(
        person=person, category=Category.objects.get(code=code), detail=detail,
        start_date=datetime.date(2025, 1, 1), end_date=ended, source="test", recorded_by=by,
    )  # fmt: skip


@pytest.fixture
def register(durres, sukth, ishem_admin, sukth_admin, day_centre):
    """Who should and should not be on Sukth's list."""
    call_command("seed_emergency", "durres")
    ishem = ishem_admin.memberships.get().unit
    by = sukth_admin
    people = {}
    people["alone"] = _person(durres, sukth, "Vetmja", datetime.date(1940, 1, 1), by)
    _category(people["alone"], "elderly", "jeton vetëm", by)
    people["not_alone"] = _person(durres, sukth, "Meshoqe", datetime.date(1941, 1, 1), by)
    _category(people["not_alone"], "elderly", "jeton me familjen", by)
    people["alone_elsewhere"] = _person(durres, ishem, "Largu", datetime.date(1942, 1, 1), by)
    _category(people["alone_elsewhere"], "elderly", "jeton vetëm", by)
    people["alone_ended"] = _person(durres, sukth, "Dikur", datetime.date(1943, 1, 1), by)
    _category(people["alone_ended"], "elderly", "jeton vetëm", by, ended=datetime.date(2025, 6, 1))
    people["tetra"] = _person(durres, sukth, "Shtrati", datetime.date(1980, 1, 1), by)
    _category(people["tetra"], "adults_disability", "para/tetraplegji", by)
    people["medication"] = _person(durres, sukth, "Ilaçi", datetime.date(1970, 1, 1), by)
    Assessment.objects.create(
        person=people["medication"], date=datetime.date(2026, 1, 1), assessor=by,
        needs={"health": 3}, risk="high",
    )  # fmt: skip
    people["recovered"] = _person(durres, sukth, "Shëruar", datetime.date(1971, 1, 1), by)
    Assessment.objects.create(
        person=people["recovered"], date=datetime.date(2025, 1, 1), assessor=by,
        needs={"health": 3}, risk="high",
    )  # fmt: skip
    Assessment.objects.create(
        person=people["recovered"], date=datetime.date(2026, 1, 1), assessor=by,
        needs={"health": 0}, risk="low",
    )  # fmt: skip
    home = Household.objects.create(
        municipality=durres, unit=sukth, address="Lagjja 1, Rruga e Provës"
    )
    people["parent"] = _person(
        durres, sukth, "Nëna", datetime.date(1995, 1, 1), by, household=home, relationship="head"
    )
    people["infant"] = _person(
        durres, sukth, "Foshnja", timezone.localdate() - datetime.timedelta(days=100), by,
        household=home, relationship="child",
    )  # fmt: skip
    people["residential"] = _person(durres, sukth, "Rezidenti", datetime.date(1950, 1, 1), by)
    residential = Service.objects.filter(municipality=durres, type="residential").first()
    case = Case.objects.create(
        municipality=durres,
        unit=sukth,
        person=people["residential"],
        reference="T-1",
        owner=by,
        status="in_service",
    )
    consent = Consent.objects.create(
        person=people["residential"], case=case, recipient=residential.organisation, purpose="x",
        given_on=datetime.date(2025, 1, 1), recorded_by=by,
    )  # fmt: skip
    Referral.objects.create(
        case=case, service=residential, organisation=residential.organisation, reference="R-T-1",
        purpose="x", consent=consent, sent_by=by, state="accepted",
    )  # fmt: skip
    people["merged"] = _person(
        durres, sukth, "Dyfishi", datetime.date(1940, 1, 1), by, merged_into=people["alone"]
    )
    _category(people["merged"], "elderly", "jeton vetëm", by)
    return people


@pytest.fixture
def event(register, durres, sukth, njvrn_worker):
    return actions.activate(
        request=None, by=njvrn_worker, municipality=durres, kind="cold", title="Valë të ftohti",
        units=[sukth], coordinator=njvrn_worker,
    )  # fmt: skip


def test_the_list_holds_exactly_the_right_people(event, register, sukth):
    listed = {row.person.first_name: row for row in build_list(event, sukth)}
    assert set(listed) == {"Vetmja", "Shtrati", "Ilaçi", "Nëna", "Rezidenti"}
    assert listed["Ilaçi"].needs == ["shëndet"] or listed["Ilaçi"].needs == ["health"]
    assert "Familje me foshnje (nën 1 vjeç)" in listed["Nëna"].reasons


def test_activation_opens_the_protocol_checklist(event):
    steps = list(event.steps.all())
    assert len(steps) == 7
    assert steps[0].due_at == event.started_at + datetime.timedelta(hours=1)
    assert event.protocol.version == 1 and event.protocol.in_use


def test_lists_only_for_roles_that_need_them_and_audited(
    event, login, sukth_admin, ishem_admin, planner, provider_worker, sukth
):  # noqa: E501
    url = reverse("emergency:list", args=[event.pk, sukth.pk])
    assert login(sukth_admin).get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="list", object_id=str(event.pk), user=sukth_admin
    ).exists()
    assert login(ishem_admin).get(url).status_code == 403
    assert login(planner).get(url).status_code == 403
    assert login(planner).get(event.get_absolute_url()).status_code == 200  # the board, counts only
    assert login(provider_worker).get(event.get_absolute_url()).status_code == 404


def test_exports_are_real_files_and_audited(event, login, sukth_admin, sukth, register):
    register["alone"].phone = "=HYPERLINK(1)"
    register["alone"].save()
    client = login(sukth_admin)
    pdf = client.get(reverse("emergency:list_export", args=[event.pk, sukth.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Vetmja" in text and "Meshoqe" not in text
    xlsx = client.get(reverse("emergency:list_export", args=[event.pk, sukth.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert "Vetmja Provë" in values
    assert "'=HYPERLINK(1)" in values  # a formula is written as text
    assert AuditEvent.objects.filter(action="export", object_id=str(event.pk)).count() == 2


def test_the_board_adds_up(event, register, login, sukth_admin, sukth):
    client = login(sukth_admin)
    url = reverse("emergency:respond", args=[event.pk, sukth.pk])
    client.post(url, {"person": register["alone"].pk, "kind": "contacted"})
    client.post(
        url, {"person": register["alone"].pk, "kind": "assisted", "needs_found": "dru zjarri"}
    )
    client.post(url, {"person": register["tetra"].pk, "kind": "not_reached"})
    client.post(url, {"person": register["parent"].pk, "kind": "evacuated"})
    # Someone not on this list cannot be recorded from it.
    client.post(url, {"person": register["not_alone"].pk, "kind": "assisted"})
    board = coverage_board(event)
    row = board.units[0]
    assert (row.listed, row.contacted, row.assisted) == (5, 2, 2)
    assert row.contacted_share == 0.4
    assert not Response.objects.filter(person=register["not_alone"]).exists()


def test_shelter_stays_are_held_to_72_hours(event, register, njvrn_worker):
    stay = actions.admit_to_shelter(
        request=None, by=njvrn_worker, event=event, person=register["alone"]
    )
    assert not stay.over_limit
    stay.admitted_at = timezone.now() - datetime.timedelta(hours=73)
    stay.save()
    assert stay.over_limit
    actions.leave_shelter(request=None, by=njvrn_worker, stay=stay)
    assert stay.left_at is not None


def test_closing_writes_the_report(event, login, njvrn_worker):
    client = login(njvrn_worker)
    client.post(
        reverse("emergency:close", args=[event.pk]), {"what_happened": "Borë e dendur", "gaps": ""}
    )
    event.refresh_from_db()
    assert event.status == "closed" and event.ended_at
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Borë e dendur" in page


def test_exercises_are_recorded_with_participants(login, njvrn_worker, register):
    client = login(njvrn_worker)
    response = client.post(
        reverse("emergency:exercises"),
        {"kind": "simulation", "date": "2026-10-01", "title": "Simulim tërmeti",
         "participants_text": "Bashkia Durrës = 12\nKryqi i Kuq = 5"},
    )  # fmt: skip
    assert response.status_code == 302
    bad = client.post(
        reverse("emergency:exercises"),
        {"kind": "training", "date": "2026-10-01", "title": "x", "participants_text": "Bashkia"},
    )
    assert bad.status_code == 200 and "participants_text" in bad.context["form"].errors
    from socialplan.emergency.models import Exercise

    assert Exercise.objects.get().participant_count == 17


def test_the_board_runs_the_same_queries_for_one_unit_or_many(
    register, durres, sukth, njvrn_worker
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for units in ([sukth], list(durres.units.all())):
        event = actions.activate(
            request=None, by=njvrn_worker, municipality=durres, kind="flood", title="Test",
            units=units, coordinator=njvrn_worker,
        )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            board = coverage_board(event)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert (
        board.listed
        == 5 + board.listed - board.units[[u.unit for u in board.units].index(sukth)].listed
    )
