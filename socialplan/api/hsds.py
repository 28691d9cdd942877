"""The services directory as an HSDS 3.0 API (Open Referral): read-only and public.

Paths and the paginated response follow the official schema/openapi.json.
Objects come from the same builders as the HSDS export, so the API and the
open data files agree, and a confidential service's address appears in
neither. Every list page runs the same number of queries whatever its size.
"""

import math
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from socialplan.directory.hsds import (
    hsds_services,
    organization_id,
    organization_object,
    our_terms,
    service_at_location_object,
    service_id,
    service_object,
    taxonomy_objects,
)
from socialplan.directory.models import Category, Organisation, Service, fold
from socialplan.territory.models import Municipality

from .schemas import Code, ErrorOut, InvalidOut, text

router = Router(tags=["hsds"])
# A municipality or an id that does not exist; a parameter out of range.
INVALID = {422: InvalidOut}
NOT_FOUND = {404: ErrorOut, **INVALID}


class PageOut(Schema):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


class ListParams(Schema):
    search: text(200) = Field(
        "", description="Words that must all appear in the name or description."
    )
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    per_page: int = Field(50, ge=1, le=500, description="Results on one page.")
    municipality: Code | None = Field(None, description="A municipality's code; default all.")


class ServiceListParams(ListParams):
    full: bool = Field(False, description="Fully nested services, as /services/{id} gives.")


class TermListParams(ListParams):
    taxonomy_id: str | None = Field(None, description="Only the terms of this taxonomy.")


class InfoOut(Schema):
    version: str
    profile: str
    openapi_url: str


def _page(items, total: int, params: ListParams, build) -> dict:
    """The HSDS page; `items` is sliced here so a queryset fetches one page only."""
    start = (params.page - 1) * params.per_page
    contents = [build(item) for item in items[start : start + params.per_page]]
    total_pages = math.ceil(total / params.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": params.page,
        "size": len(contents),
        "first_page": params.page == 1,
        "last_page": params.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _words(search: str) -> list[str]:
    return search.split()


def _in_municipality(queryset, code: str | None):
    if code is None:
        return queryset
    return queryset.filter(municipality=get_object_or_404(Municipality, code=code))


def _services(params: ListParams):
    services = _in_municipality(hsds_services(), params.municipality)
    # search_text holds name and description folded (no case, no diacritics),
    # so "femije" finds "fëmijë" as on the directory pages.
    for word in _words(params.search):
        services = services.filter(search_text__contains=fold(word))
    return services.order_by("municipality__code", "organisation__name", "type", "name", "code")


def _one_to_one(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not isinstance(v, list)}


def _find(rows, make_id, wanted: str) -> int:
    """The pk whose derived HSDS id is `wanted` (ids are computed, never stored)."""
    for pk, municipality_code, code in rows:
        if make_id(municipality_code, code) == wanted:
            return pk
    raise Http404("No such id.")


def _matches(obj: dict, words: list[str], fields) -> bool:
    text = fold(" ".join(str(obj.get(f, "")) for f in fields))
    return all(fold(word) in text for word in words)


@router.get("/", response=InfoOut, summary="About this HSDS API")
def api_info(request):
    return {
        "version": "3.0",
        "profile": "https://docs.openreferral.org/en/latest/hsds/overview.html",
        "openapi_url": request.build_absolute_uri("../openapi.json"),
    }


@router.get("/services", response={200: PageOut, **NOT_FOUND}, summary="Paginated services")
def list_services(request, params: Query[ServiceListParams]):
    services = _services(params)
    if params.full:
        return _page(services, services.count(), params, lambda s: service_object(s, nested=True))

    def build(service):
        obj = _one_to_one(service_object(service))
        obj["organization"] = _one_to_one(organization_object(service.organisation))
        return obj

    return _page(services, services.count(), params, build)


@router.get(
    "/services/{id}", response={200: dict[str, Any], **NOT_FOUND}, summary="A fully nested service"
)
def get_service(request, id: str):
    rows = Service.objects.values_list("pk", "municipality__code", "code")
    service = hsds_services().get(pk=_find(rows, service_id, id))
    return service_object(service, nested=True)


@router.get(
    "/organizations", response={200: PageOut, **NOT_FOUND}, summary="Paginated organizations"
)
def list_organizations(request, params: Query[ListParams]):
    organisations = _in_municipality(
        Organisation.objects.select_related("municipality"), params.municipality
    )
    for word in _words(params.search):
        organisations = organisations.filter(
            Q(name__icontains=word) | Q(description__icontains=word)
        )
    organisations = organisations.order_by("municipality__code", "name", "code")
    return _page(
        organisations,
        organisations.count(),
        params,
        lambda o: _one_to_one(organization_object(o)),
    )


@router.get(
    "/organizations/{id}", response={200: dict[str, Any], **NOT_FOUND}, summary="An organization"
)
def get_organization(request, id: str):
    rows = Organisation.objects.values_list("pk", "municipality__code", "code")
    organisation = Organisation.objects.select_related("municipality").get(
        pk=_find(rows, organization_id, id)
    )
    obj = organization_object(organisation)
    obj["services"] = [
        {
            "id": s["id"],
            "organization_id": s["organization_id"],
            "name": s["name"],
            "status": s["status"],
        }
        for s in (
            _one_to_one(service_object(service))
            for service in hsds_services()
            .filter(organisation=organisation)
            .order_by("type", "name", "code")
        )
    ]
    return obj


@router.get("/taxonomies", response={200: PageOut, **INVALID}, summary="Paginated taxonomies")
def list_taxonomies(request, params: Query[ListParams]):
    words = _words(params.search)
    taxonomies = [t for t in taxonomy_objects() if _matches(t, words, ["name", "description"])]
    return _page(taxonomies, len(taxonomies), params, lambda t: t)


@router.get(
    "/taxonomy_terms", response={200: PageOut, **INVALID}, summary="Paginated taxonomy terms"
)
def list_taxonomy_terms(request, params: Query[TermListParams]):
    # The two taxonomies are national: the municipality filter changes nothing.
    words = _words(params.search)
    terms = [
        t
        for t in our_terms(Category.objects.all())
        if _matches(t, words, ["code", "name", "description"])
        and params.taxonomy_id in (None, t["taxonomy_id"])
    ]
    return _page(terms, len(terms), params, lambda t: t)


@router.get(
    "/service_at_locations",
    response={200: PageOut, **NOT_FOUND},
    summary="Paginated services at locations",
)
def list_service_at_locations(request, params: Query[ListParams]):
    # Only services whose address the public may see have a location at all.
    services = _services(params).filter(confidential=False).exclude(address="")
    return _page(
        services,
        services.count(),
        params,
        lambda s: service_at_location_object(s, nested=True),
    )
