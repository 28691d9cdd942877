"""Security headers: the Content-Security-Policy, no-store on personal data,
and `check --deploy` clean with the production environment of docs/deployment.md.

Synthetic personas (Elira, administrator of Sukth; Mira, a woman she registered).
"""
# The personas' fixtures are imported, then named as test arguments.
# ruff: noqa: F811

import datetime
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from socialplan.accounts.models import ApiToken, AuditEvent
from socialplan.cases import actions
from socialplan.cases.models import Status
from socialplan.cases.tests.conftest import (  # noqa: F401  (the same personas)
    day_centre,
    durres,
    family_member,
    login,
    sukth,
    sukth_admin,
)

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = BASE_DIR / "templates"


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        if words := part.split():
            directives[words[0]] = words[1:]
    return directives


def assert_strict(response):
    csp = policy(response)
    assert csp.get("default-src") == ["'self'"], response.headers
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]


def assert_no_store(response):
    assert "no-store" in response.headers.get("Cache-Control", ""), response.headers
    assert response.headers.get("Pragma") == "no-cache"


@pytest.fixture
def mira_case(family_member, sukth_admin):
    return actions.open_case(request=None, person=family_member, by=sukth_admin, summary="x")


# --- Content-Security-Policy ------------------------------------------------


def test_csp_on_a_public_page_a_staff_page_and_the_api(client, login, sukth_admin, durres_plan):
    home = client.get("/")
    assert home.status_code == 200
    assert_strict(home)
    api = client.get("/api/v1/plans")
    assert api.status_code == 200
    assert_strict(api)
    login(sukth_admin)
    register = client.get("/registry/")
    assert register.status_code == 200
    assert_strict(register)


# Rendered by WeasyPrint into PDFs only, never sent to a browser: their
# <style> elements do not meet the policy (docs/deployment.md).
PDF_ONLY = {
    "cases/referral_form.html",
    "monitoring/annual_report.html",
    "emergency/list_print.html",
}
TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I | re.S)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_inline_script_handler_javascript_url_or_style_in_any_template():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        text = path.read_text()
        if INLINE_SCRIPT.search(text):
            found.append(f"{name}: <script> without src")
        if "javascript:" in text.lower():
            found.append(f"{name}: javascript: URL")
        for tag in TAG.findall(text):
            if HANDLER.search(tag):
                found.append(f"{name}: event handler in {tag[:60]}")
            if name not in PDF_ONLY and re.search(r"\sstyle\s*=", tag, re.I):
                found.append(f"{name}: style attribute in {tag[:60]}")
        if name not in PDF_ONLY and re.search(r"<style\b", text, re.I):
            found.append(f"{name}: <style> element")
    assert found == []


# --- Cache-Control: no-store ------------------------------------------------


def test_a_person_page_is_not_stored(client, login, sukth_admin, family_member):
    login(sukth_admin)
    response = client.get(f"/registry/people/{family_member.pk}/")
    assert response.status_code == 200
    assert "Mira" in response.content.decode()
    assert_no_store(response)
    assert AuditEvent.objects.filter(user=sukth_admin, object_id=str(family_member.pk)).exists()


def test_a_case_page_is_not_stored(client, login, sukth_admin, mira_case):
    login(sukth_admin)
    response = client.get(f"/cases/{mira_case.pk}/")
    assert response.status_code == 200
    assert_no_store(response)


def test_the_api_people_list_with_a_token_is_not_stored(client, sukth_admin, family_member):
    _token, secret = ApiToken.issue(user=sukth_admin, name="headers test")
    response = client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["count"] >= 1
    assert_no_store(response)


def test_a_referral_pdf_is_not_stored(client, login, sukth_admin, mira_case, day_centre):
    for step in (Status.ASSESSMENT, Status.CASE_PLAN):
        actions.move_case(request=None, case=mira_case, to=step, by=sukth_admin)
    consent = actions.record_consent(
        request=None, case=mira_case, by=sukth_admin, recipient=day_centre.organisation,
        purpose="kujdes ditor", given_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    referral = actions.refer(
        request=None, case=mira_case, service=day_centre, by=sukth_admin,
        purpose="kujdes ditor", consent=consent,
    )  # fmt: skip
    login(sukth_admin)
    response = client.get(f"/cases/referrals/{referral.pk}/form.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_no_store(response)
    assert AuditEvent.objects.filter(user=sukth_admin, action="export").exists()


def test_a_public_page_to_logged_in_staff_is_not_stored(client, login, sukth_admin, durres_plan):
    # Staff see more on some public pages (a refuge's address in the directory).
    login(sukth_admin)
    response = client.get("/directory/")
    assert response.status_code == 200
    assert_no_store(response)


def test_public_pages_to_the_public_keep_their_caching(client, durres_plan):
    for url in ("/", "/plans/durres-2025-2028/", "/api/v1/plans"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
        assert "Pragma" not in response.headers


# --- check --deploy with the documented production environment --------------


def documented_production_environment() -> dict[str, str]:
    """The ```env block of docs/deployment.md, with a real secret key."""
    text = (BASE_DIR / "docs" / "deployment.md").read_text()
    block = re.search(r"```env\n(.*?)```", text, re.S).group(1)
    env = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def manage(*args, environment: dict[str, str]) -> subprocess.CompletedProcess:
    # The test run's own switches (DJANGO_ALLOW_ASYNC_UNSAFE, the settings module
    # of pytest) stay out of the child process.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_"))
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        environment=documented_production_environment(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = documented_production_environment()
    del environment["SECRET_KEY"]
    result = manage("check", environment=environment)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_https_switches_follow_the_environment():
    show = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    production = manage(
        "shell", "--no-imports", "-c", show, environment=documented_production_environment()
    )
    assert production.stdout.split() == [
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    switched = manage(
        "shell", "--no-imports", "-c", show,
        environment={**documented_production_environment(), "SECURE_SSL_REDIRECT": "0",
                     "SECURE_HSTS_SECONDS": "300", "BEHIND_PROXY": "0"},
    )  # fmt: skip
    assert switched.stdout.split() == ["False", "300", "True", "None"]
