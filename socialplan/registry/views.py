"""The register's pages. Every page that shows a person writes an audit row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialplan.accounts.access import memberships
from socialplan.accounts.scope import Scope
from socialplan.directory.models import fold

from . import actions
from .access import (
    CASE_WORKERS,
    MUNICIPALITY_WIDE,
    WITHHELD,
    can_register,
    get_household,
    get_person,
    may_read_text,
    record_people_shown,
    roles_for,
    units_for,
    visible_categories,
    visible_people,
)
from .duplicates import find_duplicates, screen_duplicates
from .forms import AssessmentForm, MergeForm, PersonCategoryForm, PersonForm, PersonSearchForm
from .models import DuplicateCheck, PersonCategory

SEARCH_LIMIT = 50


def _registering_membership(user):
    """The membership under which this user registers people (first case-worker role)."""
    for m in memberships(user):
        if m.role in CASE_WORKERS:
            return m
    return None


def _units_for(user, municipality):
    # Kept for the list import's pages (import_views); the rule is access.units_for.
    return units_for(user, municipality.pk)


@login_required
def search(request):
    """Find people. POST only carries the terms; results are never cached or linked by name."""
    if not can_register(request.user):
        raise PermissionDenied
    form = PersonSearchForm(request.POST or None)
    people = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people = visible_people(request.user).select_related("unit")
        for word in fold(data["name"]).split():
            people = people.filter(search_name__contains=word)
        if data["national_id"]:
            people = people.filter(national_id=data["national_id"].strip().upper())
        if data["date_of_birth"]:
            people = people.filter(date_of_birth=data["date_of_birth"])
        people = list(people[: SEARCH_LIMIT + 1])
        # What was searched is personal data: the audit keeps who was shown, not the terms.
        record_people_shown(
            Scope.of(request), people[:SEARCH_LIMIT], "register search", action="search"
        )
    return render(
        request,
        "registry/search.html",
        {
            "form": form,
            "people": people[:SEARCH_LIMIT] if people is not None else None,
            "too_many": people is not None and len(people) > SEARCH_LIMIT,
            "can_register": can_register(request.user),
            "open_checks": _open_checks(Scope.of(request)),
        },
    )


@login_required
def person_create(request):
    membership = _registering_membership(request.user)
    if membership is None and not request.user.is_superuser:
        raise PermissionDenied
    municipality = membership.municipality if membership else None
    if municipality is None:
        from socialplan.territory.models import Municipality

        municipality = Municipality.objects.first()
    scope = Scope.of(request)
    household = None
    if request.GET.get("household"):
        household, _members = get_household(scope, request.GET["household"])
        if household.municipality_id != municipality.pk:
            raise Http404
    form = PersonForm(request.POST or None, units=units_for(request.user, municipality.pk))
    screening = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in actions.PERSON_FIELDS}
        screening = screen_duplicates(scope, municipality=municipality, data=data)
        if not _duplicates_block(form, screening):
            if household is not None:
                data["household"] = household
            person = actions.register_person(
                request=request, by=request.user, municipality=municipality, data=data
            )
            messages.success(request, _("Registered."))
            return redirect(person)
    return render(
        request,
        "registry/person_form.html",
        {
            "form": form,
            "duplicates": screening.visible if screening else [],
            "hidden_duplicates": bool(screening and screening.hidden),
            "household": household,
        },
    )


def _duplicates_block(form, screening, *, editing=False) -> bool:
    """Add the form's errors for possible duplicates; True when nothing may be saved.

    A duplicate the user may see is shown and linked. One they may not see is
    neither named nor placed, nor told apart by why it matched (so typing
    someone's national ID does not reveal whether they are registered, or
    where): the NJVRN is asked to check (screen_duplicates did) and nothing
    is saved.
    """
    if screening.hidden:
        form.add_error(
            None,
            _(
                "A possible duplicate of this person is registered where you cannot see it. "
                "Nothing was saved: the NJVRN has been asked to check and will contact you."
            ),
        )
        return True
    if screening.same_id:
        form.add_error("national_id", _("A person with this national ID is already registered."))
        return True
    if screening.visible and not editing and not form.cleaned_data.get("confirm_not_duplicate"):
        form.add_error(None, _("This may be a person already in the register: check below."))
        return True
    return False


@login_required
def person_detail(request, pk):
    scope = Scope.of(request)
    person = get_person(scope, pk, why="person page")
    categories = list(
        PersonCategory.objects.filter(person=person).select_related("category", "recorded_by")
    )
    shown, hidden = visible_categories(request.user, person, categories)
    household_members = (
        list(visible_people(request.user).filter(household=person.household).exclude(pk=person.pk))
        if person.household_id
        else []
    )
    if household_members:
        record_people_shown(scope, household_members, "household members on a person page")
    from socialplan.cases.models import Case

    return render(
        request,
        "registry/person.html",
        {
            "person": person,
            "categories": shown,
            "hidden_categories": hidden,
            "assessments": person.assessments.select_related("assessor"),
            "cases": Case.objects.filter(person=person).select_related("owner"),
            "household_members": household_members,
            "can_read_text": may_read_text(request.user, person),
            "withheld": WITHHELD,
            "can_edit": can_register(request.user, person.municipality_id),
            "can_merge": request.user.is_superuser
            or bool(roles_for(request.user, person.municipality_id) & MUNICIPALITY_WIDE),
        },
    )


@login_required
def person_edit(request, pk):
    scope = Scope.of(request)
    person = get_person(scope, pk, write=True, why="edit")
    form = PersonForm(
        request.POST or None, instance=person, units=units_for(request.user, person.municipality_id)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in actions.PERSON_FIELDS}
        screening = screen_duplicates(
            scope, municipality=person.municipality, data=data, exclude_pk=person.pk, by_id=True
        )
        if not _duplicates_block(form, screening, editing=True):
            try:
                actions.update_person(
                    request=request,
                    person=person,
                    data=data,
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except actions.StaleRecord:
                form.add_error(
                    None,
                    _(
                        "Someone else saved this record after you opened it. Nothing was saved: "
                        "reload the page to see their changes, then make yours again."
                    ),
                )
            else:
                messages.success(request, _("Saved."))
                return redirect(person)
    return render(request, "registry/person_form.html", {"form": form, "person": person})


@login_required
def category_add(request, pk):
    person = get_person(Scope.of(request), pk, write=True, why="add a category")
    form = PersonCategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.add_category(request=request, person=person, by=request.user, **form.cleaned_data)
        return redirect(person)
    return render(
        request,
        "registry/simple_form.html",
        {"form": form, "person": person, "title": _("Add a category in need")},
    )


@login_required
def assessment_add(request, pk):
    person = get_person(Scope.of(request), pk, write=True, why="needs assessment")
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_assessment(
            request=request,
            person=person,
            by=request.user,
            date=data["date"],
            needs=form.needs(),
            risk=data["risk"],
            notes=data["notes"],
        )
        return redirect(person)
    return render(
        request,
        "registry/simple_form.html",
        {"form": form, "person": person, "title": _("Needs assessment")},
    )


@login_required
@require_POST
def household_start(request, pk):
    person = get_person(Scope.of(request), pk, write=True, why="start a household")
    if person.household_id:
        messages.info(request, _("This person already belongs to a household."))
    else:
        actions.create_household(request=request, head=person)
    return redirect(person)


@login_required
def merge(request, pk):
    scope = Scope.of(request)
    keep = get_person(scope, pk, write=True, why="merge")
    if not (
        request.user.is_superuser
        or roles_for(request.user, keep.municipality_id) & MUNICIPALITY_WIDE
    ):
        raise PermissionDenied
    candidates = find_duplicates(
        municipality=keep.municipality,
        first_name=keep.first_name,
        last_name=keep.last_name,
        date_of_birth=keep.date_of_birth,
        national_id=keep.national_id,
        exclude_pk=keep.pk,
    )
    ids = [p.pk for p, _r in candidates]
    candidates = visible_people(request.user).filter(pk__in=ids)
    form = MergeForm(request.POST or None, candidates=candidates)
    record_people_shown(scope, list(candidates), "merge candidates")
    if request.method == "POST" and form.is_valid():
        actions.merge_people(request=request, keep=keep, duplicate=form.cleaned_data["duplicate"])
        messages.success(
            request, _("The two records were merged; the duplicate is kept, marked, for history.")
        )
        return redirect(keep)
    return render(
        request,
        "registry/simple_form.html",
        {"form": form, "person": keep, "title": _("Merge a duplicate record")},
    )


@login_required
def household_detail(request, pk):
    household, members = get_household(Scope.of(request), pk)
    return render(request, "registry/household.html", {"household": household, "members": members})


def _open_checks(scope) -> int | None:
    """How many duplicate checks wait for this user's municipalities (None: not theirs)."""
    municipalities = scope.municipalities_where(MUNICIPALITY_WIDE)
    if not municipalities:
        return None
    return DuplicateCheck.objects.filter(
        resolved_at__isnull=True, person__municipality_id__in=municipalities
    ).count()


