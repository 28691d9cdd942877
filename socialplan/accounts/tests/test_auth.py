"""Logging in: failed attempts are audited, repeated ones lock out, staff who
reach personal data add a TOTP code, and idle sessions end."""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.accounts.access import requires_two_factor
from socialplan.accounts.enrolment import issue_code
from socialplan.accounts.management.commands.seed_demo import ensure_demo_device
from socialplan.accounts.middleware import is_public
from socialplan.accounts.models import AuditEvent, Membership
from socialplan.accounts.session_lifetime import LOGGED_IN_AT
from socialplan.directory.models import Organisation
from socialplan.directory.tests.conftest import make_service
from socialplan.territory.models import Municipality

PASSWORD = "not-a-real-password"
MANAGE = "/directory/manage/"


@pytest.fixture
def durres(durres_plan):
    return Municipality.objects.get(code="durres")


def _staff(django_user_model, durres, username, role, **extra):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, municipality=durres, role=role, **extra)
    return user


@pytest.fixture
def mira(django_user_model, durres):
    """Mira, director of social services in Durrës (a synthetic person)."""
    return _staff(django_user_model, durres, "mira.director", "director")


@pytest.fixture
def besa(django_user_model, durres):
    """Besa, a planning officer: the plan only, no personal data."""
    return _staff(django_user_model, durres, "besa.planner", "planner")


def _log_in(client, username, password=PASSWORD, next_url="", **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, **extra)


def _code(device, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():06d}"


def _logged_in(client):
    return "_auth_user_id" in client.session


# Failed logins


def test_a_failed_login_is_audited_without_the_password(client, mira):
    response = _log_in(client, "mira.director", "wrong-secret-1")
    assert response.status_code == 200 and not _logged_in(client)
    event = AuditEvent.objects.get(action="login_failed")
    assert (event.user, event.ip, event.summary) == (mira, "127.0.0.1", "")
    assert "wrong-secret-1" not in str(event.__dict__)


def test_an_unknown_username_is_not_stored_anywhere(client, mira):
    # Typed into the wrong box, a username may well be a password.
    _log_in(client, "Pa55word-in-the-wrong-box", "whatever")
    event = AuditEvent.objects.get(action="login_failed")
    assert (event.user, event.summary) == (None, "unknown username")
    for row in AuditEvent.objects.all():
        assert "Pa55word" not in str(row.__dict__)
    for attempt in AccessAttempt.objects.all():
        assert "Pa55word" not in str(attempt.__dict__)
        assert "whatever" not in str(attempt.__dict__)


# Lockout


def test_five_failures_lock_out_that_username_from_that_address(client, besa):
    statuses = [_log_in(client, "besa.planner", f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = _log_in(client, "besa.planner")  # the right password, too late
    assert refused.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in refused.templates]
    assert "besa.planner" not in refused.content.decode()
    assert not _logged_in(client)
    assert AuditEvent.objects.filter(action="login_failed", user=besa).count() == 6
    # the same username from another computer is not locked out
    elsewhere = _log_in(client, "besa.planner", REMOTE_ADDR="10.20.30.40")
    assert elsewhere.status_code == 302 and _logged_in(client)


def test_a_successful_login_resets_the_count(client, besa):
    for i in range(4):
        _log_in(client, "besa.planner", f"wrong-{i}")
    assert _log_in(client, "besa.planner").status_code == 302
    client.logout()
    for i in range(4):
        assert _log_in(client, "besa.planner", f"wrong-again-{i}").status_code == 200


def test_the_lockout_page_speaks_english_too(english_client, besa):
    for i in range(5):
        response = _log_in(english_client, "besa.planner", f"wrong-{i}")
    assert "30 minutes" in response.content.decode()


# Successful log-ins


def test_a_successful_login_and_logout_are_audited(client, besa):
    _log_in(client, "besa.planner", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="login")
    assert (event.user, event.ip) == (besa, "10.1.2.3")
    assert PASSWORD not in str(event.__dict__)
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="logout", user=besa).count() == 1


