"""Setting up an authenticator app takes a one-time code from an administrator:
the password alone enrols nothing."""

import datetime
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialplan.accounts.enrolment import normalise
from socialplan.accounts.models import AuditEvent, EnrolmentCode, Membership
from socialplan.territory.models import Municipality

PASSWORD = "not-a-real-password"
SETUP = "/accounts/2fa/setup/"
ISSUE_PAGE = "/accounts/enrolment-codes/"


@pytest.fixture
def durres(durres_plan):
    return Municipality.objects.get(code="durres")


def _staff(django_user_model, municipality, username, role):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, municipality=municipality, role=role)
    return user


@pytest.fixture
def arben(django_user_model, durres):
    """Arben, a new NJVRN worker in Durrës (a synthetic person) with no device yet."""
    return _staff(django_user_model, durres, "arben.njvrn", "njvrn")


@pytest.fixture
def mira(django_user_model, durres):
    """Mira, director of social services in Durrës."""
    return _staff(django_user_model, durres, "mira.director", "director")


@pytest.fixture
def teuta(django_user_model):
    """Teuta, a child protection worker in another municipality."""
    elsewhere = Municipality.objects.create(code="test-lezhe", name="Lezhë")
    return _staff(django_user_model, elsewhere, "teuta.pmf", "child_protection")


def _log_in(client, username):
    client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _issue(username) -> str:
    out = io.StringIO()
    call_command("issue_enrolment_code", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def _totp(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_a_password_alone_sees_no_secret_and_enrols_nothing(client, arben):
    _log_in(client, "arben.njvrn")
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "accounts/enrolment_code.html" in [t.name for t in page.templates]
    assert "otpauth" not in page.content.decode() and "secret" not in page.context
    assert not TOTPDevice.objects.filter(user=arben).exists()
    # Posting a TOTP code straight away does not get past the enrolment code either.
    client.post(SETUP, {"code": "123456"})
    assert not TOTPDevice.objects.filter(user=arben).exists()
    assert client.get("/registry/")["Location"].startswith(SETUP)


def test_the_command_prints_a_code_kept_only_as_a_hash(arben):
    code = _issue("arben.njvrn")
    stored = EnrolmentCode.objects.get(user=arben)
    assert len(normalise(code)) == 12
    assert normalise(code) not in stored.code_hash and code not in stored.code_hash
    left = stored.expires_at - timezone.now()
    assert datetime.timedelta(hours=71, minutes=59) < left <= datetime.timedelta(hours=72)
    event = AuditEvent.objects.get(action="enrol_code")
    assert (event.object_id, event.user) == (str(arben.pk), None)
    assert code not in str(event.__dict__)
    # A new code replaces the old one.
    assert _issue("arben.njvrn") != code
    assert EnrolmentCode.objects.filter(user=arben).count() == 1
    with pytest.raises(CommandError):
        call_command("issue_enrolment_code", "nobody", stdout=io.StringIO())


def test_the_right_code_then_the_app_enrols_and_everything_is_audited(client, arben):
    code = _issue("arben.njvrn")
    _log_in(client, "arben.njvrn")
    # typed in lower case without the dashes, as people do
    entered = client.post(SETUP, {"enrolment_code": normalise(code).lower(), "next": "/cases/"})
    assert entered.status_code == 302 and entered["Location"].startswith(SETUP)
    page = client.get(entered["Location"])
    assert page.context["otpauth_uri"].startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=arben, confirmed=False)
    done = client.post(SETUP, {"code": _totp(device), "next": "/cases/"})
    assert done.status_code == 302 and done["Location"] == "/cases/"
    device.refresh_from_db()
    assert device.confirmed
    assert EnrolmentCode.objects.get(user=arben).used_at is not None
    summaries = set(
        AuditEvent.objects.filter(object_id=str(arben.pk), action="enrol_code").values_list(
            "summary", flat=True
        )
    )
    assert summaries == {"enrolment code issued with manage.py", "enrolment code used"}
    assert AuditEvent.objects.filter(action="enrol", user=arben).count() == 1


def test_a_code_works_once(client, arben):
    code = _issue("arben.njvrn")
    _log_in(client, "arben.njvrn")
    client.post(SETUP, {"enrolment_code": code})
    other = client.__class__()
    _log_in(other, "arben.njvrn")
    again = other.post(SETUP, {"enrolment_code": code})
    assert again.status_code == 200 and again.context["form"].errors
    assert "otpauth" not in again.content.decode()


def test_a_pending_secret_shown_before_the_code_is_never_used(client, arben):
    # A secret made before enrolment codes existed may have been seen by someone else.
    old = TOTPDevice.objects.create(user=arben, name="authenticator app", confirmed=False)
    code = _issue("arben.njvrn")
    _log_in(client, "arben.njvrn")
    client.post(SETUP, {"enrolment_code": code})
    client.get(SETUP)
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.get(user=arben, confirmed=False).key != old.key


def test_five_wrong_codes_burn_it(client, arben):
    code = _issue("arben.njvrn")
    _log_in(client, "arben.njvrn")
    for attempt in range(5):
        wrong = client.post(SETUP, {"enrolment_code": f"WRONG-CODE-{attempt:02d}"})
        assert wrong.status_code == 200 and wrong.context["form"].errors
    assert EnrolmentCode.objects.get(user=arben).failures == 5
    refused = client.post(SETUP, {"enrolment_code": code})
    assert "otpauth" not in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=arben).exists()
    failures = AuditEvent.objects.filter(action="login_failed", user=arben)
    assert failures.count() == 6
    assert failures.filter(summary="wrong enrolment code; code burnt").count() == 1
    assert not any(code in str(e.__dict__) for e in failures)


