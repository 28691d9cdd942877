"""The JSON API under /api/v1/: tokens, and who reads and writes what, as on the pages.

Personas (socialplan/cases/tests/conftest.py): Elira administers Sukth and
owns the case of Mira (synthetic; domestic violence), referred with consent
to the day centre of Drita's organisation; Gent administers Ishëm; Besa is
an NJVRN worker; Olti a planning officer; Arben works for another provider.
"""

import datetime
import hashlib
import io
import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from socialplan.accounts.models import ApiToken, AuditEvent
from socialplan.cases.models import Referral, Status
from socialplan.directory.models import Category
from socialplan.monitoring.models import ProgressReport
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit

PEOPLE = "/api/v1/people"


def _person(durres, unit, first, last, by, *, born=datetime.date(1990, 1, 1), categories=()):
    person = Person.objects.create(
        municipality=durres, unit=unit, first_name=first, last_name=last, sex="F",
        date_of_birth=born, synthetic=True, created_by=by,
    )  # fmt: skip
    for code in categories:
        PersonCategory.objects.create(
            person=person, category=Category.objects.get(code=code),
            start_date=datetime.date(2026, 1, 5), source="vetëdeklarim", recorded_by=by,
        )  # fmt: skip
    return person


@pytest.fixture
def ishem_person(durres, ishem_admin):
    ishem = AdministrativeUnit.objects.get(municipality=durres, code="ishem")
    return _person(durres, ishem, "Dea", "Ishmi", ishem_admin, categories=["families_in_need"])


# Tokens


