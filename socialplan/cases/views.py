"""Case and referral pages. Every page showing personal data leaves an audit row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialplan.accounts.audit import record
from socialplan.accounts.models import Membership
from socialplan.accounts.scope import Scope
from socialplan.registry.access import WITHHELD, can_register, get_person, record_people_shown

from . import actions
from .access import (
    answers_as,
    can_override_consent,
    can_write_case,
    get_case,
    get_referral,
    is_special_case,
    may_read_case_text,
    may_read_referral_text,
    provider_organisations,
    reads_as_provider,
    shows_identity,
    visible_cases,
)
from .forms import (
    ConferenceForm,
    ConsentForm,
    DeclineForm,
    MoveForm,
    NoteForm,
    OpenCaseForm,
    OutcomeForm,
    ReferForm,
    ReopenForm,
)
from .models import Case, Consent, Referral

STALE = gettext_lazy(
    "Someone else changed this case after you opened it. Nothing was saved: reload the page."
)


CASES_PER_PAGE = 100
Role = Membership.Role


def _case_list(cases):
    return cases.select_related("person", "unit", "owner").order_by("due_at", "pk")


def _case_worker(user) -> None:
    if not can_register(user):
        raise PermissionDenied


@login_required
def my_cases(request):
    _case_worker(request.user)
    # Paged: a worker's list must not render thousands of rows in one page.
    page = Paginator(_case_list(Case.objects.filter(owner=request.user).open()), CASES_PER_PAGE)
    page = page.get_page(request.GET.get("page"))
    record_people_shown(
        Scope.of(request),
        [c.person_id for c in page],
        f"my cases, page {page.number} of {page.paginator.num_pages}",
    )
    return render(
        request,
        "cases/list.html",
        {"cases": page, "page": page, "title": _("My cases")},
    )


@login_required
def overdue(request):
    """Overdue cases the user may see, by worker and by unit (the supervisor's view)."""
    _case_worker(request.user)
    cases = visible_cases(request.user).overdue()
    rows = list(_case_list(cases)[:500])
    by_worker = (
        cases.values("owner__username").annotate(n=Count("pk")).order_by("-n", "owner__username")
    )
    by_unit = cases.values("unit__name").annotate(n=Count("pk")).order_by("-n", "unit__name")
    record_people_shown(Scope.of(request), [c.person_id for c in rows], "overdue cases")
    return render(
        request,
        "cases/overdue.html",
        {"cases": rows, "by_worker": by_worker, "by_unit": by_unit},
    )


@login_required
def supervisor(request):
    """Caseloads per worker and per unit: counts only, no names of people."""
    municipalities = Scope.of(request).municipalities_where({Role.DIRECTOR, Role.NJVRN})
    if not municipalities and not request.user.is_superuser:
        raise PermissionDenied
    now = timezone.now()
    cases = (
        Case.objects.filter(municipality__in=municipalities)
        if municipalities
        else Case.objects.all()
    )
    open_cases = cases.open()
    workers = (
        open_cases.values("owner__username", "owner__first_name", "owner__last_name")
        .annotate(total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by("-overdue", "-total")
    )
    units = (
        open_cases.values("unit__name")
        .annotate(total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by("unit__name")
    )
    steps = open_cases.values("status").annotate(total=Count("pk")).order_by("status")
    return render(
        request, "cases/supervisor.html", {"workers": workers, "units": units, "steps": steps}
    )


@login_required
def case_open(request, person_pk):
    person = get_person(Scope.of(request), person_pk, write=True, why="open a case")
    form = OpenCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = actions.open_case(
            request=request, person=person, by=request.user, **form.cleaned_data
        )
        return redirect(case)
    return render(
        request, "cases/form.html", {"form": form, "title": _("Open a case"), "person": person}
    )


@login_required
def case_detail(request, pk):
    case = get_case(Scope.of(request), pk, why="case page")
    writable = can_write_case(request.user, case)
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "events": case.events.select_related("by"),
            "notes": case.notes.select_related("author"),
            "conferences": case.conferences.select_related("recorded_by"),
            "consents": case.consents.select_related("recipient", "recorded_by"),
            "referrals": case.referrals.select_related("service", "organisation"),
            "move_form": MoveForm(case=case) if case.status != "closed" else None,
            "reopen_form": ReopenForm(initial={"version": case.version})
            if case.status == "closed"
            else None,
            "note_form": NoteForm(),
            "writable": writable,
            "special": is_special_case(case),
            "can_read_text": may_read_case_text(request.user, case),
            "withheld": WITHHELD,
        },
    )


def _post_case(request, pk):
    return get_case(Scope.of(request), pk, write=True, why="change")


def _change_case(request, case, change) -> None:
    """Run a change of the case; a stale page or a refused step becomes a message."""
    try:
        change()
    except actions.StaleCase:
        messages.error(request, STALE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def case_move(request, pk):
    case = _post_case(request, pk)
    form = MoveForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        _change_case(
            request,
            case,
            lambda: actions.move_case(
                request=request,
                case=case,
                to=data["to"],
                by=request.user,
                note=data["note"],
                expected_version=data["version"],
            ),
        )
    else:
        messages.error(request, _("That step is not possible now."))
    return redirect(case)


@login_required
@require_POST
def case_reopen(request, pk):
    case = _post_case(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _change_case(
            request,
            case,
            lambda: actions.reopen_case(
                request=request,
                case=case,
                by=request.user,
                reason=data["reason"],
                expected_version=data["version"],
            ),
        )
    else:
        messages.error(request, _("Say why the case is reopened."))
    return redirect(case)


@login_required
@require_POST
def case_note(request, pk):
    case = _post_case(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.add_note(
            request=request, case=case, by=request.user, text=form.cleaned_data["text"]
        )
    return redirect(case)


@login_required
def conference_add(request, pk):
    case = get_case(Scope.of(request), pk, write=True, why="case conference")
    form = ConferenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.add_conference(request=request, case=case, by=request.user, **form.cleaned_data)
        return redirect(case)
    return render(
        request, "cases/form.html", {"form": form, "title": _("Case conference"), "case": case}
    )


@login_required
def consent_add(request, pk):
    case = get_case(Scope.of(request), pk, write=True, why="consent")
    form = ConsentForm(request.POST or None, municipality=case.municipality)
    if request.method == "POST" and form.is_valid():
        actions.record_consent(request=request, case=case, by=request.user, **form.cleaned_data)
        return redirect(case)
    return render(
        request, "cases/form.html", {"form": form, "title": _("Record consent"), "case": case}
    )


@login_required
@require_POST
def consent_withdraw(request, pk, consent_pk):
    case = _post_case(request, pk)
    consent = get_object_or_404(Consent, pk=consent_pk, case=case)
    actions.withdraw_consent(
        request=request, consent=consent, by=request.user, on=timezone.localdate()
    )
    messages.success(
        request,
        _("Consent withdrawn; referrals not yet answered that rested on it were withdrawn."),
    )
    return redirect(case)


@login_required
def refer(request, pk):
    case = get_case(Scope.of(request), pk, write=True, why="refer")
    form = ReferForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = actions.refer(
                request=request,
                case=case,
                service=data["service"],
                by=request.user,
                purpose=data["purpose"],
                consent=data["consent"],
                override_reason=data["override_reason"] if not data["consent"] else "",
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Referral sent: %(ref)s") % {"ref": referral.reference})
            return redirect(referral)
    return render(
        request,
        "cases/refer.html",
        {
            "form": form,
            "case": case,
            "special": is_special_case(case),
            "can_override": can_override_consent(request.user, case.municipality_id),
        },
    )


@login_required
def inbox(request):
    """A provider's referrals: only those to its organisations."""
    organisations = provider_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    referrals = list(
        Referral.objects.filter(organisation_id__in=organisations)
        .select_related("service", "organisation", "case__person__unit")
        .order_by("state", "-sent_at")[:200]
    )
    record_people_shown(Scope.of(request), [r.case.person_id for r in referrals], "referral inbox")
    return render(request, "cases/inbox.html", {"referrals": referrals})


@login_required
def referral_detail(request, pk):
    referral = get_referral(Scope.of(request), pk, why="referral page")
    is_provider = reads_as_provider(request.user, referral)
    return render(
        request,
        "cases/referral.html",
        {
            "referral": referral,
            "person": referral.case.person,
            "is_provider": is_provider,
            "show_identity": shows_identity(request.user, referral),
            "can_read_text": may_read_referral_text(request.user, referral),
            "withheld": WITHHELD,
            "answers_as": answers_as(request.user, referral),
            "decline_form": DeclineForm(),
            "outcome_form": OutcomeForm(),
            "age": referral.case.person.age_on(timezone.localdate()),
        },
    )


def _answer(request, pk, handler):
    referral = get_referral(Scope.of(request), pk, why="answer")
    role = answers_as(request.user, referral)
    if role is None:
        raise PermissionDenied
    try:
        handler(referral, staff=role == "staff")
    except actions.AlreadyAnswered:
        messages.error(request, _("This referral was already answered; nothing was changed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(referral)


@login_required
@require_POST
def referral_accept(request, pk):
    return _answer(
        request,
        pk,
        lambda referral, staff: actions.accept_referral(
            request=request, referral=referral, by=request.user, staff=staff
        ),
    )


@login_required
@require_POST
def referral_decline(request, pk):
    form = DeclineForm(request.POST)
    reason = form.data.get("reason", "")
    return _answer(
        request,
        pk,
        lambda referral, staff: actions.decline_referral(
            request=request, referral=referral, by=request.user, reason=reason, staff=staff
        ),
    )


@login_required
@require_POST
def referral_outcome(request, pk):
    form = OutcomeForm(request.POST)

    def report(referral, staff):
        if not form.is_valid():
            raise ValidationError(_("Choose an outcome."))
        actions.report_outcome(
            request=request,
            referral=referral,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
            staff=staff,
        )

    return _answer(request, pk, report)


@login_required
def referral_pdf(request, pk):
    referral = get_referral(Scope.of(request), pk, why="referral form PDF")
    if not shows_identity(request.user, referral):
        # The form names the person: a provider reads the referral on screen until it
        # accepts, and never again after declining or a withdrawal.
        raise PermissionDenied
    from .referral_pdf import render_referral_pdf

    pdf = render_referral_pdf(
        referral,
        language=getattr(request, "LANGUAGE_CODE", "sq"),
        can_read_text=may_read_referral_text(request.user, referral),
    )
    record(request, "export", referral, summary="referral form PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    # The file name carries the reference number, never the person's name.
    response["Content-Disposition"] = f'attachment; filename="{referral.reference}.pdf"'
    return response
