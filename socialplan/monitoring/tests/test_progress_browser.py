"""In a real browser: a provider submits a progress report and the planning officer approves it."""

import pytest

from socialplan.cases.tests.test_workflow_browser import _log_in
from socialplan.monitoring.models import ProgressReport
from socialplan.monitoring.tests.test_progress import a122, planner, provider  # noqa: F401

pytestmark = pytest.mark.browser


def test_submit_and_approve(page, a122, provider, planner):  # noqa: F811
    for user in (provider, planner):
        user.set_password("browser-test-password")
        user.save()
    _log_in(page, "ofrues.prove", "browser-test-password")
    page.goto(f"{page.base_url}/monitoring/durres-2025-2028/2026/reports/new/{a122.pk}/")
    page.select_option("#id_status", "on_track")
    page.fill("#id_narrative", "Dy trajnime u zhvilluan në mars dhe qershor.")
    page.locator("input[name^=target_]").first.fill("2")
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/monitoring/reports/*/")
    page.locator("form[action$='/submit/'] button").click()
    page.wait_for_load_state()
    report = ProgressReport.objects.get(activity=a122)
    assert report.state == "submitted"

    page.context.clear_cookies()
    _log_in(page, "planifikues.prove", "browser-test-password")
    page.goto(f"{page.base_url}/monitoring/reports/{report.pk}/")
    page.locator("form[action$='/approve/'] button").click()
    page.wait_for_load_state()
    report.refresh_from_db()
    assert report.state == "approved"
    page.goto(f"{page.base_url}/monitoring/durres-2025-2028/2026/")
    assert "Dy trajnime" not in page.locator("main").inner_text()  # the dashboard shows figures
    assert page.locator("main svg").count() >= 2
