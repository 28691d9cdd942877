"""Cases and referrals. Bearer tokens only; every call is audited as the pages are.

Cases: the case workers' lists and a case, and referring a case to a
service (with the person's consent, or an override by the roles allowed
one). Referrals: a provider's inbox and its answers (accept, decline,
outcome). A provider sees who the person is only once it accepted.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from socialplan.accounts.scope import Scope
from socialplan.cases import actions
from socialplan.cases.access import (
    answers_as,
    may_read_case_text,
    may_read_referral_text,
    provider_organisations,
    reads_as_provider,
    shows_identity,
    visible_cases,
)
from socialplan.cases.access import (
    get_case as fetch_case,
)
from socialplan.cases.access import (
    get_referral as fetch_referral,
)
from socialplan.cases.models import Case, Referral, Status
from socialplan.directory.models import Service
from socialplan.registry.access import WITHHELD, can_register, record_people_shown

from .auth import token_auth
from .schemas import (
    MAX_ID,
    RECORD_ERRORS,
    TOKEN_ERRORS,
    ErrorOut,
    Id,
    PageParams,
    Reply,
    choice,
    page,
    text,
)

router = Router(tags=["cases"], auth=token_auth)
referrals_router = Router(tags=["referrals"], auth=token_auth)

CaseStatus = choice(Status)
ReferralState = choice(Referral.State)


class Ref(Schema):
    id: int
    name: str


class CasePersonOut(Schema):
    id: int
    first_name: str
    last_name: str


class CaseOut(Schema):
    id: int
    reference: str
    status: CaseStatus
    risk: str
    priority: str
    unit: Ref
    person: CasePersonOut
    owner: str = Field(description="The case worker's user name.")
    opened_at: datetime.datetime
    status_changed_at: datetime.datetime
    due_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    overdue: bool
    version: int


class CasePage(Schema):
    count: int
    items: list[CaseOut]


class ConsentOut(Schema):
    id: int
    recipient: Ref
    purpose: str
    given_on: datetime.date
    withdrawn_on: datetime.date | None
    active: bool


class CaseReferralOut(Schema):
    id: int
    reference: str
    state: ReferralState
    service: Ref
    organisation: Ref
    purpose: str
    consent: int | None
    override_reason: str
    sent_at: datetime.datetime
    responded_at: datetime.datetime | None
    decline_reason: str
    outcome: str
    outcome_notes: str


class CaseDetailOut(CaseOut):
    summary: str
    allowed_next: list[CaseStatus]
    consents: list[ConsentOut]
    referrals: list[CaseReferralOut]


class CaseFilters(PageParams):
    status: CaseStatus | None = Field(None, description="Only cases at this step.")
    unit: Id | None = Field(None, description="Only the cases of this administrative unit (id).")
    mine: bool = Field(False, description="Only the cases this user owns.")


class ReferIn(Schema):
    service: Id = Field(description="The service referred to (its id).")
    purpose: text(2000, min_length=1) = Field(description="What the person needs from it.")
    consent: Id | None = Field(
        None, description="The person's consent to share with the service's organisation."
    )
    override_reason: text(2000) = Field(
        "", description="Without consent: why (only the roles allowed to override)."
    )


def _ref(obj) -> dict:
    return {"id": obj.pk, "name": obj.name}


def _case(case: Case) -> dict:
    return {
        "id": case.pk,
        "reference": case.reference,
        "status": case.status,
        "risk": case.risk,
        "priority": case.priority,
        "unit": _ref(case.unit),
        "person": {
            "id": case.person_id,
            "first_name": case.person.first_name,
            "last_name": case.person.last_name,
        },
        "owner": case.owner.get_username(),
        "opened_at": case.opened_at,
        "status_changed_at": case.status_changed_at,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
        "overdue": case.is_overdue,
        "version": case.version,
    }


def _case_referral(referral: Referral, readable: bool = True) -> dict:
    def text(value):
        return value if readable or not value else str(WITHHELD)

    return {
        "id": referral.pk,
        "reference": referral.reference,
        "state": referral.state,
        "service": _ref(referral.service),
        "organisation": _ref(referral.organisation),
        "purpose": text(referral.purpose),
        "consent": referral.consent_id,
        "override_reason": text(referral.override_reason),
        "sent_at": referral.sent_at,
        "responded_at": referral.responded_at,
        "decline_reason": text(referral.decline_reason),
        "outcome": referral.outcome,
        "outcome_notes": text(referral.outcome_notes),
    }


def _case_worker(user) -> None:
    if not can_register(user):
        raise PermissionDenied("Only case workers see cases.")


@router.get("", response={200: CasePage, **TOKEN_ERRORS}, summary="Cases this user may see")
def list_cases(request, filters: Query[CaseFilters]):
    _case_worker(request.user)
    cases = visible_cases(request.user).select_related("person", "unit", "owner")
    if filters.status is not None:
        cases = cases.filter(status=filters.status)
    if filters.unit is not None:
        cases = cases.filter(unit_id=filters.unit)
    if filters.mine:
        cases = cases.filter(owner=request.user)
    count, rows = page(cases.order_by("due_at", "pk"), filters)
    record_people_shown(
        Scope.of(request), [c.person_id for c in rows], f"API cases list of {count}"
    )
    return {"count": count, "items": [_case(c) for c in rows]}


def _detail(case: Case, readable: bool) -> dict:
    def text(value):
        return value if readable or not value else str(WITHHELD)

    return {
        **_case(case),
        "summary": text(case.summary),
        "allowed_next": case.allowed_next(),
        "consents": [
            {
                "id": c.pk,
                "recipient": _ref(c.recipient),
                "purpose": text(c.purpose),
                "given_on": c.given_on,
                "withdrawn_on": c.withdrawn_on,
                "active": c.active,
            }
            for c in case.consents.select_related("recipient")
        ],
        "referrals": [
            _case_referral(r, readable)
            for r in case.referrals.select_related("service", "organisation")
        ],
    }


@router.get("/{id}", response={200: CaseDetailOut, **RECORD_ERRORS}, summary="One case")
def get_case(request, id: int = Path(..., ge=1, le=MAX_ID)):
    case = fetch_case(Scope.of(request), id, why="API case")
    return _detail(case, may_read_case_text(request.user, case))


@router.post(
    "/{id}/referrals",
    response={201: CaseReferralOut, 400: ErrorOut, 409: ErrorOut, **RECORD_ERRORS},
    summary="Refer the case to a service",
    description="With the id of the person's consent for the service's organisation, or, for "
    "the roles allowed to (director, NJVRN, child protection, domestic-violence coordinator), "
    "a reason to refer without it. The case must have a case plan and be open.",
)
def refer_case(request, payload: ReferIn, id: int = Path(..., ge=1, le=MAX_ID)):
    case = fetch_case(Scope.of(request), id, write=True, why="API refer")
    service = (
        Service.objects.filter(pk=payload.service, municipality_id=case.municipality_id)
        .exclude(status=Service.Status.CLOSED)
        .select_related("organisation")
        .first()
    )
    if service is None:
        return Reply(400, {"detail": "No such open service in the case's municipality."})
    consent = None
    if payload.consent is not None:
        consent = case.consents.filter(pk=payload.consent).first()
        if consent is None:
            return Reply(400, {"detail": "No such consent on this case."})
    try:
        referral = actions.refer(
            request=request,
            case=case,
            service=service,
            by=request.user,
            purpose=payload.purpose,
            consent=consent,
            override_reason=payload.override_reason if consent is None else "",
        )
    except ValidationError as exc:
        return Reply(400, {"detail": " ".join(exc.messages)})
    except actions.StaleCase:
        return Reply(409, {"detail": "The case changed meanwhile; nothing was sent. Try again."})
    return Reply(201, _case_referral(referral))


class ReferralSummaryOut(Schema):
    id: int
    reference: str
    state: ReferralState
    service: Ref
    organisation: Ref
    unit: str = Field(description="The person's administrative unit.")
    sent_at: datetime.datetime


class ReferralPage(Schema):
    count: int
    items: list[ReferralSummaryOut]


class AboutPersonOut(Schema):
    """What every reader of the referral sees of the person."""

    sex: str
    age: int
    unit: str


class PersonIdentityOut(Schema):
    """Shown to a provider only once it accepted the referral."""

    id: int
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    phone: str


class LegalBasisOut(Schema):
    consent_given_on: datetime.date | None
    consent_purpose: str
    consent_active: bool | None
    override_reason: str = Field(description="Why it was sent without consent, if it was.")


class ReferralOut(Schema):
    id: int
    reference: str
    state: ReferralState
    service: Ref
    organisation: Ref
    case: int | None = Field(description="The case's id; not shown to the provider.")
    case_risk: str
    case_priority: str
    purpose: str
    sent_at: datetime.datetime
    sent_by: str
    legal_basis: LegalBasisOut
    about_person: AboutPersonOut
    person: PersonIdentityOut | None = Field(
        description="Who the person is: for a provider, only after it accepted."
    )
    responded_at: datetime.datetime | None
    reply_recorded_by_staff: bool
    decline_reason: str
    outcome: str
    outcome_notes: str
    may_answer: bool = Field(description="Whether this user may accept, decline or report.")


class ReferralFilters(PageParams):
    state: ReferralState | None = Field(None, description="Only referrals in this state.")


class DeclineIn(Schema):
    reason: text(2000) = Field(description="Why the referral is declined.")


class OutcomeIn(Schema):
    outcome: choice(Referral.Outcome)
    notes: text(2000) = ""


def _referral(user, referral: Referral) -> dict:
    is_provider = reads_as_provider(user, referral)
    show_identity = shows_identity(user, referral)
    readable = may_read_referral_text(user, referral)

    def text(value):
        return value if readable or not value else str(WITHHELD)

    person = referral.case.person
    consent = referral.consent
    sender = referral.sent_by
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "state": referral.state,
        "service": _ref(referral.service),
        "organisation": _ref(referral.organisation),
        "case": None if is_provider else referral.case_id,
        "case_risk": referral.case.risk,
        "case_priority": referral.case.priority,
        "purpose": text(referral.purpose),
        "sent_at": referral.sent_at,
        "sent_by": sender.get_full_name() or sender.get_username(),
        "legal_basis": {
            "consent_given_on": consent.given_on if consent else None,
            "consent_purpose": text(consent.purpose) if consent else "",
            "consent_active": consent.active if consent else None,
            "override_reason": text(referral.override_reason),
        },
        "about_person": {
            "sex": person.sex,
            "age": person.age_on(timezone.localdate()),
            "unit": person.unit.name,
        },
        "person": {
            "id": person.pk,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "date_of_birth": person.date_of_birth,
            "phone": person.phone,
        }
        if show_identity
        else None,
        "responded_at": referral.responded_at,
        "reply_recorded_by_staff": referral.reply_recorded_by_staff,
        "decline_reason": text(referral.decline_reason),
        "outcome": referral.outcome,
        "outcome_notes": text(referral.outcome_notes),
        "may_answer": answers_as(user, referral) is not None,
    }


@referrals_router.get(
    "",
    response={200: ReferralPage, **TOKEN_ERRORS},
    summary="A provider's inbox",
    description="Referrals to the organisations this user works for; no names: open one "
    "referral to see who the person is, once accepted.",
)
def list_referrals(request, filters: Query[ReferralFilters]):
    organisations = provider_organisations(request.user)
    if not organisations:
        raise PermissionDenied("Only a provider's staff have a referral inbox.")
    referrals = Referral.objects.filter(organisation_id__in=organisations).select_related(
        "service", "organisation", "case__person__unit"
    )
    if filters.state is not None:
        referrals = referrals.filter(state=filters.state)
    count, rows = page(referrals.order_by("state", "-sent_at", "-pk"), filters)
    record_people_shown(
        Scope.of(request), [r.case.person_id for r in rows], f"API referral inbox of {count}"
    )
    return {
        "count": count,
        "items": [
            {
                "id": r.pk,
                "reference": r.reference,
                "state": r.state,
                "service": _ref(r.service),
                "organisation": _ref(r.organisation),
                "unit": r.case.person.unit.name,
                "sent_at": r.sent_at,
            }
            for r in rows
        ],
    }


@referrals_router.get("/{id}", response={200: ReferralOut, **RECORD_ERRORS}, summary="A referral")
def get_referral(request, id: int = Path(..., ge=1, le=MAX_ID)):
    referral = fetch_referral(Scope.of(request), id, why="API referral")
    return _referral(request.user, referral)


def _answer(request, pk, handler):
    scope = Scope.of(request)
    referral = fetch_referral(scope, pk, why="API answer")
    role = answers_as(request.user, referral)
    if role is None:
        raise PermissionDenied("Only the receiving provider answers this referral.")
    try:
        handler(referral, staff=role == "staff")
    except actions.AlreadyAnswered:
        return Reply(409, {"detail": "This referral was already answered; nothing was changed."})
    except actions.StaleCase:
        return Reply(409, {"detail": "The case changed meanwhile; nothing was changed. Try again."})
    except ValidationError as exc:
        return Reply(400, {"detail": " ".join(exc.messages)})
    return Reply(200, _referral(request.user, fetch_referral(scope, pk, why="API answered")))


ANSWER_RESPONSES = {200: ReferralOut, 400: ErrorOut, 409: ErrorOut, **RECORD_ERRORS}


@referrals_router.post(
    "/{id}/accept", response=ANSWER_RESPONSES, summary="Accept a referral (the provider)"
)
def accept_referral(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _answer(
        request,
        id,
        lambda referral, staff: actions.accept_referral(
            request=request, referral=referral, by=request.user, staff=staff
        ),
    )


@referrals_router.post(
    "/{id}/decline", response=ANSWER_RESPONSES, summary="Decline a referral, saying why"
)
def decline_referral(request, payload: DeclineIn, id: int = Path(..., ge=1, le=MAX_ID)):
    return _answer(
        request,
        id,
        lambda referral, staff: actions.decline_referral(
            request=request, referral=referral, by=request.user, reason=payload.reason, staff=staff
        ),
    )


@referrals_router.post(
    "/{id}/outcome", response=ANSWER_RESPONSES, summary="Report the outcome of an accepted referral"
)
def report_outcome(request, payload: OutcomeIn, id: int = Path(..., ge=1, le=MAX_ID)):
    return _answer(
        request,
        id,
        lambda referral, staff: actions.report_outcome(
            request=request,
            referral=referral,
            by=request.user,
            outcome=payload.outcome,
            notes=payload.notes,
            staff=staff,
        ),
    )
