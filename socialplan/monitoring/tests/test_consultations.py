"""Consultations: recorded by the directorate, read by anyone, decisions on recommendations."""

import pytest
from django.urls import reverse

from socialplan.accounts.models import AuditEvent, Membership
from socialplan.directory.models import Organisation
from socialplan.monitoring.consultation_actions import decision_state
from socialplan.monitoring.consultation_report import consultations_in_year
from socialplan.monitoring.models import Consultation, Recommendation
from socialplan.plan.models import Activity
from socialplan.territory.models import AdministrativeUnit, Municipality

SLUG = "durres-2025-2028"
PARTICIPANTS = "Të rritur me aftësi të kufizuara = 6\nOJF = 4\n\nBashkia Durrës = 12\n"


def _persona(django_user_model, username, role, **scope):
    user = django_user_model.objects.create_user(username, password="not-a-real-password")
    Membership.objects.create(
        user=user, municipality=Municipality.objects.get(code="durres"), role=role, **scope
    )
    return user


@pytest.fixture
def planner(django_user_model, durres_plan):
    """Olti, planning and monitoring officer of Durrës."""
    return _persona(django_user_model, "olti.planner", "planner")


@pytest.fixture
def director(django_user_model, durres_plan):
    """Arta, director of social services (she logs in with a code too)."""
    return _persona(django_user_model, "arta.drejtore", "director")


@pytest.fixture
def provider(django_user_model, durres_plan):
    """Drita, staff of an NGO that runs services."""
    organisation = Organisation.objects.filter(municipality__code="durres").first()
    return _persona(django_user_model, "drita.ofrues", "provider", organisation=organisation)


@pytest.fixture
def sukth():
    return AdministrativeUnit.objects.get(municipality__code="durres", code="sukth")


@pytest.fixture
def a13(durres_plan):
    return Activity.objects.get(
        measure__objective__priority__plan=durres_plan, measure__objective__code="1.1", code="A 1.3"
    )


def _create(client, sukth, **extra):
    data = {
        "date": "2026-03-12",
        "kind": "focus_group",
        "unit": sukth.pk,
        "participants_text": PARTICIPANTS,
        "notes": "Takim në qendrën komunitare.",
        **extra,
    }
    return client.post(reverse("monitoring:consultation_create", args=[SLUG]), data)


@pytest.fixture
def consultation(client, verified_login, planner, sukth):
    verified_login(client, planner)
    response = _create(client, sukth)
    assert response.status_code == 302, response.content.decode()[:800]
    client.logout()
    return Consultation.objects.get()


def test_planner_records_a_consultation(client, verified_login, planner, sukth, durres_plan):
    verified_login(client, planner)
    assert client.get(reverse("monitoring:consultation_create", args=[SLUG])).status_code == 200
    response = _create(client, sukth)

    consultation = Consultation.objects.get()
    assert response["Location"] == reverse("monitoring:consultation", args=[consultation.pk])
    assert consultation.plan == durres_plan and consultation.unit == sukth
    assert consultation.kind == "focus_group" and str(consultation.date) == "2026-03-12"
    assert consultation.participants == {
        "Të rritur me aftësi të kufizuara": 6,
        "OJF": 4,
        "Bashkia Durrës": 12,
    }
    assert consultation.participant_count == 22 and consultation.recorded_by == planner
    event = AuditEvent.objects.get(object_type="monitoring.consultation")
    assert event.action == "create" and event.user == planner


@pytest.mark.parametrize(
    "text",
    [
        "OJF = 4\nBashkia Durrës 12",  # no "="
        "OJF = katër",  # not a number
        "= 4",  # no group
        "OJF = 4\nojf = 2",  # the same group twice
        "OJF = 0",
        "\n\n",
    ],
)
def test_a_bad_participants_line_is_refused(client, verified_login, planner, sukth, text):
    verified_login(client, planner)
    response = _create(client, sukth, participants_text=text)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Consultation.objects.exists()
    assert not AuditEvent.objects.filter(object_type="monitoring.consultation").exists()


def test_the_error_names_the_bad_line(client, verified_login, planner, sukth):
    client.cookies["django_language"] = "en"
    verified_login(client, planner)
    response = _create(client, sukth, participants_text="OJF = 4\nBashkia Durrës 12")
    assert "Line 2" in response.content.decode()


