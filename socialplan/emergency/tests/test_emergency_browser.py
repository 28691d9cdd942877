"""In a real browser: the NJVRN activates the protocol for a cold wave and records a contact."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.cases.tests.test_workflow_browser import _log_in
from socialplan.emergency.models import Event, Response

pytestmark = pytest.mark.browser


def test_activate_and_record_a_contact(page, njvrn_worker, sukth, sukth_admin):
    import datetime

    from socialplan.directory.models import Category
    from socialplan.registry.models import Person, PersonCategory

    call_command("seed_emergency", "durres")
    person = Person.objects.create(
        municipality=sukth.municipality, unit=sukth, first_name="Vetmja", last_name="Provë",
        sex="F", date_of_birth=datetime.date(1940, 2, 2), synthetic=True, created_by=sukth_admin,
    )  # fmt: skip
    PersonCategory.objects.create(
        person=person, category=Category.objects.get(code="elderly"), detail="jeton vetëm",
        start_date=datetime.date(2025, 1, 1), source="test", recorded_by=sukth_admin,
    )  # fmt: skip
    njvrn_worker.set_password("browser-test-password")
    njvrn_worker.save()
    device = TOTPDevice.objects.create(user=njvrn_worker, name="phone", confirmed=True)
    _log_in(page, "besa.njvrn", "browser-test-password", device)

    page.goto(f"{page.base_url}/emergency/activate/")
    page.select_option("#id_kind", "cold")
    page.fill("#id_title", "Valë të ftohti, janar")
    page.get_by_label("Sukth").check()
    page.select_option("#id_coordinator", str(njvrn_worker.pk))
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/emergency/*/")
    event = Event.objects.get(title="Valë të ftohti, janar")
    assert page.locator("table").nth(1).locator("tr").count() == 7  # the protocol's steps

    page.get_by_role("link", name="Sukth").click()
    page.wait_for_url(f"**/emergency/{event.pk}/units/{sukth.pk}/")
    row = page.locator("tr", has_text="Vetmja")
    row.locator("select[name=kind]").select_option("contacted")
    row.locator("button").click()
    page.wait_for_load_state()
    assert Response.objects.filter(event=event, person=person, kind="contacted").exists()

    page.goto(f"{page.base_url}/emergency/{event.pk}/")
    board = page.locator("#board + table").inner_text()
    assert "Sukth" in board and "100" in board
