"""The register: need-to-know access, duplicates and merge, audit, no personal data in URLs."""

import datetime

import pytest
from django.urls import reverse

from socialplan.accounts.models import AuditEvent
from socialplan.registry import actions
from socialplan.registry.duplicates import find_duplicates
from socialplan.registry.models import Person


def test_unit_staff_see_their_unit_only(
    login, family_member, sukth_admin, ishem_admin, njvrn_worker, planner
):
    assert login(sukth_admin).get(family_member.get_absolute_url()).status_code == 200
    assert login(ishem_admin).get(family_member.get_absolute_url()).status_code == 404
    assert login(njvrn_worker).get(family_member.get_absolute_url()).status_code == 200
    # Planning officers work with aggregates: no person's file.
    assert login(planner).get(family_member.get_absolute_url()).status_code == 404


def test_special_categories_are_narrower(login, family_member, sukth_admin, njvrn_worker):
    # The unit administrator sees economic aid, not domestic violence (unless owning a case).
    page = login(sukth_admin).get(family_member.get_absolute_url())
    codes = [c.category.code for c in page.context["categories"]]
    assert codes == ["families_in_need"] and page.context["hidden_categories"] == 1
    page = login(njvrn_worker).get(family_member.get_absolute_url())
    assert {c.category.code for c in page.context["categories"]} == {
        "families_in_need",
        "domestic_violence",
    }


def test_every_look_at_a_file_is_audited(login, family_member, njvrn_worker):
    login(njvrn_worker).get(family_member.get_absolute_url())
    event = AuditEvent.objects.get(action="view", object_id=str(family_member.pk))
    assert event.user == njvrn_worker and event.object_type == "registry.person" and event.ip
    assert "Mira" not in event.summary and "Mira" not in str(event.changes)


def test_search_is_posted_and_audited_without_its_terms(login, family_member, njvrn_worker):
    client = login(njvrn_worker)
    assert client.get(reverse("registry:search")).status_code == 200
    response = client.post(reverse("registry:search"), {"name": "mira prove"})
    assert [p.pk for p in response.context["people"]] == [family_member.pk]
    event = AuditEvent.objects.filter(action="search").latest("pk")
    assert "mira" not in event.summary.lower()


def test_duplicates_by_national_id_and_by_similar_name(family_member, durres):
    same_id = find_duplicates(
        municipality=durres, first_name="X", last_name="Y",
        date_of_birth=datetime.date(2000, 1, 1), national_id="I88412000X",
    )  # fmt: skip
    assert same_id == [(family_member, "national_id")]
    similar = find_duplicates(
        municipality=durres, first_name="Mirë", last_name="Prove",
        date_of_birth=family_member.date_of_birth,
    )  # fmt: skip
    assert similar == [(family_member, "name_and_birth_date")]
    other_birthday = find_duplicates(
        municipality=durres, first_name="Mira", last_name="Provë",
        date_of_birth=datetime.date(1990, 1, 1),
    )  # fmt: skip
    assert other_birthday == []


def test_registering_a_likely_duplicate_needs_confirmation(
    login, family_member, sukth_admin, sukth
):
    client = login(sukth_admin)
    data = {
        "first_name": "Mirë",
        "last_name": "Prove",
        "sex": "F",
        "date_of_birth": "1988-04-12",
        "unit": sukth.pk,
    }
    response = client.post(reverse("registry:person_create"), data)
    assert response.status_code == 200 and response.context["duplicates"]
    assert Person.objects.filter(first_name="Mirë").count() == 0
    response = client.post(
        reverse("registry:person_create"), {**data, "confirm_not_duplicate": "on"}
    )
    assert response.status_code == 302
    same_id = client.post(reverse("registry:person_create"), {**data, "national_id": "i88412000x"})
    assert same_id.status_code == 200 and "national_id" in same_id.context["form"].errors


def test_merge_keeps_history(login, family_member, njvrn_worker, sukth, durres):
    duplicate = Person.objects.create(
        municipality=durres, unit=sukth, first_name="Mira", last_name="Prove", sex="F",
        date_of_birth=family_member.date_of_birth, phone="069 000 0000", synthetic=True,
    )  # fmt: skip
    actions.add_assessment(
        request=None, person=duplicate, by=njvrn_worker, date=datetime.date.today(),
        needs={"income": 2}, risk="medium",
    )  # fmt: skip
    client = login(njvrn_worker)
    response = client.post(
        reverse("registry:merge", args=[family_member.pk]),
        {"duplicate": duplicate.pk, "confirm": "on"},
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    family_member.refresh_from_db()
    assert duplicate.merged_into == family_member
    assert family_member.assessments.count() == 1 and family_member.phone == "069 000 0000"
    assert AuditEvent.objects.filter(
        object_id=str(duplicate.pk), summary__startswith="merged"
    ).exists()
    # The merged record no longer appears in searches.
    found = client.post(reverse("registry:search"), {"name": "mira"}).context["people"]
    assert duplicate not in found


def test_a_unit_administrator_may_not_merge(login, family_member, sukth_admin):
    assert (
        login(sukth_admin).get(reverse("registry:merge", args=[family_member.pk])).status_code
        == 403
    )


def test_a_stale_edit_is_refused(login, family_member, sukth_admin, njvrn_worker):
    stale = family_member.version
    actions.update_person(
        request=None, person=family_member, data={"phone": "068 1"}, expected_version=stale
    )
    client = login(sukth_admin)
    data = {
        "first_name": "Mira", "last_name": "Provë", "sex": "F", "date_of_birth": "1988-04-12",
        "unit": family_member.unit_id, "phone": "067 2", "version": stale,
    }  # fmt: skip
    response = client.post(reverse("registry:person_edit", args=[family_member.pk]), data)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    family_member.refresh_from_db()
    assert family_member.phone == "068 1"


def test_national_id_is_unique_within_a_municipality(family_member, durres, sukth):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            municipality=durres, unit=sukth, first_name="A", last_name="B", sex="M",
            date_of_birth=datetime.date(1970, 1, 1), national_id="I88412000X",
        )  # fmt: skip
