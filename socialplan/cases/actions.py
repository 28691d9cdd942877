"""Case and referral workflows. Each is one transaction and leaves its audit rows.

Every function takes keyword arguments only and checks what the database
alone cannot (who may override consent, which step may follow which).
Concurrency: a case carries a version; a referral is answered with a
conditional update, so of two providers' clicks exactly one wins.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialplan.accounts.audit import record

from .access import can_override_consent, is_special_case
from .models import (
    TRANSITIONS,
    Case,
    CaseConference,
    CaseEvent,
    CaseNote,
    Consent,
    Referral,
    Status,
)
from .references import next_case_reference, next_referral_reference

NO_CONSENT = gettext_lazy(
    "Record the person's consent to share with this provider, "
    "or give the reason to refer without it."
)


def _audit(request, by, action, obj, **details):
    # `by` is who acted, also when no request is at hand (commands, tests).
    return record(request, action, obj, user=by, **details)


class StaleCase(Exception):
    """The case changed after the page was opened."""


class AlreadyAnswered(Exception):
    """The referral was answered (or withdrawn) by someone else first."""


@transaction.atomic
def open_case(
    *, request, person, by, summary="", risk="medium", priority="normal", unit=None
) -> Case:
    now = timezone.now()
    case = Case(
        municipality=person.municipality,
        unit=unit or person.unit,
        person=person,
        owner=by,
        risk=risk,
        priority=priority,
        summary=summary,
        opened_at=now,
        status_changed_at=now,
        reference=next_case_reference(person.municipality, now.year),
    )
    case.set_due(now)
    case.save()
    CaseEvent.objects.create(case=case, by=by, from_status="", to_status=Status.IDENTIFIED)
    _audit(request, by, "create", case, summary=f"case opened for person {person.pk}")
    return case


def _bump(case: Case, expected_version: int | None) -> None:
    """Claim the case for this change; refuse if someone changed it since `expected_version`."""
    version = case.version if expected_version is None else expected_version
    if not Case.objects.filter(pk=case.pk, version=version).update(version=F("version") + 1):
        raise StaleCase
    case.version = version + 1


def _set_status(case: Case, to: str, by, note: str, now=None) -> None:
    now = now or timezone.now()
    CaseEvent.objects.create(case=case, by=by, from_status=case.status, to_status=to, note=note)
    case.status = to
    case.status_changed_at = now
    case.set_due(now)
    if to == Status.IN_SERVICE and case.first_service_at is None:
        case.first_service_at = now
    case.closed_at = now if to == Status.CLOSED else None
    case.save()


@transaction.atomic
def move_case(*, request, case: Case, to: str, by, note="", expected_version=None) -> Case:
    if to not in TRANSITIONS[Status(case.status)]:
        raise ValidationError(
            _("A case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": case.get_status_display(), "to": Status(to).label}
        )
    _bump(case, expected_version)
    old = case.status
    _set_status(case, to, by, note)
    _audit(request, by, "change", case, changes={"status": [old, to]})
    return case


@transaction.atomic
def reopen_case(*, request, case: Case, by, reason: str, expected_version=None) -> Case:
    if case.status != Status.CLOSED:
        raise ValidationError(_("Only a closed case can be reopened."))
    if not reason.strip():
        raise ValidationError(_("Say why the case is reopened."))
    _bump(case, expected_version)
    _set_status(case, Status.ASSESSMENT, by, reason)
    _audit(
        request,
        by,
        "change",
        case,
        summary="reopened",
        changes={"status": ["closed", "assessment"]},
    )
    return case


@transaction.atomic
def add_note(*, request, case: Case, by, text: str) -> CaseNote:
    note = CaseNote.objects.create(case=case, author=by, text=text)
    _audit(request, by, "change", case, summary="note added")
    return note


@transaction.atomic
def add_conference(*, request, case: Case, by, **fields) -> CaseConference:
    conference = CaseConference.objects.create(case=case, recorded_by=by, **fields)
    _audit(request, by, "change", case, summary="case conference recorded")
    return conference


@transaction.atomic
def record_consent(*, request, case: Case, by, recipient, purpose: str, given_on) -> Consent:
    consent = Consent.objects.create(
        person=case.person,
        case=case,
        recipient=recipient,
        purpose=purpose,
        given_on=given_on,
        recorded_by=by,
    )
    _audit(request, by, "create", consent, summary=f"consent for case {case.pk}")
    return consent


@transaction.atomic
def withdraw_consent(*, request, consent: Consent, by, on) -> None:
    if consent.withdrawn_on:
        return
    consent.withdrawn_on = on
    consent.withdrawn_by = by
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    # A referral not yet answered that rests on this consent can no longer go on.
    pending = Referral.objects.filter(consent=consent, state=Referral.State.SENT)
    pending.update(state=Referral.State.WITHDRAWN)
    _audit(request, by, "change", consent, summary="consent withdrawn")


@transaction.atomic
def refer(
    *, request, case: Case, service, by, purpose: str, consent=None, override_reason=""
) -> Referral:
    """Refer the case to a service: with the person's consent for that recipient, or an override."""
    if case.status in (Status.IDENTIFIED, Status.ASSESSMENT):
        raise ValidationError(_("Assess the person and make the case plan before referring."))
    if case.status == Status.CLOSED:
        raise ValidationError(_("A closed case cannot be referred; reopen it first."))
    if consent is not None:
        if consent.case_id != case.pk or consent.recipient_id != service.organisation_id:
            raise ValidationError(_("This consent is for another case or another recipient."))
        if not consent.active:
            raise ValidationError(_("This consent was withdrawn."))
    else:
        if not override_reason.strip():
            raise ValidationError(NO_CONSENT)
        if not can_override_consent(by, case.municipality_id):
            raise PermissionDenied(_("Your role may not refer without the person's consent."))
    now = timezone.now()
    referral = Referral.objects.create(
        case=case,
        service=service,
        organisation=service.organisation,
        reference=next_referral_reference(case.municipality, now.year),
        purpose=purpose,
        consent=consent,
        override_reason=override_reason if consent is None else "",
        sent_by=by,
    )
    if case.status == Status.CASE_PLAN:
        _bump(case, None)
        _set_status(case, Status.REFERRED, by, f"referral {referral.reference}", now)
    special = is_special_case(case)
    summary = f"referral {referral.reference} to organisation {service.organisation_id}"
    if consent is None:
        summary += " WITHOUT CONSENT (override)"
    _audit(
        request,
        by,
        "refer",
        referral,
        summary=summary,
        changes={"special_category": [None, str(special)]},
    )
    return referral


