"""Editing the services directory: the services a user may edit, and changing one.

Reading the directory is public, in HSDS (hsds.py). Here the staff who may
edit a service (its municipality's directorate, the provider's own staff:
accounts/access.can_edit_service) read its editable fields with their
version and PATCH them. The same form as the edit page checks the values;
a PATCH carrying an older version than the record's is refused (409), so
two edits never silently overwrite each other. Each change leaves an audit
row with its diff.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.models import model_to_dict
from ninja import Field, Path, Query, Router, Schema

from socialplan.accounts.access import can_edit_service, editable_services, get_for_edit
from socialplan.directory.actions import StaleRecord, save_versioned
from socialplan.directory.forms import STALE_MESSAGE, ServiceForm
from socialplan.directory.models import Category, Funding, Service, ServiceType

from .auth import token_auth
from .schemas import (
    MAX_ID,
    RECORD_ERRORS,
    TOKEN_ERRORS,
    ErrorOut,
    FormErrorOut,
    Id,
    PageParams,
    Reply,
    choice,
    page,
    text,
)

router = Router(tags=["directory"], auth=token_auth)


class ServiceOut(Schema):
    id: int
    code: str
    municipality: str
    organisation: int
    organisation_name: str
    name: str
    type: choice(ServiceType)
    description: str
    categories: list[str] = Field(description="Codes of the categories in need it serves.")
    units: list[int] = Field(description="Ids of the administrative units it serves.")
    age_min: int | None
    age_max: int | None
    capacity: int | None
    capacity_per: str
    beneficiaries: int | None
    beneficiaries_year: int | None
    women_percent: Decimal | None
    roma_percent: Decimal | None
    funding: choice(Funding)
    status: choice(Service.Status)
    how_to_apply: str
    hours: str
    phone: str
    email: str
    address: str
    confidential: bool
    public_contact: str
    version: int = Field(description="Send it back with a change: an older one is refused.")
    updated_at: datetime.datetime


class ServicePage(Schema):
    count: int
    items: list[ServiceOut]


class ServicePatch(Schema):
    """The fields to change; those left out keep their value."""

    version: int = Field(ge=0, le=2**31, description="The version the change was made on.")
    name: text(300, min_length=1) = None
    type: choice(ServiceType) = None
    description: text(5000) = None
    categories: list[text(40)] = Field(None, max_length=100)
    units: list[Id] = Field(None, max_length=100)
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    capacity: int | None = Field(None, ge=0, le=2_000_000_000)
    capacity_per: choice(Service.Per) | None = None
    beneficiaries: int | None = Field(None, ge=0, le=2_000_000_000)
    beneficiaries_year: int | None = Field(None, ge=1900, le=2100)
    women_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=4, decimal_places=1)
    roma_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=4, decimal_places=1)
    funding: choice(Funding) = None
    status: choice(Service.Status) = None
    how_to_apply: text(5000) = None
    hours: text(200) = None
    phone: text(40) = None
    email: text(254) = None
    address: text(300) = None
    confidential: bool = None
    public_contact: text(300) = None


# Copied as they are from the model to the answer.
PLAIN_FIELDS = [
    "code", "name", "type", "description", "age_min", "age_max", "capacity", "capacity_per",
    "beneficiaries", "beneficiaries_year", "women_percent", "roma_percent", "funding", "status",
    "how_to_apply", "hours", "phone", "email", "address", "confidential", "public_contact",
    "version", "updated_at",
]  # fmt: skip


def _service(service: Service) -> dict:
    return {
        **{name: getattr(service, name) for name in PLAIN_FIELDS},
        "id": service.pk,
        "municipality": service.municipality.code,
        "organisation": service.organisation_id,
        "organisation_name": service.organisation.name,
        "categories": [c.code for c in service.categories.all()],
        "units": [u.pk for u in service.units.all()],
    }


def _services():
    return Service.objects.select_related("municipality", "organisation").prefetch_related(
        "categories", "units"
    )


@router.get(
    "",
    response={200: ServicePage, **TOKEN_ERRORS},
    summary="The services this user may edit",
)
def list_editable_services(request, params: Query[PageParams]):
    services = editable_services(request.user, _services()).order_by(
        "municipality__code", "organisation__name", "name", "pk"
    )
    count, rows = page(services, params)
    return {"count": count, "items": [_service(s) for s in rows]}


@router.get(
    "/{id}",
    response={200: ServiceOut, **RECORD_ERRORS},
    summary="A service's editable fields and version",
)
def get_editable_service(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _service(get_for_edit(_services(), request.user, id, can_edit_service))


@router.patch(
    "/{id}",
    response={200: ServiceOut, 400: FormErrorOut, 409: ErrorOut, **RECORD_ERRORS},
    summary="Change a service",
    description="Only the fields sent change. `version` must be the service's current one: "
    "a change made on an older version is refused with 409 and changes nothing.",
)
def update_service(request, payload: ServicePatch, id: int = Path(..., ge=1, le=MAX_ID)):
    service = get_for_edit(_services(), request.user, id, can_edit_service)
    changes = payload.model_dump(exclude_unset=True)
    data = model_to_dict(service, fields=ServiceForm.Meta.fields)
    data["categories"] = [c.pk for c in data["categories"]]
    data["units"] = [u.pk for u in data["units"]]
    if "categories" in changes:
        codes = set(changes.pop("categories") or [])
        found = dict(Category.objects.filter(code__in=codes).values_list("code", "pk"))
        unknown = sorted(codes - set(found))
        if unknown:
            message = f"Unknown categories: {', '.join(unknown)}."
            return Reply(400, {"detail": message, "errors": {"categories": [message]}})
        data["categories"] = list(found.values())
    data.update(changes)
    # As a browser posts them: an empty value is an empty string.
    data = {k: ("" if v is None else v) for k, v in data.items()}
    form = ServiceForm(data, instance=service, municipality=service.municipality)
    if not form.is_valid():
        if form.has_error(NON_FIELD_ERRORS, "stale"):
            return Reply(409, {"detail": str(STALE_MESSAGE)})
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        return Reply(400, {"detail": "The change was refused; see errors.", "errors": errors})
    try:
        saved = save_versioned(form=form, request=request)
    except StaleRecord:
        return Reply(409, {"detail": str(STALE_MESSAGE)})
    return Reply(200, _service(_services().get(pk=saved.pk)))