@login_required
def duplicate_checks(request):
    """Possible duplicates raised by staff who could not see them: the NJVRN's to resolve."""
    scope = Scope.of(request)
    municipalities = scope.municipalities_where(MUNICIPALITY_WIDE)
    if not municipalities and not request.user.is_superuser:
        raise PermissionDenied
    checks = DuplicateCheck.objects.filter(resolved_at__isnull=True).select_related(
        "person", "person__unit", "asked_by"
    )
    if not request.user.is_superuser:
        checks = checks.filter(person__municipality_id__in=municipalities)
    checks = list(checks[:200])
    record_people_shown(scope, [c.person_id for c in checks], "duplicate checks")
    return render(request, "registry/duplicate_checks.html", {"checks": checks})


@login_required
@require_POST
def duplicate_check_resolve(request, pk):
    scope = Scope.of(request)
    check = DuplicateCheck.objects.filter(
        pk=pk, person__municipality_id__in=scope.municipalities_where(MUNICIPALITY_WIDE)
    ).first()
    if check is None and request.user.is_superuser:
        check = DuplicateCheck.objects.filter(pk=pk).first()
    if check is None:
        raise Http404
    actions.resolve_duplicate_check(actor=scope.actor, check=check)
    messages.success(request, _("Marked as checked."))
    return redirect("registry:duplicate_checks")