def _answer(referral: Referral, *, to: str, by, staff: bool, **fields) -> None:
    """Move a sent referral to `to` only if it is still sent: exactly one answer wins."""
    now = timezone.now()
    updated = Referral.objects.filter(pk=referral.pk, state=Referral.State.SENT).update(
        state=to, responded_by=by, responded_at=now, reply_recorded_by_staff=staff, **fields
    )
    if not updated:
        raise AlreadyAnswered
    referral.refresh_from_db()


@transaction.atomic
def accept_referral(*, request, referral: Referral, by, staff=False) -> Referral:
    _answer(referral, to=Referral.State.ACCEPTED, by=by, staff=staff)
    case = Case.objects.select_for_update().get(pk=referral.case_id)
    if Status.IN_SERVICE in TRANSITIONS[Status(case.status)]:
        _bump(case, None)
        _set_status(case, Status.IN_SERVICE, by, f"referral {referral.reference} accepted")
    _audit(
        request, by, "change", referral, summary="accepted", changes={"state": ["sent", "accepted"]}
    )
    return referral


@transaction.atomic
def decline_referral(*, request, referral: Referral, by, reason: str, staff=False) -> Referral:
    if not reason.strip():
        raise ValidationError(_("Say why the referral is declined."))
    _answer(referral, to=Referral.State.DECLINED, by=by, staff=staff, decline_reason=reason)
    case = Case.objects.select_for_update().get(pk=referral.case_id)
    if case.status == Status.REFERRED:
        _bump(case, None)
        _set_status(case, Status.CASE_PLAN, by, f"referral {referral.reference} declined")
    _audit(
        request, by, "change", referral, summary="declined", changes={"state": ["sent", "declined"]}
    )
    return referral


@transaction.atomic
def report_outcome(
    *, request, referral: Referral, by, outcome: str, notes="", staff=False
) -> Referral:
    now = timezone.now()
    updated = Referral.objects.filter(pk=referral.pk, state=Referral.State.ACCEPTED).update(
        state=Referral.State.COMPLETED,
        outcome=outcome,
        outcome_notes=notes,
        outcome_at=now,
        reply_recorded_by_staff=staff,
    )
    if not updated:
        raise AlreadyAnswered
    referral.refresh_from_db()
    case = Case.objects.select_for_update().get(pk=referral.case_id)
    if case.status == Status.IN_SERVICE:
        _bump(case, None)
        _set_status(case, Status.FOLLOW_UP, by, f"referral {referral.reference}: {outcome}")
    _audit(
        request,
        by,
        "change",
        referral,
        summary="outcome reported",
        changes={"outcome": ["", outcome]},
    )
    return referral
