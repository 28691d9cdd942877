"""The register's pages. Every page that shows a person writes an audit row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialplan.accounts.access import memberships
from socialplan.accounts.audit import record
from socialplan.directory.models import fold
from socialplan.territory.models import AdministrativeUnit

from . import actions
from .access import (
    CASE_WORKERS,
    MUNICIPALITY_WIDE,
    can_register,
    get_person_for_user,
    roles_for,
    visible_categories,
    visible_people,
)
from .duplicates import find_duplicates
from .forms import AssessmentForm, MergeForm, PersonCategoryForm, PersonForm, PersonSearchForm
from .models import Household, PersonCategory

SEARCH_LIMIT = 50


def _registering_membership(user):
    """The membership under which this user registers people (first case-worker role)."""
    for m in memberships(user):
        if m.role in CASE_WORKERS:
            return m
    return None


def _units_for(user, municipality):
    units = AdministrativeUnit.objects.filter(municipality=municipality)
    if user.is_superuser or roles_for(user, municipality.pk) & MUNICIPALITY_WIDE:
        return units
    return units.filter(pk__in=[m.unit_id for m in memberships(user) if m.unit_id])


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
        # What was searched is personal data: the audit keeps only that a search happened.
        record(request, "search", summary=f"register search, {len(people)} results")
    return render(
        request,
        "registry/search.html",
        {
            "form": form,
            "people": people[:SEARCH_LIMIT] if people is not None else None,
            "too_many": people is not None and len(people) > SEARCH_LIMIT,
            "can_register": can_register(request.user),
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
    household = None
    if request.GET.get("household"):
        household = get_object_or_404(
            Household, pk=request.GET["household"], municipality=municipality
        )
        if not visible_people(request.user).filter(household=household).exists():
            raise PermissionDenied
    form = PersonForm(request.POST or None, units=_units_for(request.user, municipality))
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in actions.PERSON_FIELDS}
        duplicates = find_duplicates(
            municipality=municipality,
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            national_id=data.get("national_id"),
        )
        same_id = [p for p, reason in duplicates if reason == "national_id"]
        if same_id:
            form.add_error(
                "national_id", _("A person with this national ID is already registered.")
            )
        elif duplicates and not form.cleaned_data.get("confirm_not_duplicate"):
            form.add_error(None, _("This may be a person already in the register: check below."))
        else:
            if household is not None:
                data["household"] = household
            person = actions.register_person(
                request=request, by=request.user, municipality=municipality, data=data
            )
            messages.success(request, _("Registered."))
            return redirect(person)
    # Show only duplicates the user may open; count the others.
    visible_ids = (
        set(visible_people(request.user).values_list("pk", flat=True)) if duplicates else set()
    )
    return render(
        request,
        "registry/person_form.html",
        {
            "form": form,
            "duplicates": [(p, r) for p, r in duplicates if p.pk in visible_ids],
            "hidden_duplicates": len([1 for p, _r in duplicates if p.pk not in visible_ids]),
            "household": household,
        },
    )


@login_required
def person_detail(request, pk):
    person = get_person_for_user(request.user, pk)
    categories = list(
        PersonCategory.objects.filter(person=person).select_related("category", "recorded_by")
    )
    shown, hidden = visible_categories(request.user, person, categories)
    record(request, "view", person)
    household_members = (
        visible_people(request.user).filter(household=person.household).exclude(pk=person.pk)
        if person.household_id
        else []
    )
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
            "can_edit": can_register(request.user, person.municipality_id),
            "can_merge": request.user.is_superuser
            or bool(roles_for(request.user, person.municipality_id) & MUNICIPALITY_WIDE),
        },
    )


@login_required
def person_edit(request, pk):
    person = get_person_for_user(request.user, pk, write=True)
    form = PersonForm(
        request.POST or None, instance=person, units=_units_for(request.user, person.municipality)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in actions.PERSON_FIELDS}
        clash = find_duplicates(
            municipality=person.municipality,
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            national_id=data.get("national_id"),
            exclude_pk=person.pk,
        )
        if any(reason == "national_id" for _p, reason in clash):
            form.add_error(
                "national_id", _("A person with this national ID is already registered.")
            )
        else:
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
    person = get_person_for_user(request.user, pk, write=True)
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
    person = get_person_for_user(request.user, pk, write=True)
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
    person = get_person_for_user(request.user, pk, write=True)
    if person.household_id:
        messages.info(request, _("This person already belongs to a household."))
    else:
        actions.create_household(request=request, head=person)
    return redirect(person)


@login_required
def merge(request, pk):
    keep = get_person_for_user(request.user, pk, write=True)
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
    form = MergeForm(
        request.POST or None, candidates=visible_people(request.user).filter(pk__in=ids)
    )
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
    household = get_object_or_404(Household, pk=pk)
    members = visible_people(request.user).filter(household=household).select_related("unit")
    if not members:
        raise PermissionDenied
    record(request, "view", household)
    return render(request, "registry/household.html", {"household": household, "members": members})
