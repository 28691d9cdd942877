"""The public areas (municipalities, population, needs, consultations) and the emergencies API.

Personas as in test_api_access.py: Elira administers Sukth, Gent Ishëm, Besa
is an NJVRN worker, Drita works for the day centre (a provider).
"""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socialplan.accounts.models import AuditEvent
from socialplan.directory.models import Category
from socialplan.emergency import actions
from socialplan.monitoring.models import Consultation, Recommendation
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit

V1 = "/api/v1"


def test_municipalities_population_and_needs_are_public(client, durres_plan):
    response = client.get(f"{V1}/municipalities")
    assert response.status_code == 200
    durres = next(m for m in response.json() if m["code"] == "durres")
    assert {"sukth", "ishem"} <= {u["code"] for u in durres["units"]}

    population = client.get(f"{V1}/municipalities/durres/population").json()
    assert population["figures"] and {"source", "year", "age_group", "printed", "line"} <= set(
        population["figures"][0]
    )
    assert client.get(f"{V1}/municipalities/nowhere/population").status_code == 404

    needs = client.get(f"{V1}/municipalities/durres/needs?limit=5").json()
    assert needs["count"] > 5 and len(needs["items"]) == 5
    year = next(f["year"] for f in needs["items"] if f["year"])
    by_year = client.get(f"{V1}/municipalities/durres/needs?year={year}&limit=200").json()
    assert by_year["count"] and all(f["year"] == year for f in by_year["items"])
    table = next(f["table"] for f in needs["items"] if f["table"])
    by_table = client.get(f"{V1}/municipalities/durres/needs?table={table}&limit=200").json()
    assert by_table["count"] and all(f["table"] == table for f in by_table["items"])
    category = (
        durres_plan.municipality.need_figures.filter(category__isnull=False)
        .values_list("category__code", flat=True)
        .first()
    )
    by_category = client.get(f"{V1}/municipalities/durres/needs?category={category}").json()
    assert by_category["count"] and all(f["category"] == category for f in by_category["items"])


def test_needs_list_takes_constant_queries(client, durres_plan):
    def queries(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{V1}/municipalities/durres/needs?limit={limit}").status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(100)


def test_consultations_hide_small_groups(client, durres_plan, planner):
    consultation = Consultation.objects.create(
        plan=durres_plan, date=datetime.date(2026, 3, 12), kind="public",
        participants={"OJF": 6, "të rinj": 3}, recorded_by=planner,
    )  # fmt: skip
    Recommendation.objects.create(consultation=consultation, text="Më shumë", decision="accepted")
    response = client.get(f"{V1}/plans/{durres_plan.slug}/consultations")
    assert response.status_code == 200
    item = next(c for c in response.json()["items"] if c["id"] == consultation.pk)
    groups = {p["group"]: p for p in item["participants"]}
    assert groups["OJF"]["count"] == 6 and not groups["OJF"]["hidden"]
    assert groups["të rinj"]["count"] is None and groups["të rinj"]["hidden"]
    assert groups["të rinj"]["shown"] == "<5"
    assert item["total"] is None  # 9 would give the 3 away
    assert "3" not in str(groups["të rinj"]) and 9 not in item.values()
    assert item["recommendations"][0]["decision"] == "accepted"
    assert client.get(f"{V1}/plans/no-plan/consultations").status_code == 404


# Emergencies


@pytest.fixture
def event(durres, sukth, sukth_admin, njvrn_worker):
    call_command("seed_emergency", "durres")
    ishem = AdministrativeUnit.objects.get(municipality=durres, code="ishem")
    person = Person.objects.create(
        municipality=durres, unit=sukth, first_name="Vetmja", last_name="Provë", sex="F",
        date_of_birth=datetime.date(1940, 1, 1), synthetic=True, created_by=sukth_admin,
    )  # fmt: skip
    PersonCategory.objects.create(
        person=person, category=Category.objects.get(code="elderly"), detail="jeton vetëm",
        start_date=datetime.date(2025, 1, 1), source="test", recorded_by=sukth_admin,
    )  # fmt: skip
    return actions.activate(
        request=None, by=njvrn_worker, municipality=durres, kind="cold", title="Valë të ftohti",
        units=[sukth, ishem], coordinator=njvrn_worker,
    )  # fmt: skip


def test_emergencies_by_persona(client, bearer, event, sukth, sukth_admin, provider_worker):
    ishem = event.units.get(code="ishem")
    base = f"{V1}/emergencies/{event.pk}"
    elira = bearer(sukth_admin)

    listed = client.get(f"{V1}/emergencies", **elira).json()
    assert [e["id"] for e in listed["items"]] == [event.pk]
    assert listed["items"][0]["list_units"] == [sukth.pk]
    detail = client.get(base, **elira).json()
    assert len(detail["steps"]) == 7 and detail["coverage"]["listed"] == 1

    response = client.get(f"{base}/units/{sukth.pk}/list", **elira)
    assert response.status_code == 200
    assert [p["first_name"] for p in response.json()["items"]] == ["Vetmja"]
    assert AuditEvent.objects.filter(
        action="list", object_id=str(event.pk), user=sukth_admin
    ).exists()
    assert client.get(f"{base}/units/{ishem.pk}/list", **elira).status_code == 403

    drita = bearer(provider_worker)
    assert client.get(base, **drita).status_code == 404
    assert client.get(f"{base}/units/{sukth.pk}/list", **drita).status_code == 404
    assert client.get(f"{V1}/emergencies", **drita).json()["count"] == 0

    for url in (f"{V1}/emergencies", base, f"{base}/units/{sukth.pk}/list"):
        assert client.get(url).status_code == 401
    assert AuditEvent.objects.filter(action="list").count() == 1
