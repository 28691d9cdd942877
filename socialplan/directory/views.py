from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from socialplan.accounts.access import (
    can_edit_organisation,
    can_edit_service,
    can_see_confidential,
    editable_services,
    get_for_edit,
    manages_municipality,
)
from socialplan.accounts.models import AuditEvent
from socialplan.charts.svg import bar_chart, grid_chart
from socialplan.territory.models import AdministrativeUnit, Municipality

from .actions import StaleRecord, save_versioned
from .coverage import compare_counts, compute_coverage
from .forms import STALE_MESSAGE, OrganisationForm, SearchForm, ServiceForm
from .models import Category, Organisation, Service, fold

PAGE_SIZE = 20


def _listing(queryset):
    """Everything a list of services shows, in a fixed number of queries."""
    return queryset.select_related("organisation", "municipality").prefetch_related(
        Prefetch("categories", queryset=Category.objects.all()),
        Prefetch("units", queryset=AdministrativeUnit.objects.all()),
    )


def search(request):
    form = SearchForm(request.GET or None)
    services = Service.objects.exclude(status=Service.Status.CLOSED)
    if form.is_valid():
        data = form.cleaned_data
        if data["municipality"]:
            services = services.filter(municipality=data["municipality"])
        for word in fold(data["q"]).split():
            services = services.filter(search_text__contains=word)
        if data["category"]:
            services = services.filter(categories=data["category"])
        if data["unit"]:
            services = services.filter(units=data["unit"])
        if data["type"]:
            services = services.filter(type=data["type"])
    elif form.is_bound:
        services = services.none()
    page = Paginator(_listing(services.distinct()), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "directory/search.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def service_detail(request, pk):
    service = get_object_or_404(
        _listing(Service.objects.exclude(status=Service.Status.CLOSED)), pk=pk
    )
    return render(
        request,
        "directory/service.html",
        {
            "service": service,
            "show_address": not service.confidential or can_see_confidential(request.user, service),
            "can_edit": can_edit_service(request.user, service),
        },
    )


def organisation_detail(request, pk):
    organisation = get_object_or_404(
        Organisation.objects.select_related("municipality").prefetch_related("units"), pk=pk
    )
    services = _listing(organisation.services.exclude(status=Service.Status.CLOSED))
    return render(
        request,
        "directory/organisation.html",
        {
            "organisation": organisation,
            "services": services,
            "can_edit": can_edit_organisation(request.user, organisation),
        },
    )


def _coverage_context(municipality, request):
    coverage = compute_coverage(municipality)
    language = getattr(request, "LANGUAGE_CODE", "sq")
    category_labels = [c.label(language) for c in coverage.categories]
    type_labels = [label for _, label in coverage.types]
    unit_labels = [u.name for u in coverage.units]
    return {
        "municipality": municipality,
        "coverage": coverage,
        "count_checks": compare_counts(coverage),
        "public": True,
        "category_labels": category_labels,
        "type_labels": type_labels,
        "unit_category_rows": coverage.matrix_unit_category(),
        "unit_type_rows": coverage.matrix_unit_type(),
        "unit_statuses": [(u, coverage.unit_status(u)) for u in coverage.units],
        "type_chart": bar_chart(
            [(str(label), n) for _, label, n in coverage.services_by_type()],
            title=_("Services by type"),
        ),
        "unit_type_chart": grid_chart(
            unit_labels,
            [str(t) for t in type_labels],
            [row for _, row in coverage.matrix_unit_type()],
            title=_("Services by unit and type"),
        ),
        "unit_category_chart": grid_chart(
            unit_labels,
            category_labels,
            [row for _, row in coverage.matrix_unit_category()],
            title=_("Services by unit and category in need"),
        ),
    }


def coverage_public(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "directory/coverage.html", _coverage_context(municipality, request))


@login_required
def coverage_staff(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    if not manages_municipality(request.user, municipality.pk):
        raise PermissionDenied
    context = _coverage_context(municipality, request)
    context["public"] = False
    context["diagnosis"] = municipality.category_diagnoses.select_related("category")
    context["declared_coverage"] = municipality.unit_coverages.all()
    return render(request, "directory/coverage.html", context)


@login_required
def manage(request):
    services = _listing(editable_services(request.user, Service.objects.all()))
    page = Paginator(services, 50).get_page(request.GET.get("page"))
    return render(request, "directory/manage.html", {"page": page})


@login_required
def service_edit(request, pk):
    service = get_for_edit(
        Service.objects.select_related("organisation__municipality"),
        request.user,
        pk,
        can_edit_service,
    )
    return _edit(request, service, ServiceForm, {"municipality": service.municipality})


@login_required
def service_create(request, organisation_pk):
    organisation = get_for_edit(
        Organisation.objects.select_related("municipality"),
        request.user,
        organisation_pk,
        can_edit_organisation,
    )
    service = Service(organisation=organisation, municipality=organisation.municipality)
    return _edit(request, service, ServiceForm, {"municipality": organisation.municipality})


@login_required
def organisation_edit(request, pk):
    organisation = get_for_edit(
        Organisation.objects.select_related("municipality"), request.user, pk, can_edit_organisation
    )
    return _edit(request, organisation, OrganisationForm, {})


def _edit(request, instance, form_class, extra):
    form = form_class(request.POST or None, instance=instance, **extra)
    if request.method == "POST" and form.is_valid():
        if not instance.pk:
            instance.code = _unique_code(instance)
        try:
            saved = save_versioned(
                form=form, request=request, municipality=extra.get("municipality")
            )
        except StaleRecord:
            form.add_error(None, STALE_MESSAGE)
        else:
            messages.success(request, _("Saved."))
            return redirect(saved.get_absolute_url())
    return render(request, "directory/edit.html", {"form": form, "instance": instance})


def _unique_code(service) -> str:
    from django.utils.text import slugify

    base = slugify(f"{service.organisation.code}-{fold(service.name)}")[:90] or "service"
    code, n = base, 1
    while Service.objects.filter(municipality=service.municipality, code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


@login_required
def history(request, kind, pk):
    model = {"service": Service, "organisation": Organisation}.get(kind)
    if model is None:
        raise PermissionDenied
    check = can_edit_service if model is Service else can_edit_organisation
    obj = get_for_edit(model, request.user, pk, check)
    events = AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("user")
    return render(request, "directory/history.html", {"obj": obj, "events": events})
