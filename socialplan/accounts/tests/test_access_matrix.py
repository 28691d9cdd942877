"""Every route x every role: who may open it. A new route without an entry fails here.

The scenario: Mira (synthetic) lives in Sukth and is a victim of domestic
violence; Elira, the Sukth social administrator, owns her case, which is
referred (with consent) to the day centre of Kryqi i Kuq, whose staff
member Drita has an account. Gent administers another unit (Ishëm); Arben
works for another provider. Planning officers, national viewers and
auditors see no person.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from socialplan.accounts.models import AuditEvent, AuditSubject, Membership
from socialplan.cases import actions
from socialplan.cases.models import Status
from socialplan.directory.models import Category, Organisation, Service
from socialplan.registry.actions import create_household
from socialplan.registry.models import Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit, Municipality

ROLES = [
    "anonymous",
    "director",
    "planner",
    "njvrn",
    "unit_admin_same",
    "unit_admin_other",
    "child_protection",
    "dv_coordinator",
    "provider_receiving",
    "provider_other",
    "national",
    "auditor",
]
STAFF = set(ROLES) - {"anonymous"}
EVERYONE = set(ROLES)
# Who sees Mira's file and her case: the owner, the municipality-wide roles.
CASE_SIDE = {"director", "njvrn", "unit_admin_same", "child_protection", "dv_coordinator"}
MANAGERS = {"director", "planner"}
DIRECTORATE = {"director", "planner", "njvrn"}
REPORTERS = DIRECTORATE | {
    "unit_admin_same",
    "unit_admin_other",
    "provider_receiving",
    "provider_other",
}
READ_ALL_REPORTS = {
    "director",
    "planner",
    "njvrn",
    "child_protection",
    "dv_coordinator",
    "auditor",
    "national",
}

# route name -> (method, url arguments from the scenario, roles allowed)
MATRIX = {
    "portal:home": ("GET", [], EVERYONE),
    "portal:open_data": ("GET", [], EVERYONE),
    # The most sensitive dataset: counts that include Mira, protected (rounded).
    "portal:dataset": ("GET", ["plan", "open_data_code", "open_data_format"], EVERYONE),
    "portal:dictionary": ("GET", ["plan", "open_data_code"], EVERYONE),
    "plan:list": ("GET", [], EVERYONE),
    "plan:overview": ("GET", ["plan"], EVERYONE),
    "plan:priority": ("GET", ["plan", 1], EVERYONE),
    "plan:objective": ("GET", ["plan", "1.1"], EVERYONE),
    "plan:measure": ("GET", ["plan", "measure"], EVERYONE),
    "plan:activity": ("GET", ["plan", "activity"], EVERYONE),
    "plan:budget": ("GET", ["plan"], EVERYONE),
    "plan:funding": ("GET", ["plan"], EVERYONE),
    "plan:versions": ("GET", ["plan"], EVERYONE),
    "plan:diff": ("GET", ["plan", "plan"], EVERYONE),
    "plan:revise": ("GET", ["plan"], MANAGERS),
    "plan:export_xlsx": ("GET", ["plan"], EVERYONE),
    "plan:import": ("GET", [], MANAGERS),
    # Empty data: the form again with its errors, or back to the form (no preview kept).
    "plan:import_preview": ("POST", [], MANAGERS),
    "plan:import_confirm": ("POST", [], MANAGERS),
    # A workbook being read: known only to the session that uploaded it (else back to the form).
    "plan:import_reading": ("GET", ["no-such-task"], MANAGERS),
    "monitoring:consultations": ("GET", ["plan"], EVERYONE),
    "monitoring:consultation": ("GET", ["consultation"], EVERYONE),
    "monitoring:consultation_create": ("GET", ["plan"], MANAGERS),
    "monitoring:recommendation_add": ("POST", ["consultation"], MANAGERS),
    "monitoring:recommendation_decide": ("POST", ["recommendation"], MANAGERS),
    "territory:municipality": ("GET", ["durres"], EVERYONE),
    "needs:figures": ("GET", ["durres"], EVERYONE),
    "registry_public_statistics": ("GET", ["durres"], EVERYONE),
    "directory:search": ("GET", [], EVERYONE),
    "directory:service": ("GET", ["service"], EVERYONE),
    "directory:organisation": ("GET", ["organisation"], EVERYONE),
    "directory:coverage": ("GET", ["durres"], EVERYONE),
    "directory:coverage_staff": ("GET", ["durres"], MANAGERS),
    "directory:service_edit": ("GET", ["service"], MANAGERS | {"provider_receiving"}),
    "directory:organisation_edit": ("GET", ["organisation"], MANAGERS | {"provider_receiving"}),
    "directory:service_create": ("GET", ["organisation"], MANAGERS | {"provider_receiving"}),
    "directory:history": ("GET", ["service_kind", "service"], MANAGERS | {"provider_receiving"}),
    "directory:manage": ("GET", [], STAFF),  # lists only what each may edit
    "registry:search": ("GET", [], CASE_SIDE | {"unit_admin_other"}),
    "registry:person_create": ("GET", [], CASE_SIDE | {"unit_admin_other"}),
    "registry:person": ("GET", ["person"], CASE_SIDE),
    "registry:person_edit": ("GET", ["person"], CASE_SIDE),
    "registry:category_add": ("GET", ["person"], CASE_SIDE),
    "registry:assessment_add": ("GET", ["person"], CASE_SIDE),
    "registry:household_start": ("POST", ["person"], CASE_SIDE),
    "registry:merge": ("GET", ["person"], CASE_SIDE - {"unit_admin_same"}),
    "registry:household": ("GET", ["household"], CASE_SIDE),
    "registry:duplicate_checks": ("GET", [], CASE_SIDE - {"unit_admin_same"}),
    "registry:duplicate_check_resolve": ("POST", ["check"], CASE_SIDE - {"unit_admin_same"}),
    "registry:import": ("GET", [], CASE_SIDE | {"unit_admin_other"}),
    "registry:statistics": (
        "GET",
        ["durres"],
        {"director", "planner", "njvrn", "national", "auditor"},
    ),
    "cases:mine": ("GET", [], CASE_SIDE | {"unit_admin_other"}),
    "cases:overdue": ("GET", [], CASE_SIDE | {"unit_admin_other"}),
    "cases:supervisor": ("GET", [], {"director", "njvrn"}),
    "cases:open": ("GET", ["person"], CASE_SIDE),
    "cases:case": ("GET", ["case"], CASE_SIDE),
    "cases:move": ("POST", ["case"], CASE_SIDE),
    "cases:reopen": ("POST", ["case"], CASE_SIDE),
    "cases:note": ("POST", ["case"], CASE_SIDE),
    "cases:conference_add": ("GET", ["case"], CASE_SIDE),
    "cases:consent_add": ("GET", ["case"], CASE_SIDE),
    "cases:consent_withdraw": ("POST", ["case", "consent"], CASE_SIDE),
    "cases:refer": ("GET", ["case"], CASE_SIDE),
    "cases:inbox": ("GET", [], {"provider_receiving", "provider_other"}),
    "cases:referral": ("GET", ["referral"], CASE_SIDE | {"provider_receiving"}),
    # The provider answers; municipal staff may not answer for a provider that has accounts.
    "cases:referral_accept": ("POST", ["referral"], {"provider_receiving"}),
    "cases:referral_decline": ("POST", ["referral"], {"provider_receiving"}),
    "cases:referral_outcome": ("POST", ["referral"], {"provider_receiving"}),
    # Until it accepts, the provider reads the referral on screen, not the printable form.
    "cases:referral_pdf": ("GET", ["referral"], CASE_SIDE),
    "audit": ("GET", [], {"auditor"}),
    "monitoring:dashboard": ("GET", ["plan", 2026], STAFF),
    "monitoring:dashboard_public": ("GET", ["plan", 2026], EVERYONE),
    "monitoring:reports": ("GET", ["plan", 2026], STAFF),
    "monitoring:report_create": ("GET", ["plan", 2026, "activity"], REPORTERS),
    # The world's progress report: a draft by the receiving provider.
    "monitoring:report": ("GET", ["progress"], READ_ALL_REPORTS | {"provider_receiving"}),
    "monitoring:report_edit": ("GET", ["progress"], DIRECTORATE | {"provider_receiving"}),
    "monitoring:report_submit": ("POST", ["progress"], DIRECTORATE | {"provider_receiving"}),
    "monitoring:evidence_upload": ("POST", ["progress"], DIRECTORATE | {"provider_receiving"}),
    "monitoring:report_approve": ("POST", ["progress"], MANAGERS),
    "monitoring:report_return": ("POST", ["progress"], MANAGERS),
    "monitoring:report_reopen": ("POST", ["progress"], {"director"}),
    "monitoring:annual_preview": ("GET", ["plan", 2026], MANAGERS),
    "monitoring:annual_preview_pdf": ("GET", ["plan", 2026], MANAGERS),
    "monitoring:annual_preview_docx": ("GET", ["plan", 2026], MANAGERS),
    "monitoring:annual_publish": ("POST", ["plan", 2026], MANAGERS),
    "monitoring:published_list": ("GET", ["plan"], EVERYONE),
    "emergency:events": ("GET", [], STAFF),  # each sees only the events they work on
    "emergency:activate": ("GET", [], {"director", "njvrn"}),
    "emergency:exercises": ("GET", [], {"director", "njvrn"}),
    # The board shows counts; the lists name people.
    "emergency:event": ("GET", ["event"], CASE_SIDE | {"unit_admin_other", "planner"}),
    "emergency:step_done": ("POST", ["event", "step"], {"director", "njvrn"}),
    "emergency:close": ("POST", ["event"], {"director", "njvrn"}),
    "emergency:list": ("GET", ["event", "sukth"], CASE_SIDE),
    "emergency:list_export": ("GET", ["event", "sukth", "pdf"], CASE_SIDE),
    "emergency:respond": ("POST", ["event", "sukth"], CASE_SIDE),
    "emergency:shelter_leave": ("POST", ["event", "stay"], CASE_SIDE),
    "login": ("GET", [], EVERYONE),
    "api:openapi-json": ("GET", [], EVERYONE),
    "api:openapi-view": ("GET", [], EVERYONE),
    "api:list_plans": ("GET", [], EVERYONE),
    "api:get_plan": ("GET", ["plan"], EVERYONE),
    "api:get_budget": ("GET", ["plan"], EVERYONE),
    "api:api_info": ("GET", [], EVERYONE),
    "api:list_services": ("GET", [], EVERYONE),
    "api:get_service": ("GET", ["hsds_service"], EVERYONE),
    "api:list_organizations": ("GET", [], EVERYONE),
    "api:get_organization": ("GET", ["hsds_organisation"], EVERYONE),
    "api:list_taxonomies": ("GET", [], EVERYONE),
    "api:list_taxonomy_terms": ("GET", [], EVERYONE),
    "api:list_service_at_locations": ("GET", [], EVERYONE),
    "api:list_municipalities": ("GET", [], EVERYONE),
    "api:get_population": ("GET", ["durres"], EVERYONE),
    "api:list_need_figures": ("GET", ["durres"], EVERYONE),
    "api:list_consultations": ("GET", ["plan"], EVERYONE),
    # The national roll-up: protected for everyone, every figure for national viewers.
    "national:latest": ("GET", [], EVERYONE),
    "national:public": ("GET", [2026], EVERYONE),
    "national:staff": ("GET", [2026], {"national"}),
    "api:national_year": ("GET", [2026], EVERYONE),
}
# Routes that show Mira's personal data, and to whom: each of these requests must
# leave an audit row naming her (accounts.AuditSubject), written by the access
# helper that fetched her or by the list that showed her.
SHOWS_MIRA = {
    "registry:person": CASE_SIDE,
    "registry:person_edit": CASE_SIDE,
    "registry:category_add": CASE_SIDE,
    "registry:assessment_add": CASE_SIDE,
    "registry:household_start": CASE_SIDE,
    "registry:merge": CASE_SIDE - {"unit_admin_same"},
    "registry:household": CASE_SIDE,
    "registry:duplicate_checks": CASE_SIDE - {"unit_admin_same"},
    "cases:mine": {"unit_admin_same"},
    "cases:open": CASE_SIDE,
    "cases:case": CASE_SIDE,
    "cases:conference_add": CASE_SIDE,
    "cases:consent_add": CASE_SIDE,
    "cases:refer": CASE_SIDE,
    "cases:inbox": {"provider_receiving"},
    "cases:referral": CASE_SIDE | {"provider_receiving"},
    "cases:referral_pdf": CASE_SIDE,
}
API_TOKENS = "bearer tokens only; socialplan/api/tests/test_api_access.py"
EMERGENCY_TOKENS = "bearer tokens only; socialplan/api/tests/test_api_areas.py"
# Routes whose access is tested elsewhere, with where.
ELSEWHERE = {
    "logout": "POST-only; Django's own view",
    "set_language": "public language switch; socialplan/plan/tests/test_pages.py",
    "accounts:two_factor_setup": "socialplan/accounts/tests/test_auth.py",
    "accounts:two_factor_verify": "socialplan/accounts/tests/test_auth.py",
    "accounts:tokens": "one's own tokens; socialplan/accounts/tests/test_tokens.py",
    "accounts:token_revoke": "one's own tokens; socialplan/accounts/tests/test_tokens.py",
    "accounts:enrolment_code_issue": "directors; socialplan/accounts/tests/test_enrolment.py",
    "api:api-root": "ninja's index of the API, public",
    "registry:import_mapping": "only the uploader; socialplan/registry/tests/test_list_import.py",
    "registry:import_review": "only the uploader; socialplan/registry/tests/test_list_import.py",
    "registry:import_confirm": "only the uploader; socialplan/registry/tests/test_list_import.py",
    "registry:import_abandon": "only the uploader; socialplan/registry/tests/test_list_import.py",
    "monitoring:evidence": "its report's access; socialplan/monitoring/tests/test_progress.py",
    "monitoring:published": "public permalink; socialplan/monitoring/tests/test_annual.py",
    "monitoring:published_pdf": "public permalink; socialplan/monitoring/tests/test_annual.py",
    "monitoring:published_docx": "public permalink; socialplan/monitoring/tests/test_annual.py",
    # The JSON API's areas with personal data or writes take bearer tokens only, never a
    # session (so no cross-site request rides on a logged-in browser): their access per
    # persona, and the 401 to sessions and to the anonymous, are tested there.
    "api:list_people": API_TOKENS,
    "api:register_person": API_TOKENS,
    "api:get_person": API_TOKENS,
    "api:list_cases": API_TOKENS,
    "api:get_case": API_TOKENS,
    "api:refer_case": API_TOKENS,
    "api:list_referrals": API_TOKENS,
    "api:get_referral": API_TOKENS,
    "api:accept_referral": API_TOKENS,
    "api:decline_referral": API_TOKENS,
    "api:report_outcome": API_TOKENS,
    "api:list_editable_services": API_TOKENS,
    "api:get_editable_service": API_TOKENS,
    "api:update_service": API_TOKENS,
    "api:list_progress_reports": API_TOKENS,
    "api:create_progress_report": API_TOKENS,
    "api:get_progress_report": API_TOKENS,
    "api:submit_progress_report": API_TOKENS,
    "api:approve_progress_report": API_TOKENS,
    "api:return_progress_report": API_TOKENS,
    "api:reopen_progress_report": API_TOKENS,
    "api:list_emergencies": EMERGENCY_TOKENS,
    "api:get_emergency": EMERGENCY_TOKENS,
    "api:get_emergency_list": EMERGENCY_TOKENS,
}


def _route_names():
    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # the Django admin: staff flag and model permissions
                yield from walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver()))


def test_every_route_has_an_entry():
    missing = _route_names() - set(MATRIX) - set(ELSEWHERE)
    assert not missing, f"add these routes to the access matrix: {sorted(missing)}"
    stale = (set(MATRIX) | set(ELSEWHERE)) - _route_names()
    assert not stale, f"these entries name no route: {sorted(stale)}"


@pytest.fixture
def world(durres_plan, django_user_model):
    durres = Municipality.objects.get(code="durres")
    sukth = AdministrativeUnit.objects.get(municipality=durres, code="sukth")
    ishem = AdministrativeUnit.objects.get(municipality=durres, code="ishem")
    service = (
        Service.objects.filter(organisation__code="kryqi-i-kuq").exclude(status="closed").first()
    )
    other_org = Organisation.objects.get(municipality=durres, code="gender-paqe-siguri")
    scopes = {
        "director": {},
        "planner": {},
        "njvrn": {},
        "unit_admin_same": {"unit": sukth},
        "unit_admin_other": {"unit": ishem},
        "child_protection": {},
        "dv_coordinator": {},
        "provider_receiving": {"organisation": service.organisation},
        "provider_other": {"organisation": other_org},
        "national": {},
        "auditor": {},
    }
    users = {}
    for persona, scope in scopes.items():
        user = django_user_model.objects.create_user(f"matrix.{persona}", password="x-not-real")
        role = {"unit_admin_same": "unit_admin", "unit_admin_other": "unit_admin"}.get(persona)
        role = role or {"provider_receiving": "provider", "provider_other": "provider"}.get(
            persona, persona
        )
        Membership.objects.create(user=user, municipality=durres, role=role, **scope)
        users[persona] = user
    owner = users["unit_admin_same"]
    person = Person.objects.create(
        municipality=durres, unit=sukth, first_name="Mira", last_name="Provë", sex="F",
        date_of_birth=datetime.date(1988, 4, 12), synthetic=True, created_by=owner,
    )  # fmt: skip
    PersonCategory.objects.create(
        person=person, category=Category.objects.get(code="domestic_violence"),
        start_date=datetime.date(2026, 1, 5), source="vetëdeklarim", recorded_by=owner,
    )  # fmt: skip
    household = create_household(request=None, head=person)
    case = actions.open_case(request=None, person=person, by=owner)
    for step in (Status.ASSESSMENT, Status.CASE_PLAN):
        actions.move_case(request=None, case=case, to=step, by=owner)
    consent = actions.record_consent(
        request=None, case=case, by=owner, recipient=service.organisation, purpose="kujdes",
        given_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    referral = actions.refer(
        request=None, case=case, service=service, by=owner, purpose="kujdes ditor", consent=consent
    )
    from django.core.management import call_command

    from socialplan.directory.hsds import export_dataset
    from socialplan.emergency import actions as emergency

    call_command("seed_emergency", "durres")
    event = emergency.activate(
        request=None, by=users["director"], municipality=durres, kind="flood", title="Përmbytje",
        units=[sukth], coordinator=users["njvrn"],
    )  # fmt: skip
    stay = emergency.admit_to_shelter(request=None, by=users["njvrn"], event=event, person=person)
    from socialplan.monitoring.models import ProgressReport

    plan_activity = (
        durres_plan.priorities.get(number=1).objectives.get().measures.first().activities.first()
    )
    progress = ProgressReport.objects.create(
        plan=durres_plan, activity=plan_activity, year=2026, organisation=service.organisation,
        status="on_track", created_by=users["provider_receiving"],
    )  # fmt: skip

    hsds = export_dataset(durres)
    from socialplan.monitoring.models import Consultation, Recommendation

    consultation = Consultation.objects.create(
        plan=durres_plan, date=datetime.date(2026, 3, 12), kind="public", unit=sukth,
        participants={"OJF": 6}, recorded_by=users["planner"],
    )  # fmt: skip
    recommendation = Recommendation.objects.create(consultation=consultation, text="Më shumë")
    from socialplan.registry.models import DuplicateCheck

    check = DuplicateCheck.objects.create(person=person, asked_by=users["unit_admin_other"])
    plan = durres_plan
    measure = plan.priorities.get(number=1).objectives.get().measures.first()
    objects = {
        "plan": plan.slug,
        "measure": measure.pk,
        "activity": measure.activities.first().pk,
        "durres": "durres",
        "service": service.pk,
        "service_kind": "service",
        "organisation": service.organisation_id,
        "person": person.pk,
        "household": household.pk,
        "case": case.pk,
        "consent": consent.pk,
        "referral": referral.pk,
        "event": event.pk,
        "progress": progress.pk,
        "step": event.steps.first().pk,
        "sukth": sukth.pk,
        "stay": stay.pk,
        "consultation": consultation.pk,
        "recommendation": recommendation.pk,
        "check": check.pk,
        "hsds_service": hsds["services"][0]["id"],
        "hsds_organisation": hsds["organizations"][0]["id"],
        "open_data_code": "register-statistics",
        "open_data_format": "csv",
    }
    return users, objects


def _allowed(response) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return False
    if response.status_code in (301, 302):
        target = response["Location"]
        return "/accounts/login/" not in target and "/accounts/2fa/" not in target
    return response.status_code == 200


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_route_by_role(route, world, client, verified_login):
    users, objects = world
    method, arguments, allowed = MATRIX[route]
    url = reverse(route, args=[objects.get(a, a) for a in arguments])
    wrong, unaudited = [], []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            verified_login(client, users[role])
        before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.post(url, {}) if method == "POST" else client.get(url)
        if _allowed(response) != (role in allowed):
            wrong.append(f"{role}: {response.status_code}")
        if role in SHOWS_MIRA.get(route, ()) and not AuditSubject.objects.filter(
            person_id=objects["person"], event__pk__gt=before, event__user=users[role]
        ):
            unaudited.append(role)
    assert not wrong, f"{route} ({url}) wrong for: {wrong}"
    assert not unaudited, f"{route} ({url}) showed Mira without an audit row to: {unaudited}"