def test_token_made_used_and_revoked(client, sukth_admin, family_member, caplog):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token", "elira.sukth", "laptop", "--operator-without-two-factor",
        stdout=out, stderr=err,
    )  # fmt: skip
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=sukth_admin)
    # Only the hash is kept; the prefix helps tell tokens apart.
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8] and token.name == "laptop"
    assert not any(secret in str(v) for v in model_to_dict(token).values())
    assert secret not in err.getvalue()

    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    with caplog.at_level(logging.DEBUG):
        response = client.get(PEOPLE, **auth)
        assert response.status_code == 200
        assert client.get(f"{PEOPLE}/{family_member.pk}", **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    events = AuditEvent.objects.filter(user=sukth_admin).exclude(action="token_issue")
    assert {e.action for e in events} == {"list", "view"}
    assert all(e.ip == "127.0.0.1" for e in events)
    for event in events:
        assert not any(secret in str(v) for v in model_to_dict(event).values())
    assert secret not in caplog.text

    token.revoke()
    assert client.get(PEOPLE, **auth).status_code == 401
    assert client.get(PEOPLE, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    assert client.get(PEOPLE, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401


def test_token_of_an_inactive_user_is_refused(client, sukth_admin, bearer):
    auth = bearer(sukth_admin)
    sukth_admin.is_active = False
    sukth_admin.save()
    assert client.get(PEOPLE, **auth).status_code == 401


def test_unknown_user_for_the_command(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "x", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


PERSONAL = [
    ("get", PEOPLE),
    ("post", PEOPLE),
    ("get", f"{PEOPLE}/1"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/1"),
    ("post", "/api/v1/cases/1/referrals"),
    ("get", "/api/v1/referrals"),
    ("get", "/api/v1/referrals/1"),
    ("post", "/api/v1/referrals/1/accept"),
    ("post", "/api/v1/referrals/1/decline"),
    ("post", "/api/v1/referrals/1/outcome"),
    ("get", "/api/v1/services"),
    ("get", "/api/v1/services/1"),
    ("patch", "/api/v1/services/1"),
    ("get", "/api/v1/progress-reports"),
    ("post", "/api/v1/progress-reports"),
    ("get", "/api/v1/progress-reports/1"),
    ("post", "/api/v1/progress-reports/1/submit"),
    ("post", "/api/v1/progress-reports/1/approve"),
    ("post", "/api/v1/progress-reports/1/return"),
    ("post", "/api/v1/progress-reports/1/reopen"),
]


@pytest.mark.parametrize("method,url", PERSONAL)
def test_anonymous_and_sessions_get_401(method, url, client, sukth_admin, verified_login):
    call = getattr(client, method)
    assert call(url, content_type="application/json").status_code == 401
    # A logged-in browser's session is not a token: no cross-site request can use it.
    verified_login(client, sukth_admin)
    assert call(url, content_type="application/json").status_code == 401
    assert not AuditEvent.objects.exists()


def test_public_endpoints_stay_public(client, durres_plan):
    assert client.get("/api/v1/plans").status_code == 200
    assert client.get("/api/v1/hsds/services").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


# The register


def test_people_by_persona(
    client, bearer, durres, sukth, family_member, ishem_person, sukth_admin, ishem_admin,
    njvrn_worker, planner, provider_worker, referred_case,
):  # fmt: skip
    def ids(user, query=""):
        response = client.get(f"{PEOPLE}{query}", **bearer(user))
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["items"]}

    assert ids(sukth_admin) == {family_member.pk}
    assert ids(ishem_admin) == {ishem_person.pk}
    assert ids(njvrn_worker) == {family_member.pk, ishem_person.pk}
    assert ids(njvrn_worker, f"?unit={sukth.pk}") == {family_member.pk}
    assert ids(njvrn_worker, "?category=families_in_need") == {family_member.pk, ishem_person.pk}
    # Neither a planner nor a provider sees a person.
    assert client.get(PEOPLE, **bearer(planner)).status_code == 403
    assert client.get(PEOPLE, **bearer(provider_worker)).status_code == 403
    assert client.get(f"{PEOPLE}/{family_member.pk}", **bearer(planner)).status_code == 404
    assert client.get(f"{PEOPLE}/{family_member.pk}", **bearer(ishem_admin)).status_code == 404
    assert client.get(f"{PEOPLE}/{ishem_person.pk}", **bearer(sukth_admin)).status_code == 404

    response = client.get(f"{PEOPLE}/{family_member.pk}", **bearer(sukth_admin))
    body = response.json()
    assert body["first_name"] == "Mira" and body["unit"]["code"] == "sukth"
    # Elira owns Mira's case: she sees her special category too.
    assert {c["code"] for c in body["categories"]} == {"families_in_need", "domestic_violence"}
    assert AuditEvent.objects.filter(
        user=sukth_admin, action="view", object_id=str(family_member.pk)
    ).exists()


def test_special_categories_are_hidden_and_not_filterable(
    client, bearer, durres, sukth, sukth_admin, family_member, referred_case
):
    # A neighbour of Mira's: also a victim, but Elira owns no case of hers.
    other = _person(
        durres, sukth, "Lule", "Fqinje", sukth_admin,
        categories=["families_in_need", "domestic_violence"],
    )  # fmt: skip
    auth = bearer(sukth_admin)
    body = client.get(f"{PEOPLE}/{other.pk}", **auth).json()
    assert [c["code"] for c in body["categories"]] == ["families_in_need"]
    assert body["hidden_categories"] == 1
    # Filtering by the category she may not see would reveal it: only her own case's person.
    found = client.get(f"{PEOPLE}?category=domestic_violence", **auth).json()
    assert [p["id"] for p in found["items"]] == [family_member.pk]
    assert found["count"] == 1


def test_people_list_runs_constant_queries(client, bearer, durres, sukth, sukth_admin):
    for n in range(6):
        _person(durres, sukth, f"Emri{n}", "Provë", sukth_admin, categories=["families_in_need"])
    auth = bearer(sukth_admin)
    client.get(PEOPLE, **auth)  # the token's last use is written once a minute, not here

    def queries(limit):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{PEOPLE}?limit={limit}", **auth)
        assert len(response.json()["items"]) == limit
        return len(captured)

    assert queries(1) == queries(6)
    body = client.get(f"{PEOPLE}?limit=2&offset=4", **auth).json()
    assert body["count"] == 6 and len(body["items"]) == 2


def _new_person(unit, **extra):
    return {
        "first_name": "Arjola",
        "last_name": "Shembull",
        "sex": "F",
        "date_of_birth": "1990-03-02",
        "national_id": "j90302001a",
        "unit": unit.pk,
        **extra,
    }


def test_register_and_duplicates(
    client, bearer, sukth, durres, sukth_admin, ishem_admin, planner, provider_worker
):
    auth = bearer(sukth_admin)
    response = client.post(PEOPLE, _new_person(sukth), content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert person.national_id == "J90302001A" and person.created_by == sukth_admin
    assert AuditEvent.objects.filter(action="create", object_id=str(person.pk)).exists()

    # The same national ID: refused, whatever the name.
    again = client.post(
        PEOPLE, _new_person(sukth, first_name="Tjetër"), content_type="application/json", **auth
    )
    assert again.status_code == 409
    assert again.json()["duplicates"] == [person.pk]
    # A similar name and the same birth date: refused until confirmed.
    similar = _new_person(sukth, first_name="Arjolla", national_id=None)
    response = client.post(PEOPLE, similar, content_type="application/json", **auth)
    assert response.status_code == 409 and response.json()["duplicates"] == [person.pk]
    similar["confirm_not_duplicate"] = True
    response = client.post(PEOPLE, similar, content_type="application/json", **auth)
    assert response.status_code == 201
    assert Person.objects.filter(last_name="Shembull").count() == 2

    # Gent (Ishëm) registers nobody in Sukth, and does not learn who the duplicate is.
    other = _new_person(sukth, national_id="K00000001B")
    response = client.post(PEOPLE, other, content_type="application/json", **bearer(ishem_admin))
    assert response.status_code == 403
    for user in (planner, provider_worker):
        response = client.post(PEOPLE, other, content_type="application/json", **bearer(user))
        assert response.status_code == 403
    bad = client.post(
        PEOPLE, _new_person(sukth, national_id=None, email="not an email"),
        content_type="application/json", **auth,
    )  # fmt: skip
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    assert Person.objects.filter(last_name="Shembull").count() == 2


# Cases and referrals


def test_cases_by_persona(
    client, bearer, referred_case, sukth_admin, ishem_admin, njvrn_worker, planner, provider_worker
):
    case, _consent, referral = referred_case
    body = client.get("/api/v1/cases", **bearer(sukth_admin)).json()
    assert [c["id"] for c in body["items"]] == [case.pk]
    assert client.get("/api/v1/cases", **bearer(ishem_admin)).json()["count"] == 0
    assert client.get("/api/v1/cases?status=referred", **bearer(njvrn_worker)).json()["count"] == 1
    assert client.get("/api/v1/cases", **bearer(planner)).status_code == 403
    assert client.get("/api/v1/cases", **bearer(provider_worker)).status_code == 403
    assert client.get(f"/api/v1/cases/{case.pk}", **bearer(ishem_admin)).status_code == 404
    detail = client.get(f"/api/v1/cases/{case.pk}", **bearer(sukth_admin)).json()
    assert detail["status"] == "referred"
    assert [r["id"] for r in detail["referrals"]] == [referral.pk]
    assert AuditEvent.objects.filter(action="view", object_type="cases.case").exists()


def test_refer(client, bearer, referred_case, sukth_admin, njvrn_worker, day_centre, planner):
    case, consent, _referral = referred_case
    url = f"/api/v1/cases/{case.pk}/referrals"
    without = {"service": day_centre.pk, "purpose": "strehim", "override_reason": "rrezik"}
    before = Referral.objects.count()
    # A unit administrator may not refer without the person's consent.
    response = client.post(url, without, content_type="application/json", **bearer(sukth_admin))
    assert response.status_code == 403 and response.json()["detail"]
    no_reason = {"service": day_centre.pk, "purpose": "strehim"}
    response = client.post(url, no_reason, content_type="application/json", **bearer(njvrn_worker))
    assert response.status_code == 400
    assert Referral.objects.count() == before

    with_consent = {"service": day_centre.pk, "purpose": "strehim", "consent": consent.pk}
    response = client.post(
        url, with_consent, content_type="application/json", **bearer(sukth_admin)
    )
    assert response.status_code == 201, response.content
    assert response.json()["consent"] == consent.pk
    response = client.post(url, without, content_type="application/json", **bearer(njvrn_worker))
    assert response.status_code == 201
    override = AuditEvent.objects.filter(action="refer", user=njvrn_worker).get()
    assert "WITHOUT CONSENT" in override.summary and override.ip == "127.0.0.1"
    # A planning officer does not even see the case.
    response = client.post(url, with_consent, content_type="application/json", **bearer(planner))
    assert response.status_code == 404
    bad_service = {**with_consent, "service": 10**9}
    response = client.post(url, bad_service, content_type="application/json", **bearer(sukth_admin))
    assert response.status_code == 400


def test_provider_inbox_and_answers(
    client, bearer, referred_case, provider_worker, other_provider, sukth_admin
):
    _case, _consent, referral = referred_case
    drita = bearer(provider_worker)
    inbox = client.get("/api/v1/referrals", **drita)
    assert [r["id"] for r in inbox.json()["items"]] == [referral.pk]
    assert b"Mira" not in inbox.content and b"Prov" not in inbox.content
    url = f"/api/v1/referrals/{referral.pk}"
    before = client.get(url, **drita).json()
    assert before["person"] is None and before["case"] is None
    assert before["about_person"] == {"sex": "F", "age": before["about_person"]["age"],
                                      "unit": "Sukth"}  # fmt: skip
    assert b"Mira" not in client.get(url, **drita).content

    arben = bearer(other_provider)
    assert client.get("/api/v1/referrals", **arben).json()["count"] == 0
    assert client.get(url, **arben).status_code == 404
    assert client.post(f"{url}/accept", **arben).status_code == 404
    # Staff do not answer for a provider that has accounts; case workers have no inbox.
    assert client.post(f"{url}/accept", **bearer(sukth_admin)).status_code == 403
    assert client.get("/api/v1/referrals", **bearer(sukth_admin)).status_code == 403

    accepted = client.post(f"{url}/accept", **drita)
    assert accepted.status_code == 200
    assert accepted.json()["person"]["first_name"] == "Mira"
    assert client.post(f"{url}/accept", **drita).status_code == 409
    declined = client.post(
        f"{url}/decline", {"reason": "plot"}, content_type="application/json", **drita
    )
    assert declined.status_code == 409
    outcome = {"outcome": "served", "notes": "mirë"}
    response = client.post(f"{url}/outcome", outcome, content_type="application/json", **drita)
    assert response.status_code == 200 and response.json()["state"] == "completed"
    response = client.post(f"{url}/outcome", outcome, content_type="application/json", **drita)
    assert response.status_code == 409
    referral.refresh_from_db()
    assert referral.state == Referral.State.COMPLETED and referral.case.status == Status.FOLLOW_UP
    changes = AuditEvent.objects.filter(user=provider_worker, action="change")
    assert {e.summary for e in changes} == {"accepted", "outcome reported"}


def test_decline_needs_a_reason(client, bearer, referred_case, provider_worker):
    _case, _consent, referral = referred_case
    url = f"/api/v1/referrals/{referral.pk}/decline"
    drita = bearer(provider_worker)
    response = client.post(url, {"reason": "  "}, content_type="application/json", **drita)
    assert response.status_code == 400
    response = client.post(url, {"reason": "plot"}, content_type="application/json", **drita)
    assert response.status_code == 200 and response.json()["state"] == "declined"


# The directory


def test_edit_a_service(
    client, bearer, day_centre, provider_worker, other_provider, planner, sukth_admin
):
    url = f"/api/v1/services/{day_centre.pk}"
    drita = bearer(provider_worker)
    service = client.get(url, **drita).json()
    assert service["name"] == day_centre.name
    assert day_centre.pk in [
        s["id"] for s in client.get("/api/v1/services", **drita).json()["items"]
    ]
    version = service["version"]

    change = {"version": version, "hours": "08:00-16:00", "capacity": 40}
    response = client.patch(url, change, content_type="application/json", **drita)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == version + 1 and response.json()["hours"] == "08:00-16:00"
    assert response.json()["categories"] == service["categories"]  # untouched
    audit = AuditEvent.objects.get(user=provider_worker, action="change")
    assert audit.changes["hours"][1] == "08:00-16:00"

    # Made on the page as it was before: refused, nothing changed.
    stale = {"version": version, "hours": "09:00-12:00"}
    response = client.patch(url, stale, content_type="application/json", **drita)
    assert response.status_code == 409
    day_centre.refresh_from_db()
    assert day_centre.hours == "08:00-16:00" and day_centre.version == version + 1

    wrong = {"version": version + 1, "age_min": 60, "age_max": 18}
    response = client.patch(url, wrong, content_type="application/json", **drita)
    assert response.status_code == 400 and "age_max" in response.json()["errors"]
    unknown = {"version": version + 1, "categories": ["no-such-category"]}
    assert client.patch(url, unknown, content_type="application/json", **drita).status_code == 400

    planned = {"version": version + 1, "status": "planned"}
    response = client.patch(url, planned, content_type="application/json", **bearer(planner))
    assert response.status_code == 200
    for user in (other_provider, sukth_admin):
        assert client.get(url, **bearer(user)).status_code == 403
        response = client.patch(
            url, {"version": version + 2, "hours": "x"}, content_type="application/json",
            **bearer(user),
        )  # fmt: skip
        assert response.status_code == 403


# Progress reports


def test_progress_reports(
    client, bearer, durres_plan, day_centre, provider_worker, other_provider, planner,
    sukth_admin,
):  # fmt: skip
    activity = (
        durres_plan.priorities.get(number=1).objectives.get().measures.first().activities.first()
    )
    draft = {
        "plan": durres_plan.slug,
        "activity": activity.pk,
        "year": 2026,
        "status": "on_track",
        "narrative": "Dy trajnime",
    }
    drita = bearer(provider_worker)
    url = "/api/v1/progress-reports"
    response = client.post(url, draft, content_type="application/json", **drita)
    assert response.status_code == 201, response.content
    report = ProgressReport.objects.get(pk=response.json()["id"])
    assert report.organisation == day_centre.organisation and report.state == "draft"
    response = client.post(url, draft, content_type="application/json", **drita)
    assert response.status_code == 409 and response.json()["id"] == report.pk
    outside = {**draft, "year": 2030}
    assert client.post(url, outside, content_type="application/json", **drita).status_code == 400

    def listed(user):
        return [r["id"] for r in client.get(url, **bearer(user)).json()["items"]]

    assert report.pk in listed(planner)
    assert listed(other_provider) == []
    assert listed(sukth_admin) == []  # a unit sees its own unit's reports only
    assert client.get(f"{url}/{report.pk}", **bearer(other_provider)).status_code == 404

    assert client.post(f"{url}/{report.pk}/submit", **bearer(other_provider)).status_code == 404
    assert client.post(f"{url}/{report.pk}/submit", **drita).json()["state"] == "submitted"
    assert client.post(f"{url}/{report.pk}/approve", **drita).status_code == 403
    response = client.post(f"{url}/{report.pk}/approve", **bearer(planner))
    assert response.status_code == 200 and response.json()["state"] == "approved"
    reason = {"reason": "mungon"}
    response = client.post(
        f"{url}/{report.pk}/return", reason, content_type="application/json", **bearer(planner)
    )
    assert response.status_code == 409
    assert AuditEvent.objects.filter(object_type="monitoring.progressreport").count() == 3


# Input the database cannot take is refused, never a server error (PostgreSQL rejects NUL).


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/plans/a%00b",
        "/api/v1/hsds/services?search=a%00b",
        "/api/v1/hsds/services?municipality=a%00b",
        "/api/v1/hsds/organizations?search=a%00b",
        "/api/v1/hsds/service_at_locations?search=a%00b",
        "/api/v1/hsds/services?page=100000000000000000000000",
        "/api/v1/people?category=a%00b",
        "/api/v1/people?offset=100000000000000000000000",
        "/api/v1/progress-reports?plan=a%00b",
    ],
)
def test_unstorable_input_is_refused(url, client, bearer, njvrn_worker):
    response = client.get(url, **bearer(njvrn_worker))
    assert response.status_code == 422


def test_unstorable_text_in_a_body_is_refused(client, bearer, sukth, sukth_admin):
    person = _new_person(sukth, first_name="A\x00b")
    response = client.post(PEOPLE, person, content_type="application/json", **bearer(sukth_admin))
    assert response.status_code == 422
    surrogate = b'{"first_name": "A\\ud800", "last_name": "B", "sex": "F", ' + (
        b'"date_of_birth": "1990-01-01", "unit": %d}' % sukth.pk
    )
    response = client.post(
        PEOPLE, surrogate, content_type="application/json", **bearer(sukth_admin)
    )
    assert response.status_code == 422
