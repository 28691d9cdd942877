"""API tokens: they expire, they end with the password, the account and the
second factor they were issued under, and staff who reach personal data make
them only on a page that asked for their two-factor code."""

import datetime
import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.accounts.models import ApiToken, AuditEvent, Membership
from socialplan.territory.models import Municipality

PASSWORD = "not-a-real-password"
PEOPLE = "/api/v1/people"
TOKENS = "/accounts/tokens/"


@pytest.fixture
def durres(durres_plan):
    return Municipality.objects.get(code="durres")


def _staff(django_user_model, durres, username, role):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, municipality=durres, role=role)
    return user


@pytest.fixture
def mira(django_user_model, durres):
    """Mira, director of social services in Durrës (a synthetic person): personal data."""
    return _staff(django_user_model, durres, "mira.director", "director")


@pytest.fixture
def besa(django_user_model, durres):
    """Besa, a planning officer: the plan only, no personal data."""
    return _staff(django_user_model, durres, "besa.planner", "planner")


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _revocations(user):
    return list(
        AuditEvent.objects.filter(user=user, action="token_revoke").values_list(
            "summary", flat=True
        )
    )


# Expiry


def test_a_token_expires_after_the_configured_days(client, mira, settings):
    settings.API_TOKEN_DAYS = 7
    token, secret = ApiToken.issue(user=mira, name="laptop")
    lifetime = token.expires_at - timezone.now()
    assert datetime.timedelta(days=7) - datetime.timedelta(minutes=1) < lifetime
    assert lifetime <= datetime.timedelta(days=7)
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 401


def test_the_default_lifetime_is_ninety_days(mira):
    token, _secret = ApiToken.issue(user=mira, name="laptop")
    assert (token.expires_at - token.created_at).days in (89, 90)


# Revocation


def test_a_password_change_revokes_every_token(client, mira):
    first, secret = ApiToken.issue(user=mira, name="laptop")
    ApiToken.issue(user=mira, name="phone")
    mira.set_password("a-new-password-2026")
    mira.save()
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 401
    assert not ApiToken.objects.filter(user=mira, revoked_at__isnull=True).exists()
    expected = {f"API token {t.prefix}…: password changed" for t in ApiToken.objects.all()}
    assert set(_revocations(mira)) == expected and len(expected) == 2


def test_other_saves_and_a_rehash_at_login_keep_the_tokens(client, mira, settings):
    _token, secret = ApiToken.issue(user=mira, name="laptop")
    mira.first_name = "Mira"
    mira.save()
    # After an upgrade Django re-hashes the same password at log-in: not a change.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    type(mira).objects.filter(pk=mira.pk).update(password=make_password(PASSWORD, hasher="md5"))
    client.post(reverse("login"), {"username": "mira.director", "password": PASSWORD})
    mira.refresh_from_db()
    assert mira.password.startswith("pbkdf2_sha256$")
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 200
    assert _revocations(mira) == []


def test_deactivating_the_account_revokes_for_good(client, mira):
    token, secret = ApiToken.issue(user=mira, name="laptop")
    mira.is_active = False
    mira.save()
    mira.is_active = True
    mira.save()
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _revocations(mira) == [f"API token {token.prefix}…: account deactivated"]


def test_removing_the_last_authenticator_revokes_the_tokens(client, mira):
    phone = TOTPDevice.objects.create(user=mira, name="phone", confirmed=True)
    spare = TOTPDevice.objects.create(user=mira, name="spare", confirmed=True)
    token, secret = ApiToken.issue(user=mira, name="laptop")
    phone.delete()  # one left: the token stays
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 200
    spare.delete()
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 401
    assert _revocations(mira) == [f"API token {token.prefix}…: last authenticator app removed"]


def test_a_planner_without_two_factor_keeps_tokens_when_a_device_goes(besa):
    device = TOTPDevice.objects.create(user=besa, name="phone", confirmed=True)
    token, _secret = ApiToken.issue(user=besa, name="laptop")
    device.delete()
    token.refresh_from_db()
    assert token.revoked_at is None


# The tokens page


def test_the_tokens_page_waits_for_the_two_factor_code(client, mira, settings):
    client.post(reverse("login"), {"username": "mira.director", "password": PASSWORD})
    TOTPDevice.objects.create(user=mira, name="phone", confirmed=True)
    assert client.get(TOKENS)["Location"].startswith(reverse("accounts:two_factor_verify"))
    response = client.post(TOKENS, {"name": "laptop"})
    assert response.status_code == 302
    # Even with two-factor switched off for a demo, a password alone makes no token.
    settings.OTP_REQUIRED = False
    assert client.post(TOKENS, {"name": "laptop"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_a_verified_director_makes_lists_and_revokes_a_token(client, mira, verified_login):
    verified_login(client, mira)
    made = client.post(TOKENS, {"name": "NGO case system"})
    assert made.status_code == 200
    secret = made.context["new_secret"]
    token = ApiToken.objects.get(user=mira)
    assert token.key_hash == ApiToken.hash(secret) and token.name == "NGO case system"
    assert secret in made.content.decode() and made["Cache-Control"].startswith("max-age=0")
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 200
    issued = AuditEvent.objects.get(action="token_issue")
    assert (issued.user, issued.object_id) == (mira, str(token.pk))
    assert secret not in str(issued.__dict__)
    # Shown once: the list has its name and prefix, never the secret again.
    listed = client.get(TOKENS).content.decode()
    assert "NGO case system" in listed and token.prefix in listed and secret not in listed
    # Revoking takes a POST with the CSRF token (the test client skips the check).
    revoke = reverse("accounts:token_revoke", args=[token.pk])
    assert client.get(revoke).status_code == 405
    assert client.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(PEOPLE, **_bearer(secret)).status_code == 401
    assert AuditEvent.objects.filter(action="token_revoke", user=mira).count() == 1


def test_nobody_revokes_another_users_token(client, mira, besa):
    token, _secret = ApiToken.issue(user=mira, name="laptop")
    client.force_login(besa)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_without_a_name_is_refused(client, besa):
    client.force_login(besa)
    response = client.post(TOKENS, {"name": "   "})
    assert response.status_code == 200 and response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_tokens_page_is_csrf_protected(besa):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(besa)
    assert strict.post(TOKENS, {"name": "laptop"}).status_code == 403
    assert not ApiToken.objects.exists()


# The command


def test_the_command_refuses_staff_who_reach_personal_data(mira):
    with pytest.raises(CommandError, match="/accounts/tokens/"):
        call_command("create_api_token", "mira.director", "laptop", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_an_operator_may_override_and_it_is_audited(mira):
    out = io.StringIO()
    call_command(
        "create_api_token", "mira.director", "service", "--operator-without-two-factor",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    token = ApiToken.objects.get(user=mira)
    assert token.key_hash == ApiToken.hash(out.getvalue().strip())
    event = AuditEvent.objects.get(action="token_issue")
    assert event.summary == "issued with manage.py by an operator, without two-factor"


def test_the_command_still_serves_staff_without_personal_data(besa):
    out = io.StringIO()
    call_command("create_api_token", "besa.planner", "laptop", stdout=out, stderr=io.StringIO())
    assert ApiToken.objects.get(user=besa).key_hash == ApiToken.hash(out.getvalue().strip())
    assert AuditEvent.objects.filter(action="token_issue", user=besa).count() == 1