def test_a_right_two_factor_code_is_audited(client, mira):
    device = TOTPDevice.objects.create(user=mira, name="phone", confirmed=True)
    _log_in(client, "mira.director")
    assert AuditEvent.objects.filter(action="login", user=mira).count() == 1
    assert not AuditEvent.objects.filter(action="login_2fa").exists()
    client.post(reverse("accounts:two_factor_verify"), {"code": _code(device)})
    assert AuditEvent.objects.filter(action="login_2fa", user=mira).count() == 1


# Two-factor authentication


def test_who_must_use_two_factor(mira, besa, django_user_model, durres):
    provider = _staff(
        django_user_model,
        durres,
        "drita.provider",
        "provider",
        organisation=Organisation.objects.filter(municipality=durres).first(),
    )
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    assert [requires_two_factor(u) for u in (mira, besa, provider, root)] == [
        True,
        False,
        False,
        True,
    ]


def _enrol_with_a_code(client, user, next_url=""):
    """Enter a fresh enrolment code on the set-up page, as a user given one would."""
    code = issue_code(user=user)
    setup = reverse("accounts:two_factor_setup")
    response = client.post(setup, {"enrolment_code": code, "next": next_url})
    assert response.status_code == 302 and response["Location"].startswith(setup)
    return response


def test_a_director_without_a_device_sets_one_up_then_works(client, mira):
    response = _log_in(client, "mira.director", next_url=MANAGE)
    setup = reverse("accounts:two_factor_setup")
    assert response.status_code == 302 and response["Location"].startswith(setup)
    # logged in with the password, but every guarded page sends her to set up
    assert client.get(MANAGE)["Location"].startswith(setup)
    # the set-up page first asks for the administrator's enrolment code
    asked = client.get(response["Location"])
    assert "otpauth_uri" not in asked.context and not TOTPDevice.objects.filter(user=mira)
    response = _enrol_with_a_code(client, mira, MANAGE)
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["otpauth_uri"].startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=mira, confirmed=False)
    assert page.context["secret"] in page.content.decode()
    # the same secret on a second visit, so a scanned code keeps working
    assert client.get(setup).context["secret"] == page.context["secret"]
    confirmed = client.post(setup, {"code": _code(device), "next": MANAGE})
    assert confirmed.status_code == 302 and confirmed["Location"] == MANAGE
    assert client.get(MANAGE).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    actions = list(AuditEvent.objects.filter(user=mira).values_list("action", flat=True))
    assert {"login", "enrol_code", "enrol", "login_2fa"} <= set(actions)


def test_a_wrong_code_is_refused_and_audited(client, mira):
    _log_in(client, "mira.director")
    setup = reverse("accounts:two_factor_setup")
    _enrol_with_a_code(client, mira)
    client.get(setup)
    device = TOTPDevice.objects.get(user=mira)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(setup, {"code": wrong})
    assert response.status_code == 200 and response.context["form"].errors
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(MANAGE).status_code == 302
    assert AuditEvent.objects.filter(
        action="login_failed", user=mira, summary="wrong two-factor code"
    ).exists()


def test_a_director_with_a_device_enters_a_code(client, mira):
    device = TOTPDevice.objects.create(user=mira, name="phone", confirmed=True)
    response = _log_in(client, "mira.director", next_url=MANAGE)
    verify = reverse("accounts:two_factor_verify")
    assert response["Location"].startswith(verify)
    # the password alone cannot enrol another device
    assert client.get(reverse("accounts:two_factor_setup"))["Location"].startswith(verify)
    assert client.post(verify, {"code": "12345x"}).status_code == 200
    done = client.post(verify, {"code": _code(device), "next": MANAGE})
    assert done.status_code == 302 and done["Location"] == MANAGE
    assert client.get(MANAGE).status_code == 200


