"""In a real browser: a Sukth administrator registers a person, assesses, refers with consent;
the provider logs in and accepts. (Playwright driving Debian's Chromium; synthetic people.)"""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.cases.models import Referral

pytestmark = pytest.mark.browser


def _log_in(page, username, password, device=None):
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form.login button").click()
    page.wait_for_load_state()
    if device is not None:
        page.wait_for_url("**/accounts/2fa/verify/**")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.locator("form.login input[type=text], form.login input[inputmode]").first.fill(
            str(code).zfill(device.digits)
        )
        page.locator("form.login button").click()
        page.wait_for_load_state()


def test_register_assess_refer_and_accept(page, sukth_admin, provider_worker, day_centre):
    for user in (sukth_admin, provider_worker):
        user.set_password("browser-test-password")
        user.save()
    device = TOTPDevice.objects.create(user=sukth_admin, name="phone", confirmed=True)

    _log_in(page, "elira.sukth", "browser-test-password", device)
    page.goto(f"{page.base_url}/registry/people/new/")
    page.fill("#id_first_name", "Arta")
    page.fill("#id_last_name", "Shembulli")
    page.select_option("#id_sex", "F")
    page.fill("#id_date_of_birth", "1975-06-30")
    page.select_option("#id_unit", label="Sukth")
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/registry/people/*/")
    assert "Arta" in page.locator("h1").inner_text()
    assert "Arta" not in page.url

    page.locator("main a[href$='/assessments/new/']").click()
    page.fill("#id_date", "2026-11-20")
    page.select_option("#id_risk", "high")
    page.select_option("#id_need_income", "3")
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/registry/people/*/")

    page.locator("main a[href*='/cases/new/']").click()
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/cases/*/")
    for step in ("assessment", "case_plan"):
        page.select_option("#id_to", step)
        page.locator("form[action$='/move/'] button").click()
        page.wait_for_load_state()

    page.locator("main a[href$='/consents/new/']").click()
    page.select_option("#id_recipient", str(day_centre.organisation_id))
    page.fill("#id_purpose", "Shërbim ditor")
    page.fill("#id_given_on", "2026-11-20")
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/cases/*/")

    page.locator("main a[href$='/refer/']").click()
    page.select_option("#id_service", str(day_centre.pk))
    page.fill("#id_purpose", "Kujdes ditor")
    page.locator("#id_consent").select_option(index=1)
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/cases/referrals/*/")
    referral = Referral.objects.get(case__person__first_name="Arta")
    assert referral.state == "sent"

    page.context.clear_cookies()
    _log_in(page, "drita.ofrues", "browser-test-password")
    page.goto(f"{page.base_url}/cases/referrals/")
    page.get_by_role("link", name=referral.reference).click()
    assert "Arta" not in page.locator("main").inner_text()  # the name only after accepting
    page.locator("form[action$='/accept/'] button").click()
    page.wait_for_load_state()
    assert "Arta" in page.locator("main").inner_text()
    referral.refresh_from_db()
    assert referral.state == "accepted" and referral.case.status == "in_service"
