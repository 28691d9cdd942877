"""The public directory and the staff editing pages."""

from django.urls import reverse

from socialplan.accounts.models import AuditEvent
from socialplan.directory.models import Organisation, Service
from socialplan.directory.tests.conftest import make_service


def _names(response):
    return sorted(s.name for s in response.context["page"])


def test_search_by_words_ignores_diacritics_and_case(client, town):
    response = client.get(reverse("directory:search"), {"q": "QYTEZES"})
    assert _names(response) == ["Qendra Ditore"]
    response = client.get(
        reverse("directory:search"), {"q": "ndihma linja", "municipality": "qyteza"}
    )
    assert _names(response) == ["Linja"]


def test_search_by_category_unit_and_type(client, town):
    url = reverse("directory:search")
    hill = town.units.get(code="kodra")
    here = {"municipality": "qyteza"}
    assert _names(client.get(url, {**here, "category": "elderly"})) == ["Linja", "Qendra Ditore"]
    assert _names(client.get(url, {"unit": hill.pk})) == ["Linja"]
    assert _names(client.get(url, {**here, "type": "emergency"})) == ["Strehezi"]
    assert _names(client.get(url, {**here, "type": "day", "category": "children_at_risk"})) == []


def test_invalid_filters_are_refused_with_a_message(client, town):
    response = client.get(reverse("directory:search"), {"category": "aliens", "unit": "abc"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert 'role="alert"' in response.content.decode()


def test_list_runs_a_constant_number_of_queries(client, town):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = Organisation.objects.get(code="qendra")
    counts = []
    for batch in (2, 30):
        for i in range(batch):
            make_service(
                org, f"sherbim-{batch}-{i}", "community", ["elderly"], list(town.units.all())
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                reverse("directory:search"), {"category": "elderly", "municipality": "qyteza"}
            )
        assert response.status_code == 200
        counts.append(len(queries))
    # the filters' lookups, the count, the page of services, their categories and units
    assert counts[0] == counts[1] <= 9


def test_service_page_for_the_public_hides_a_confidential_address(client, town):
    shelter = Service.objects.get(code="strehezi")
    body = client.get(shelter.get_absolute_url()).content.decode()
    assert "Rruga e Fshehtë" not in body
    assert "Linja e ndihmës 0800 0000" in body
    # nor does any list page show it
    assert "Rruga e Fshehtë" not in client.get(reverse("directory:search")).content.decode()


def test_staff_of_the_municipality_see_the_confidential_address(
    client, town, town_director, verified_login
):
    verified_login(client, town_director)
    body = client.get(Service.objects.get(code="strehezi").get_absolute_url()).content.decode()
    assert "Rruga e Fshehtë 7" in body


def test_unknown_service_is_404(client, town):
    assert client.get(reverse("directory:service", args=[999999])).status_code == 404


def _form_data(service, **changes):
    data = {
        "name": service.name,
        "type": service.type,
        "description": service.description,
        "categories": [c.pk for c in service.categories.all()],
        "units": [u.pk for u in service.units.all()],
        "funding": service.funding,
        "status": service.status,
        "version": service.version,
        "public_contact": service.public_contact,
    }
    if service.confidential:
        data["confidential"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_provider_edits_own_service_and_the_change_is_recorded(client, town, provider_worker):
    client.force_login(provider_worker)
    line = Service.objects.get(code="linja")
    response = client.post(
        reverse("directory:service_edit", args=[line.pk]), _form_data(line, hours="08:00-16:00")
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.hours, line.version) == ("08:00-16:00", 2)
    event = AuditEvent.objects.get(object_type="directory.service", object_id=str(line.pk))
    assert event.user == provider_worker and event.action == "change"
    assert event.changes["hours"] == ["", "08:00-16:00"]
    history = client.get(reverse("directory:history", args=["service", line.pk]))
    assert "08:00-16:00" in history.content.decode()


def test_provider_cannot_edit_another_organisations_service(client, town, provider_worker):
    client.force_login(provider_worker)
    centre = Service.objects.get(code="qendra-ditore")
    url = reverse("directory:service_edit", args=[centre.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _form_data(centre, name="Hacked")).status_code == 403
    centre.refresh_from_db()
    assert centre.name == "Qendra Ditore"
    manage = client.get(reverse("directory:manage"))
    assert sorted(s.code for s in manage.context["page"]) == ["linja", "strehezi"]


def test_a_stale_form_is_refused_and_nothing_changes(client, town, town_director, verified_login):
    verified_login(client, town_director)
    centre = Service.objects.get(code="qendra-ditore")
    stale = _form_data(centre, name="First edit")
    fresh = _form_data(centre, name="Second edit")
    assert (
        client.post(reverse("directory:service_edit", args=[centre.pk]), fresh).status_code == 302
    )
    response = client.post(reverse("directory:service_edit", args=[centre.pk]), stale)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors().as_data()[0].code == "stale"
    centre.refresh_from_db()
    assert centre.name == "Second edit"


def test_a_confidential_service_needs_a_public_contact(client, town, town_director, verified_login):
    verified_login(client, town_director)
    shelter = Service.objects.get(code="strehezi")
    response = client.post(
        reverse("directory:service_edit", args=[shelter.pk]), _form_data(shelter, public_contact="")
    )
    assert response.status_code == 200
    shelter.refresh_from_db()
    assert shelter.public_contact == "Linja e ndihmës 0800 0000"


def test_director_adds_a_service(client, town, town_director, verified_login):
    verified_login(client, town_director)
    org = Organisation.objects.get(code="qendra")
    hill = town.units.get(code="kodra")
    data = {
        "name": "Shërbim lëvizës",
        "type": "mobile",
        "units": [hill.pk],
        "funding": "municipal",
        "status": "active",
        "version": 1,
    }
    response = client.post(reverse("directory:service_create", args=[org.pk]), data)
    assert response.status_code == 302
    created = Service.objects.get(name="Shërbim lëvizës")
    assert created.municipality == town and created.code.startswith("qendra-")
    assert AuditEvent.objects.filter(action="create", object_id=str(created.pk)).exists()


def test_anonymous_users_are_sent_to_log_in(client, town):
    centre = Service.objects.get(code="qendra-ditore")
    response = client.get(reverse("directory:service_edit", args=[centre.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_coverage_pages(client, town, provider_worker, town_director, verified_login):
    public = client.get(reverse("directory:coverage", args=["qyteza"]))
    assert public.status_code == 200
    assert "<svg" in public.content.decode()
    client.force_login(provider_worker)
    assert client.get(reverse("directory:coverage_staff", args=["qyteza"])).status_code == 403
    verified_login(client, town_director)
    staff = client.get(reverse("directory:coverage_staff", args=["qyteza"]))
    assert staff.status_code == 200 and staff.context["public"] is False


def test_search_form_selects_keep_their_names_and_choice(citizen_client, durres_plan):
    from socialplan.territory.models import AdministrativeUnit

    sukth = AdministrativeUnit.objects.get(code="sukth")
    page = citizen_client.get("/directory/", {"unit": sukth.pk, "type": "day"}).content.decode()
    assert '<select name="unit" id="id_unit">' in page
    assert f'<option value="{sukth.pk}" selected>Sukth · Durrës</option>' in page
    assert '<option value="day" selected>' in page
    assert '<select name="municipality" id="id_municipality">' in page