def test_the_admin_is_guarded_too(client, durres, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(root)
    assert client.get("/admin/")["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_a_redirect_keeps_the_path_but_never_the_query(client, mira):
    client.force_login(mira)
    response = client.get("/directory/manage/?q=a-name")
    assert response.status_code == 302 and "a-name" not in response["Location"]


def test_staff_without_personal_data_need_no_code(client, besa):
    response = _log_in(client, "besa.planner", next_url=MANAGE)
    assert response["Location"] == MANAGE
    assert client.get(MANAGE).status_code == 200


def test_two_factor_can_be_switched_off_for_a_demo(client, mira, settings):
    settings.OTP_REQUIRED = False
    assert _log_in(client, "mira.director", next_url=MANAGE)["Location"] == MANAGE
    assert client.get(MANAGE).status_code == 200


def test_public_pages_need_no_two_factor(client, mira, durres, durres_plan):
    shelter = make_service(
        Organisation.objects.filter(municipality=durres).first(),
        "strehez-test",
        "emergency",
        ["domestic_violence"],
        [],
        confidential=True,
        address="Rruga e Fshehtë 9",
        public_contact="Linja 0800 0000",
    )
    public = [
        "/",
        durres_plan.get_absolute_url(),
        reverse("directory:search"),
        shelter.get_absolute_url(),
        reverse("directory:coverage", args=["durres"]),
        reverse("territory:municipality", args=["durres"]),
        reverse("needs:figures", args=["durres"]),
        "/api/v1/plans",
    ]
    for url in public:
        assert client.get(url).status_code == 200, url
    # a director who has not entered her code browses them as the public:
    # a refuge's address waits for the code
    client.force_login(mira)
    for url in public:
        assert client.get(url).status_code == 200, url
    assert "Rruga e Fshehtë 9" not in client.get(shelter.get_absolute_url()).content.decode()


def test_the_allow_list_names_public_pages_only(rf):
    public = ["/", "/plans/", "/directory/", "/directory/services/7/", "/needs/durres/"]
    guarded = [
        reverse("directory:manage"),
        reverse("directory:coverage_staff", args=["durres"]),
        reverse("directory:service_edit", args=[7]),
        reverse("directory:organisation_edit", args=[7]),
        reverse("directory:service_create", args=[7]),
        reverse("directory:history", args=["service", 7]),
        "/admin/",
        "/registry/",
        "/registry/people/7/",
        "/cases/",
        "/accounts/audit/",
    ]
    assert all(is_public(rf.get(path)) for path in public)
    assert not any(is_public(rf.get(path)) for path in guarded)
    assert is_public(rf.get("/api/v1/plans")) and not is_public(rf.post("/api/v1/plans"))


def test_verified_login_fixture_passes_both_steps(client, mira, verified_login):
    verified_login(client, mira)
    assert client.get(MANAGE).status_code == 200


# Idle sessions


def test_a_busy_session_still_ends_after_a_working_day(client, besa, settings):
    assert settings.SESSION_MAX_HOURS == 8
    _log_in(client, "besa.planner")
    assert client.get(MANAGE).status_code == 200
    session = client.session
    session[LOGGED_IN_AT] -= 8 * 3600 + 1
    session.save()
    assert client.get(MANAGE)["Location"].startswith(reverse("login"))
    assert not _logged_in(client)


def test_sessions_end_when_idle(client, besa, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    _log_in(client, "besa.planner")
    response = client.get(MANAGE)
    assert response.status_code == 200
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes
    session = Session.objects.get(session_key=cookie.value)
    left = (session.expire_date - timezone.now()).total_seconds()
    assert 29 * 60 < left <= 30 * 60
    # half an hour without a request
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now())
    assert client.get(MANAGE)["Location"].startswith(reverse("login"))


# Demo accounts


def test_demo_totp_prints_a_code_for_a_demo_account_only(mira, django_user_model, capsys):
    with pytest.raises(CommandError):
        call_command("demo_totp", "mira.director")
    TOTPDevice.objects.create(user=mira, name="phone", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_totp", "mira.director")
    demo = django_user_model.objects.create_user("drejtori", password=PASSWORD)
    device = ensure_demo_device(demo)
    call_command("demo_totp", "drejtori")
    code = capsys.readouterr().out.strip()
    assert code.isdigit() and len(code) == 6
    assert device.verify_token(code)


def test_seed_demo_stays_idempotent_for_devices(django_user_model):
    demo = django_user_model.objects.create_user("drejtori", password=PASSWORD)
    ensure_demo_device(demo)
    ensure_demo_device(demo)
    assert TOTPDevice.objects.filter(user=demo, confirmed=True).count() == 1
