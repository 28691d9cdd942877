"""In a real browser: the main pages under the Content-Security-Policy, with no
violation reported, and the page scripts (static files) still at work.

Chromium reports each refused script, style or image on the console
("Refused to ... because it violates the following Content Security Policy
directive"). Synthetic personas: Zana, a superuser; Mira, a registered woman.
"""

# The personas' fixtures are imported, then named as test arguments.
# ruff: noqa: F811

import pytest
from django.contrib.auth import get_user_model

from socialplan.cases import actions
from socialplan.cases.tests.conftest import (  # noqa: F401  (the same personas)
    durres,
    family_member,
    sukth,
    sukth_admin,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def zana(db):
    """Zana, the platform's administrator (superuser, staff)."""
    return get_user_model().objects.create_superuser("zana.admin", password="not-a-real-password")


def _sign_in(page, client, verified_login, user):
    """Give the browser the session of a user logged in past both steps."""
    verified_login(client, user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": page.base_url}]
    )


def _watch(page) -> list[str]:
    problems = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


def _visit(page, path):
    response = page.goto(f"{page.base_url}{path}")
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
    page.wait_for_load_state("networkidle")


def test_public_pages_show_no_policy_violation(page):
    problems = _watch(page)
    for path in (
        "/",
        "/plans/durres-2025-2028/",
        "/plans/durres-2025-2028/budget/",
        "/directory/",
        "/directory/coverage/durres/",
        "/open-data/",
    ):
        _visit(page, path)
    # The stacked funding bars keep their widths without style attributes.
    bar = page.locator(".bar-chart span").first
    _visit(page, "/plans/durres-2025-2028/")
    assert bar.bounding_box()["width"] > 0
    assert problems == []


def test_staff_pages_and_the_admin_show_no_policy_violation(
    page, client, verified_login, zana, family_member, sukth_admin
):
    case = actions.open_case(request=None, person=family_member, by=sukth_admin, summary="x")
    _sign_in(page, client, verified_login, zana)
    problems = _watch(page)
    for path in (
        "/registry/",
        f"/registry/people/{family_member.pk}/",
        f"/cases/{case.pk}/",
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{sukth_admin.pk}/change/",
    ):
        _visit(page, path)
    assert problems == []


def test_the_import_form_script_runs_from_its_static_file(page, client, verified_login, zana):
    """The form's busy line (static/js/busy.js): shown, and the button disabled, once sent."""
    _sign_in(page, client, verified_login, zana)
    problems = _watch(page)
    _visit(page, "/plans/import/")
    # Keep the page as the user sees it while the upload is under way: the
    # test's own listener (added through the browser's debugging channel, not
    # the page) cancels the sending after busy.js has done its part.
    page.evaluate(
        "document.querySelector('form[data-busy]')"
        ".addEventListener('submit', (event) => event.preventDefault())"
    )
    assert page.locator("#reading").is_hidden()
    page.locator("form[data-busy] button[type=submit]").click()
    page.locator("#reading").wait_for(state="visible")
    assert page.locator("form[data-busy] button[type=submit]").is_disabled()
    assert problems == []


def test_the_api_docs_work_under_the_policy(page):
    problems = _watch(page)
    _visit(page, "/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Local Social Plan API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10
    assert problems == []
