"""A citizen finds a service in a real browser (Playwright driving Debian's Chromium)."""

import pytest

pytestmark = pytest.mark.browser


def test_search_the_directory_and_open_a_service(page):
    page.goto(f"{page.base_url}/")
    page.get_by_label("Gjej një shërbim social").fill("te moshuar")
    page.keyboard.press("Enter")
    page.wait_for_url("**/directory/?q=*")
    results = page.locator("ul.results > li.card")
    assert results.count() >= 1
    # Narrow by unit with the keyboard-reachable form, then open the first result.
    page.select_option("#id_category", "elderly")
    page.get_by_role("button", name="Kërko").click()
    page.wait_for_load_state()
    first = page.locator("ul.results > li.card h3 a").first
    name = first.inner_text()
    first.click()
    page.wait_for_url("**/directory/services/*/")
    assert page.locator("h1").inner_text() == name
    assert page.locator("main").get_by_text("Të moshuar në nevojë").count() >= 1


def test_confidential_address_is_not_shown(page):
    page.goto(f"{page.base_url}/directory/?type=emergency")
    page.locator("ul.results > li.card h3 a").first.click()
    page.wait_for_url("**/directory/services/*/")
    assert "Shkozet" not in page.locator("main").inner_text()
