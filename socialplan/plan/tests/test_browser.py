"""A citizen reads the plan in a real browser (Playwright driving Debian's Chromium)."""

import pytest

pytestmark = pytest.mark.browser


def test_overview_priority_and_budget(page):
    page.goto(f"{page.base_url}/plans/durres-2025-2028/")
    assert page.locator("html").get_attribute("lang") == "sq"
    assert "Plani Social Vendor i Bashkisë Durrës" in page.locator("h1").inner_text()
    rows = page.locator("main table").first.locator("tbody tr")
    assert rows.count() == 4  # three priorities and the whole plan

    page.locator("main table").first.locator("a").nth(1).click()
    page.wait_for_url("**/p/2/")
    assert "Forcimi i sistemit të Shërbimeve Sociale" in page.locator("h1").inner_text()
    assert page.locator("h3").count() == 9  # measures of objectives 2.1 and 2.2

    page.goto(f"{page.base_url}/plans/durres-2025-2028/budget/")
    declared = page.locator("#declared + table tbody tr")
    assert declared.count() == 27
    assert page.locator("#declared + table tbody tr.bad").count() == 18
    assert "1.250,.000" in page.locator("#interpretations + table").inner_text()


def test_language_switch_to_english_and_back(page):
    page.goto(f"{page.base_url}/plans/durres-2025-2028/funding-needed/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Funding still needed"
    page.get_by_role("button", name="Shqip").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sq"


def test_activity_page_from_the_priority(page):
    page.goto(f"{page.base_url}/plans/durres-2025-2028/p/1/")
    page.get_by_role("link", name="Analiza e nevojave per trajnim per stafin").click()
    page.wait_for_url("**/activities/*/")
    body = page.locator("main").inner_text()
    assert "30,000 All/ Bashkia" in body or "30,000" in body
    assert "Drejtoria e sherbimeve sociale" in body