def test_recommendations_added_and_decided(client, verified_login, director, consultation, a13):
    verified_login(client, director)
    add = reverse("monitoring:recommendation_add", args=[consultation.pk])
    response = client.post(add, {"text": "Shtoni trajnime në Sukth.", "activity": a13.pk})
    assert response.status_code == 302
    response = client.post(add, {"text": "Hapni një qendër ditore në Ishëm."})
    assert response.status_code == 302
    response = client.post(add, {"text": ""})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert consultation.recommendations.count() == 2
    first, second = consultation.recommendations.all()
    assert first.activity == a13 and first.decision == "pending"
    assert second.activity is None

    def decide(recommendation, **data):
        recommendation.refresh_from_db()
        prefix = f"r{recommendation.pk}"
        payload = {f"{prefix}-state": decision_state(recommendation)}
        payload.update({f"{prefix}-{k}": v for k, v in data.items()})
        url = reverse("monitoring:recommendation_decide", args=[recommendation.pk])
        return client.post(url, payload)

    assert decide(first, decision="accepted", activity=a13.pk).status_code == 302
    # Not accepted in full: a justification is required; a rejection changed nothing.
    response = decide(second, decision="rejected")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    response = decide(second, decision="rejected", justification="x", activity=a13.pk)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    second.refresh_from_db()
    assert second.decision == "pending"
    response = decide(second, decision="rejected", justification="Nuk ka buxhet në 2026.")
    assert response.status_code == 302

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.decision, first.activity) == ("accepted", a13)
    assert (second.decision, second.justification) == ("rejected", "Nuk ka buxhet në 2026.")
    events = AuditEvent.objects.filter(object_type="monitoring.recommendation")
    assert events.filter(action="create").count() == 2
    assert events.filter(action="change").count() == 2
    change = events.filter(action="change", object_id=str(second.pk)).get()
    assert change.changes["decision"] == ["pending", "rejected"]

    # A decision made on a page opened before someone else's decision is not saved.
    url = reverse("monitoring:recommendation_decide", args=[first.pk])
    stale = {f"r{first.pk}-decision": "partly", f"r{first.pk}-justification": "Vetëm pjesërisht."}
    response = client.post(url, {**stale, f"r{first.pk}-state": "an old page"})
    assert response.status_code == 409
    first.refresh_from_db()
    assert first.decision == "accepted"

    # The year's summary for the annual report counts the decisions.
    summary = consultations_in_year(consultation.plan, 2026)
    assert summary.recommendation_count == 2
    assert summary.by_decision == {"accepted": 1, "rejected": 1}
    assert summary.participant_total == 22


def test_the_public_reads_consultations(client, consultation, a13):
    Recommendation.objects.create(
        consultation=consultation,
        text="Shtoni trajnime në Sukth.",
        decision="partly",
        justification="Vetëm një trajnim.",
        activity=a13,
    )
    client.cookies["django_language"] = "en"
    response = client.get(reverse("monitoring:consultations", args=[SLUG]))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("monitoring:consultation", args=[consultation.pk]) in body
    assert "Record a consultation" not in body

    response = client.get(reverse("monitoring:consultation", args=[consultation.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Shtoni trajnime në Sukth." in body and "Vetëm një trajnim." in body
    assert a13.get_absolute_url() in body
    assert "Të rritur me aftësi të kufizuara" in body and "Bashkia Durrës" in body
    # The group named after a category in need shows as a vulnerable group represented.
    assert "Adults with disabilities" in body
    # In public a group under 5 is not counted, nor one of a special category (disability),
    # and then neither is the total.
    assert ">&lt;5<" in body and ">12<" in body
    assert ">6<" not in body and ">22<" not in body
    assert "Record the decision" not in body and "Add a recommendation" not in body


def test_staff_see_the_exact_counts_and_the_forms(client, verified_login, director, consultation):
    verified_login(client, director)
    body = client.get(reverse("monitoring:consultation", args=[consultation.pk])).content
    body = body.decode()
    assert ">4<" in body and ">6<" in body and ">22<" in body
    assert reverse("monitoring:recommendation_add", args=[consultation.pk]) in body


def test_the_public_and_providers_cannot_record(client, verified_login, provider, consultation):
    create = reverse("monitoring:consultation_create", args=[SLUG])
    add = reverse("monitoring:recommendation_add", args=[consultation.pk])
    response = client.get(create)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(add, {"text": "Diçka"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    verified_login(client, provider)
    assert client.get(create).status_code == 403
    assert client.post(create, {"date": "2026-03-12", "kind": "public"}).status_code == 403
    assert client.post(add, {"text": "Diçka"}).status_code == 403
    recommendation = Recommendation.objects.create(consultation=consultation, text="Diçka")
    url = reverse("monitoring:recommendation_decide", args=[recommendation.pk])
    assert client.post(url, {f"r{recommendation.pk}-decision": "accepted"}).status_code == 403
    assert Consultation.objects.count() == 1
    recommendation.refresh_from_db()
    assert recommendation.decision == "pending"
    # Reading stays open to them as to anyone.
    assert client.get(reverse("monitoring:consultations", args=[SLUG])).status_code == 200