def test_an_expired_code_is_refused(client, arben):
    code = _issue("arben.njvrn")
    EnrolmentCode.objects.filter(user=arben).update(expires_at=timezone.now())
    _log_in(client, "arben.njvrn")
    refused = client.post(SETUP, {"enrolment_code": code})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not TOTPDevice.objects.filter(user=arben).exists()


def test_a_director_issues_a_code_for_a_colleague_of_her_municipality(
    client, mira, arben, teuta, verified_login
):
    verified_login(client, mira)
    issued = client.post(ISSUE_PAGE, {"username": "arben.njvrn"})
    code = issued.context["issued"]["code"]
    assert code in issued.content.decode() and issued["Cache-Control"].startswith("max-age=0")
    assert EnrolmentCode.objects.get(user=arben).issued_by == mira
    event = AuditEvent.objects.get(action="enrol_code")
    assert (event.user, event.object_id) == (mira, str(arben.pk))
    # Not for another municipality's staff, with the same answer as for nobody.
    other = client.post(ISSUE_PAGE, {"username": "teuta.pmf"})
    nobody = client.post(ISSUE_PAGE, {"username": "no.such.user"})
    assert other.context["form"].errors == nobody.context["form"].errors
    assert not EnrolmentCode.objects.filter(user=teuta).exists()
    # Nor for a superuser, though one works in Durrës too.
    root = type(mira).objects.create_superuser("root", password=PASSWORD)
    Membership.objects.create(user=root, municipality=mira.memberships.get().municipality,
                              role="planner")  # fmt: skip
    client.post(ISSUE_PAGE, {"username": "root"})
    assert not EnrolmentCode.objects.filter(user=root).exists()


def test_only_directors_and_superusers_issue_codes(client, arben, django_user_model, durres):
    planner = _staff(django_user_model, durres, "besa.planner", "planner")
    client.force_login(planner)
    assert client.post(ISSUE_PAGE, {"username": "arben.njvrn"}).status_code == 403
    assert not EnrolmentCode.objects.exists()
    # A director who has not entered her own code is sent to do so first.
    director = _staff(django_user_model, durres, "drita.director", "director")
    client.force_login(director)
    TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    assert client.post(ISSUE_PAGE, {"username": "arben.njvrn"}).status_code == 302
    assert not EnrolmentCode.objects.exists()
