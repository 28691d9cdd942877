"""The leaks an attack found (issue 12), each closed in every output: page, PDF and API.

Personas (synthetic): Mira, a victim of domestic violence in Sukth; Elira,
the Sukth social administrator (her role does not see that category); Besa
of the NJVRN; Drita of Kryqi i Kuq, which receives a referral; Gent, the
social administrator of Ishëm, outside Mira's unit.
"""

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from socialplan.accounts.models import AuditEvent, AuditSubject
from socialplan.cases import actions
from socialplan.cases.models import Referral, Status
from socialplan.registry.access import WITHHELD
from socialplan.registry.models import DuplicateCheck, Person

SECRET_REASON = "Viktimë e dhunës në familje nga bashkëshorti"
SECRET_NEED = "Strehim i sigurt për viktimë dhune"


def _pdf_text(response) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.fixture
def njvrn_case(family_member, njvrn_worker, day_centre):
    """Mira's case, owned by Besa (NJVRN), referred with consent to the day centre."""
    case = actions.open_case(
        request=None, person=family_member, by=njvrn_worker, summary=SECRET_REASON
    )
    for step in (Status.ASSESSMENT, Status.CASE_PLAN):
        actions.move_case(request=None, case=case, to=step, by=njvrn_worker)
    actions.add_note(request=None, case=case, by=njvrn_worker, text=SECRET_REASON)
    consent = actions.record_consent(
        request=None, case=case, by=njvrn_worker, recipient=day_centre.organisation,
        purpose=SECRET_NEED, given_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    referral = actions.refer(
        request=None, case=case, service=day_centre, by=njvrn_worker, purpose=SECRET_NEED,
        consent=consent,
    )  # fmt: skip
    return case, referral


# A provider learns who the person is only while its acceptance stands.


def test_a_provider_that_declined_gets_neither_the_form_nor_the_name(
    referred_case, provider_worker, login, bearer, client
):
    _case, _consent, referral = referred_case
    login(provider_worker)
    pdf = reverse("cases:referral_pdf", args=[referral.pk])
    assert client.get(pdf).status_code == 403  # not yet accepted
    response = client.post(
        reverse("cases:referral_decline", args=[referral.pk]), {"reason": "S'kemi vend"}
    )
    referral.refresh_from_db()
    assert referral.state == Referral.State.DECLINED
    # Today's main answered 200 with the name and date of birth here.
    assert client.get(pdf).status_code == 403
    page = client.get(reverse("cases:referral", args=[referral.pk])).content.decode()
    assert "Mira" not in page and "Provë" not in page and "12/04/1988" not in page
    assert reverse("cases:referral_pdf", args=[referral.pk]) not in page
    api = client.get(f"/api/v1/referrals/{referral.pk}", **bearer(provider_worker)).json()
    assert api["person"] is None
    assert response.status_code == 302


def test_a_withdrawn_referral_never_names_the_person_to_the_provider(
    referred_case, sukth_admin, provider_worker, login, client
):
    case, consent, referral = referred_case
    actions.withdraw_consent(
        request=None, consent=consent, by=sukth_admin, on=datetime.date(2026, 11, 20)
    )
    referral.refresh_from_db()
    assert referral.state == Referral.State.WITHDRAWN
    login(provider_worker)
    assert client.get(reverse("cases:referral_pdf", args=[referral.pk])).status_code == 403


def test_an_accepted_referral_names_the_person_in_the_form(
    referred_case, provider_worker, login, client
):
    _case, _consent, referral = referred_case
    login(provider_worker)
    client.post(reverse("cases:referral_accept", args=[referral.pk]))
    response = client.get(reverse("cases:referral_pdf", args=[referral.pk]))
    assert response.status_code == 200
    assert "Mira" in _pdf_text(response)


# Free text of a case whose person has a category the reader may not see.


def test_a_unit_administrator_reads_no_text_that_names_a_hidden_category(
    njvrn_case, sukth_admin, login, bearer, client
):
    case, referral = njvrn_case
    login(sukth_admin)
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert SECRET_REASON not in page and SECRET_NEED not in page
    assert str(WITHHELD) in page or "withheld" in page.lower() or "fshehur" in page.lower()
    page = client.get(reverse("cases:referral", args=[referral.pk])).content.decode()
    assert SECRET_NEED not in page
    pdf = client.get(reverse("cases:referral_pdf", args=[referral.pk]))
    assert pdf.status_code == 200 and SECRET_NEED not in _pdf_text(pdf)
    headers = bearer(sukth_admin)
    person = client.get(f"/api/v1/people/{case.person_id}", **headers).json()
    assert [c["code"] for c in person["categories"]] == ["families_in_need"]
    detail = client.get(f"/api/v1/cases/{case.pk}", **headers).json()
    assert detail["summary"] == str(WITHHELD)
    assert detail["referrals"][0]["purpose"] == str(WITHHELD)
    assert all(c["purpose"] == str(WITHHELD) for c in detail["consents"])
    assert SECRET_NEED not in client.get(f"/api/v1/referrals/{referral.pk}", **headers).text


def test_those_who_see_the_category_read_the_text(
    njvrn_case, njvrn_worker, provider_worker, login, bearer, client
):
    case, referral = njvrn_case
    detail = client.get(f"/api/v1/cases/{case.pk}", **bearer(njvrn_worker)).json()
    assert detail["summary"] == SECRET_REASON
    # The need was written for the receiving organisation, which reads it.
    answer = client.get(f"/api/v1/referrals/{referral.pk}", **bearer(provider_worker)).json()
    assert answer["purpose"] == SECRET_NEED and answer["person"] is None


# Registering someone outside one's scope: no oracle.


def _register(client, **fields):
    data = {
        "first_name": "Ana", "last_name": "Test", "sex": "F", "date_of_birth": "1990-02-03",
        "unit": "", "national_id": "",
    }  # fmt: skip
    data.update(fields)
    return client.post(reverse("registry:person_create"), data)


def test_registering_a_national_id_from_another_unit_reveals_nothing(
    family_member, ishem_admin, njvrn_worker, login, client
):
    login(ishem_admin)
    ishem = ishem_admin.memberships.get().unit_id
    by_id = _register(client, national_id=family_member.national_id, unit=ishem)
    assert by_id.status_code == 200
    text = by_id.content.decode()
    for leak in ("Mira", "Provë", "Sukth", "already registered", "regjistruar tashmë"):
        assert leak not in text, leak
    assert f"/registry/people/{family_member.pk}/" not in text
    errors_by_id = by_id.context["form"].non_field_errors()
    # The same answer when only the name and date of birth match: no telling why.
    by_name = _register(
        client, first_name="Mirë", last_name="Prove", date_of_birth="1988-04-12", unit=ishem
    )
    assert by_name.context["form"].non_field_errors() == errors_by_id
    assert not by_name.context["form"].errors.get("national_id")
    assert not Person.objects.filter(unit_id=ishem).exists()
    # The NJVRN is asked to check; asking twice makes one request.
    check = DuplicateCheck.objects.get()
    assert (check.person, check.asked_by) == (family_member, ishem_admin)
    login(njvrn_worker)
    listing = client.get(reverse("registry:duplicate_checks"))
    assert "Mira" in listing.content.decode()
    client.post(reverse("registry:duplicate_check_resolve", args=[check.pk]))
    check.refresh_from_db()
    assert check.resolved_by == njvrn_worker


def test_the_api_answers_alike_for_a_hidden_match_by_id_or_by_name(
    family_member, ishem_admin, bearer, client
):
    headers = bearer(ishem_admin)
    ishem = ishem_admin.memberships.get().unit_id
    base = {"first_name": "Ana", "last_name": "Test", "sex": "F", "unit": ishem}
    by_id = client.post(
        "/api/v1/people",
        {**base, "date_of_birth": "1990-02-03", "national_id": family_member.national_id},
        content_type="application/json",
        **headers,
    )
    by_name = client.post(
        "/api/v1/people",
        {**base, "first_name": "Mira", "last_name": "Provë", "date_of_birth": "1988-04-12"},
        content_type="application/json",
        **headers,
    )
    assert by_id.status_code == by_name.status_code == 409
    assert by_id.json() == by_name.json()
    assert by_id.json()["duplicates"] == [] and "already" not in by_id.json()["detail"]


def test_households_answer_404_whether_they_exist_or_not(
    family_member, sukth_admin, ishem_admin, login, client
):
    from socialplan.registry.actions import create_household

    household = create_household(request=None, head=family_member)
    login(ishem_admin)
    absent = household.pk + 1000
    for pk in (household.pk, absent):
        assert client.get(reverse("registry:household", args=[pk])).status_code == 404
        url = reverse("registry:person_create") + f"?household={pk}"
        assert client.get(url).status_code == 404


# One validation of the date of birth, for the API as for the forms.


@pytest.mark.parametrize("value", [0, "2999-01-01", "0001-01-01", "1899-12-31"])
def test_the_api_refuses_an_impossible_date_of_birth(value, sukth_admin, bearer, client):
    sukth = sukth_admin.memberships.get().unit_id
    response = client.post(
        "/api/v1/people",
        {"first_name": "Ana", "last_name": "Data", "sex": "F", "unit": sukth,
         "date_of_birth": value},
        content_type="application/json",
        **bearer(sukth_admin),
    )  # fmt: skip
    assert response.status_code in (400, 422)
    assert not Person.objects.filter(last_name="Data").exists()


def test_the_form_refuses_the_same_dates(sukth_admin, login, client):
    login(sukth_admin)
    sukth = sukth_admin.memberships.get().unit_id
    for value in ("2999-01-01", "1899-12-31"):
        response = _register(client, last_name="Data", date_of_birth=value, unit=sukth)
        assert response.context["form"].errors.get("date_of_birth"), value
    assert not Person.objects.filter(last_name="Data").exists()


# Audit that answers "who saw this person".


def test_lists_record_the_people_they_showed(
    referred_case, sukth_admin, provider_worker, login, bearer, client
):
    case, _consent, _referral = referred_case
    login(sukth_admin)
    client.get(reverse("cases:mine"))
    client.post(reverse("registry:search"), {"name": "mira"})
    client.get("/api/v1/people", **bearer(sukth_admin))
    login(provider_worker)
    client.get(reverse("cases:inbox"))
    shown = AuditSubject.objects.filter(person_id=case.person_id).values_list(
        "event__summary", "event__user__username"
    )
    summaries = {(s.split(",")[0], u) for s, u in shown}
    assert ("my cases", "elira.sukth") in {(s.split(" page")[0], u) for s, u in summaries}
    assert ("register search", "elira.sukth") in summaries
    assert ("referral inbox", "drita.ofrues") in summaries
    assert any(s.startswith("API register list") for s, _u in summaries)


def test_an_auditor_finds_who_saw_a_person(referred_case, sukth_admin, login, client):
    from socialplan.accounts.models import Membership

    case, _consent, _referral = referred_case
    login(sukth_admin)
    client.get(reverse("registry:person_edit", args=[case.person_id]))
    auditor = type(sukth_admin).objects.create_user("vera.auditor", password="not-real-x")
    Membership.objects.create(user=auditor, municipality=case.municipality, role="auditor")
    login(auditor)
    response = client.get(reverse("audit"), {"person": case.person_id})
    events = list(response.context["page"])
    assert any(e.user == sukth_admin and e.summary == "edit" for e in events)
    assert all(e.subjects.filter(person_id=case.person_id).exists() for e in events)
    assert AuditEvent.objects.filter(subjects__person_id=case.person_id).count() >= len(events)
