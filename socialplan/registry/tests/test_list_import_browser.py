"""In a real browser: a Sukth administrator imports a (synthetic) list of families."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.cases.tests.test_workflow_browser import _log_in
from socialplan.registry.models import Person

pytestmark = pytest.mark.browser

CSV = (
    "Nr. personal;Emri;Mbiemri;Gjinia;Datëlindja;Njësia;Familja;Lidhja\n"
    "K80101001A;Lirie;Shfletuesi;F;01/01/1980;Sukth;F1;kryefamiljar\n"
    ";Toni;Shfletuesi;M;05/06/2012;Sukth;F1;fëmijë\n"
)


def test_upload_map_review_confirm(page, sukth_admin):
    sukth_admin.set_password("browser-test-password")
    sukth_admin.save()
    device = TOTPDevice.objects.create(user=sukth_admin, name="phone", confirmed=True)
    _log_in(page, "elira.sukth", "browser-test-password", device)

    page.goto(f"{page.base_url}/registry/import/")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "lista.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8-sig")}],
    )
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/registry/import/*/columns/")
    # The columns were guessed from the headers: only the category is chosen here.
    page.select_option("#id_category", "families_in_need")
    page.fill("#id_category_source", "vendim NE, maj 2026")
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/registry/import/*/review/")
    assert page.locator("main table tbody tr").count() == 2
    assert Person.objects.filter(last_name="Shfletuesi").count() == 0  # nothing yet
    page.locator("form[action$='/confirm/'] button").click()
    # The list is registered by a background task (run at once in tests); the page says so.
    page.locator("[role=status] .good").wait_for()
    page.get_by_role("link", name="Open the register").or_(
        page.get_by_role("link", name="Hap regjistrin")
    ).click()
    page.wait_for_url("**/registry/")
    people = Person.objects.filter(last_name="Shfletuesi")
    assert people.count() == 2
    assert people.get(first_name="Lirie").categories.get().category.code == "families_in_need"
