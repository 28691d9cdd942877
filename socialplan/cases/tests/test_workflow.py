"""A social administrator in Sukth registers a family, assesses it, refers it with consent,
and the provider accepts; the provider sees only that referral."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from socialplan.accounts.models import AuditEvent
from socialplan.cases import actions
from socialplan.cases.models import Case, CaseEvent, Referral, Status
from socialplan.registry.models import Person


def _open_planned_case(person, by):
    case = actions.open_case(request=None, person=person, by=by, summary="Familje në vështirësi")
    for step in (Status.ASSESSMENT, Status.CASE_PLAN):
        actions.move_case(request=None, case=case, to=step, by=by)
    return case


def _referred_with_consent(person, by, service):
    """A planned case of `person`, consent for `service`'s organisation, and the referral."""
    case = _open_planned_case(person, by)
    consent = actions.record_consent(
        request=None, case=case, by=by, recipient=service.organisation, purpose="x",
        given_on=datetime.date.today(),
    )  # fmt: skip
    referral = actions.refer(
        request=None, case=case, service=service, by=by, purpose="x", consent=consent
    )
    return case, consent, referral


def test_register_assess_refer_accept(login, sukth_admin, provider_worker, day_centre, sukth):
    client = login(sukth_admin)
    response = client.post(
        reverse("registry:person_create"),
        {
            "first_name": "Arjola",
            "last_name": "Shembull",
            "sex": "F",
            "date_of_birth": "1990-03-02",
            "national_id": "J90302001A",
            "unit": sukth.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    person = Person.objects.get(national_id="J90302001A")
    assert person.created_by == sukth_admin
    assert "Arjola" not in response["Location"]  # ids in URLs, never names

    quiet = ("health", "education", "employment", "care", "protection", "documents")
    needs = {"need_income": 3, "need_housing": 2, **{f"need_{d}": 0 for d in quiet}}
    client.post(
        reverse("registry:assessment_add", args=[person.pk]),
        {"date": "2026-11-20", "risk": "high", **needs},
    )
    assert person.assessments.get().needs["income"] == 3

    client.post(
        reverse("cases:open", args=[person.pk]),
        {"risk": "high", "priority": "high", "summary": "x"},
    )
    case = Case.objects.get(person=person)
    assert case.owner == sukth_admin and case.status == Status.IDENTIFIED and case.due_at
    for step in ("assessment", "case_plan"):
        case.refresh_from_db()
        client.post(reverse("cases:move", args=[case.pk]), {"to": step, "version": case.version})
    case.refresh_from_db()
    assert case.status == Status.CASE_PLAN

    client.post(
        reverse("cases:consent_add", args=[case.pk]),
        {
            "recipient": day_centre.organisation.pk,
            "purpose": "shërbim ditor",
            "given_on": "2026-11-20",
        },
    )
    consent = case.consents.get()
    client.post(
        reverse("cases:refer", args=[case.pk]),
        {"service": day_centre.pk, "purpose": "Kujdes ditor për nënën", "consent": consent.pk},
    )
    referral = Referral.objects.get(case=case)
    case.refresh_from_db()
    assert case.status == Status.REFERRED
    assert AuditEvent.objects.filter(action="refer", object_id=str(referral.pk)).exists()

    provider = login(provider_worker)
    inbox = provider.get(reverse("cases:inbox"))
    assert [r.pk for r in inbox.context["referrals"]] == [referral.pk]
    before = provider.get(referral.get_absolute_url()).content.decode()
    assert "Arjola" not in before  # the name only after accepting
    assert provider.get(person.get_absolute_url()).status_code == 404  # not the person's file
    provider.post(reverse("cases:referral_accept", args=[referral.pk]))
    referral.refresh_from_db()
    case.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED and case.status == Status.IN_SERVICE
    assert "Arjola" in provider.get(referral.get_absolute_url()).content.decode()
    provider.post(reverse("cases:referral_outcome", args=[referral.pk]), {"outcome": "served"})
    case.refresh_from_db()
    assert case.status == Status.FOLLOW_UP
    assert [e.to_status for e in case.events.all()] == [
        "identified", "assessment", "case_plan", "referred", "in_service", "follow_up",
    ]  # fmt: skip


def test_no_referral_of_a_special_category_case_without_consent(
    family_member, sukth_admin, day_centre
):
    case = _open_planned_case(family_member, sukth_admin)
    with pytest.raises(ValidationError):
        actions.refer(request=None, case=case, service=day_centre, by=sukth_admin, purpose="x")
    # A unit administrator may not override, even with a reason.
    with pytest.raises(PermissionDenied):
        actions.refer(
            request=None,
            case=case,
            service=day_centre,
            by=sukth_admin,
            purpose="x",
            override_reason="urgjent",
        )
    assert not Referral.objects.filter(case=case).exists()


def test_override_by_an_allowed_role_is_logged_with_its_reason(
    family_member, njvrn_worker, day_centre
):
    case = _open_planned_case(family_member, njvrn_worker)
    referral = actions.refer(
        request=None,
        case=case,
        service=day_centre,
        by=njvrn_worker,
        purpose="strehim",
        override_reason="Rrezik i menjëhershëm për jetën",
    )
    assert referral.consent is None and referral.override_reason
    event = AuditEvent.objects.get(action="refer", object_id=str(referral.pk))
    assert "WITHOUT CONSENT" in event.summary and event.user == njvrn_worker


def test_consent_for_another_recipient_does_not_count(
    family_member, sukth_admin, day_centre, durres
):
    from socialplan.directory.models import Organisation

    case = _open_planned_case(family_member, sukth_admin)
    other = (
        Organisation.objects.filter(municipality=durres)
        .exclude(pk=day_centre.organisation_id)
        .first()
    )
    consent = actions.record_consent(
        request=None,
        case=case,
        by=sukth_admin,
        recipient=other,
        purpose="x",
        given_on=datetime.date.today(),
    )
    with pytest.raises(ValidationError):
        actions.refer(
            request=None,
            case=case,
            service=day_centre,
            by=sukth_admin,
            purpose="x",
            consent=consent,
        )


def test_withdrawing_consent_withdraws_unanswered_referrals(family_member, sukth_admin, day_centre):
    case, consent, referral = _referred_with_consent(family_member, sukth_admin, day_centre)
    actions.withdraw_consent(
        request=None, consent=consent, by=sukth_admin, on=datetime.date.today()
    )
    referral.refresh_from_db()
    assert referral.state == Referral.State.WITHDRAWN


def test_decline_returns_the_case_to_its_plan(
    family_member, sukth_admin, provider_worker, day_centre
):
    case, consent, referral = _referred_with_consent(family_member, sukth_admin, day_centre)
    with pytest.raises(ValidationError):
        actions.decline_referral(request=None, referral=referral, by=provider_worker, reason=" ")
    actions.decline_referral(request=None, referral=referral, by=provider_worker, reason="Pa vend")
    case.refresh_from_db()
    assert case.status == Status.CASE_PLAN


def test_only_one_of_two_answers_wins(family_member, sukth_admin, provider_worker, day_centre):
    case, consent, referral = _referred_with_consent(family_member, sukth_admin, day_centre)
    stale_copy = Referral.objects.get(pk=referral.pk)
    actions.accept_referral(request=None, referral=referral, by=provider_worker)
    with pytest.raises(actions.AlreadyAnswered):
        actions.accept_referral(request=None, referral=stale_copy, by=provider_worker)
    assert CaseEvent.objects.filter(case=case, to_status=Status.IN_SERVICE).count() == 1


def test_lifecycle_rules_and_reopen(family_member, sukth_admin):
    case = actions.open_case(request=None, person=family_member, by=sukth_admin)
    with pytest.raises(ValidationError):
        actions.move_case(request=None, case=case, to=Status.IN_SERVICE, by=sukth_admin)
    actions.move_case(request=None, case=case, to=Status.CLOSED, by=sukth_admin)
    assert case.closed_at and case.due_at is None
    with pytest.raises(ValidationError):
        actions.reopen_case(request=None, case=case, by=sukth_admin, reason=" ")
    actions.reopen_case(request=None, case=case, by=sukth_admin, reason="Situata u përkeqësua")
    assert case.status == Status.ASSESSMENT and case.closed_at is None


def test_a_stale_step_change_is_refused(login, family_member, sukth_admin, njvrn_worker):
    case = actions.open_case(request=None, person=family_member, by=sukth_admin)
    old_version = case.version
    actions.move_case(request=None, case=case, to=Status.ASSESSMENT, by=njvrn_worker)
    client = login(sukth_admin)
    response = client.post(
        reverse("cases:move", args=[case.pk]), {"to": "closed", "version": old_version}, follow=True
    )
    case.refresh_from_db()
    assert case.status == Status.ASSESSMENT
    assert response.status_code == 200


def test_deadlines_and_overdue_lists(login, family_member, sukth_admin, njvrn_worker, settings):
    from django.utils import timezone

    from socialplan.cases.models import DeadlinePolicy

    DeadlinePolicy.objects.create(
        municipality=family_member.municipality, status=Status.IDENTIFIED, days=1
    )
    case = actions.open_case(request=None, person=family_member, by=sukth_admin)
    assert (case.due_at - case.opened_at).days == 1
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - datetime.timedelta(days=2))
    assert list(Case.objects.overdue()) == [case]
    client = login(njvrn_worker)
    page = client.get(reverse("cases:overdue"))
    assert case in page.context["cases"]
    assert list(page.context["by_unit"]) == [{"unit__name": "Sukth", "n": 1}]
    supervisor = client.get(reverse("cases:supervisor"))
    assert supervisor.status_code == 200


def test_referral_pdf_names_no_categories(login, family_member, sukth_admin, day_centre):
    case, consent, referral = _referred_with_consent(family_member, sukth_admin, day_centre)
    response = login(sukth_admin).get(reverse("cases:referral_pdf", args=[referral.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert referral.reference in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export", object_id=str(referral.pk)).exists()
