"""The public reads the national roll-up in a real browser (Playwright, Debian's Chromium)."""

import datetime

import pytest

from socialplan.national.synthetic import generate_national

pytestmark = pytest.mark.browser


def test_public_national_roll_up(page):
    generate_national(size="small", seed=2, as_of=datetime.date(2026, 11, 30))
    page.goto(f"{page.base_url}/national/")
    page.wait_for_url("**/national/2026/")
    assert page.locator("h1").inner_text() == "Përmbledhja kombëtare 2026"
    main = page.locator("main").inner_text()
    assert "3 bashki." in main
    for name in ("Durrës", "Tiranë", "Elbasan"):
        assert name in main
    # Counts are rounded to a multiple of 5 in public (socialplan.disclosure), never "<5".
    assert "<5" not in main
    # Another year, from the year links.
    page.get_by_role("link", name="2025").click()
    page.wait_for_url("**/national/2025/")
    assert page.locator("h1").inner_text() == "Përmbledhja kombëtare 2025"
    # A visitor cannot open the version with the true figures.
    page.goto(f"{page.base_url}/national/2026/staff/")
    assert "/accounts/login/" in page.url
