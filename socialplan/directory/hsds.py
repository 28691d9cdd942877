"""HSDS 3.0 (Open Referral Human Services Data Specification) open data for the directory.

`export_dataset` builds one municipality's HSDS objects; `export_csv_package`
writes them as the HSDS tabular data package. `import_dataset` and
`import_csv_package` read the same shapes back, all or nothing.

Identifiers are never stored: each is a UUID 5 of a fixed namespace and a
path of our codes ("service/durres/<code>"), so re-exports give the same ids
and an import recognises its own records by recomputing them. The two
taxonomies are national (one list for every municipality), so their ids
carry no municipality code.

A confidential service never exports its address: it gets no location, and
a contact titled CONFIDENTIAL_CONTACT_TITLE carries its public contact point
(that title is also how an import knows the service is confidential).

Imports check everything before writing: the official JSON schemas, then
our rules (references resolve, one service type, units exist, ...). A
refusal names the object kind and index ("services[2]") or the file and
spreadsheet row ("services.csv, row 3", the header being row 1), and the
field. HSDS fields the directory has no place for are reported as ignored.
"""

import csv
import functools
import io
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from socialplan.accounts.audit import record
from socialplan.datafile import DataFileError
from socialplan.uploads import FORMULA_START, safe_cell

from .models import Category, Funding, Organisation, Service, ServiceType

# --- The official schemas ---------------------------------------------------


def hsds_folder() -> Path:
    """The official HSDS 3.0 schemas (data/hsds-3.0, a copy of Open Referral's, CC BY-SA)."""
    folder = Path(settings.HSDS_SCHEMA_DIR)
    if (
        not (folder / "schema" / "service.json").is_file()
        or not (folder / "datapackage.json").is_file()
    ):
        raise ImproperlyConfigured(
            f"The HSDS 3.0 schemas are not at {folder} (expected schema/*.json and "
            "datapackage.json there): set HSDS_SCHEMA_DIR to the official Open Referral "
            "HSDS 3.0 folder; HSDS exports and imports cannot run without it."
        )
    return folder


@functools.cache
def _validators(folder: Path) -> dict:
    schemas = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((folder / "schema").glob("*.json"))
        if path.stem != "openapi"
    }
    # The schemas refer to each other by file name ("phone.json").
    registry = Registry().with_resources(
        (f"{name}.json", Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in schemas.items()
    )
    return {
        name: Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for name, schema in schemas.items()
    }


@functools.cache
def _descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def _path_text(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def schema_problems(kind: str, obj) -> list[tuple[str, str]]:
    """(field, message) for each way obj breaks the official schema of `kind`."""
    validators = _validators(hsds_folder())
    if kind not in validators:
        raise ValueError(f"{kind!r} is not an HSDS object kind")
    problems = []
    for error in validators[kind].iter_errors(obj):
        path = list(error.absolute_path)
        message = error.message
        if error.validator == "required":
            missing = re.match(r"'(.+)' is a required property", error.message)
            if missing:
                path.append(missing.group(1))
                message = "required field is missing"
        if len(message) > 200:
            message = message[:200] + "..."
        problems.append((_path_text(path), message))
    return sorted(problems)


def validate_object(kind: str, obj) -> list[str]:
    """Messages for each way obj breaks the official schema of `kind` (empty: valid)."""
    return [
        f"field '{name}': {message}" if name else message
        for name, message in schema_problems(kind, obj)
    ]


# --- Identifiers --------------------------------------------------------------

# Never change it: every published id derives from it.
NAMESPACE = uuid.UUID("f2c4827b-f237-42e5-9110-a4d749c36290")


def hsds_id(*parts: str) -> str:
    # Codes are slugs, so "/" cannot make two different paths collide.
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def organization_id(municipality_code: str, code: str) -> str:
    return hsds_id("organization", municipality_code, code)


def service_id(municipality_code: str, code: str) -> str:
    return hsds_id("service", municipality_code, code)


# --- Our two taxonomies ---------------------------------------------------------

TYPE_TAXONOMY = "psv-service-type"
CATEGORY_TAXONOMY = "psv-category"

# Published names are data: they must not depend on whether the message
# catalogue is compiled. Albanian names follow law 121/2016 on social care.
TYPE_NAMES = {
    ServiceType.PRE_SOCIAL: ("Shërbime parashoqërore", "Pre-social services"),
    ServiceType.COMMUNITY: ("Shërbime në komunitet", "Community services"),
    ServiceType.DAY: ("Shërbime ditore", "Day services"),
    ServiceType.SPECIALISED: ("Shërbime të specializuara", "Specialised services"),
    ServiceType.ONLINE: ("Shërbime online", "Online services"),
    ServiceType.EMERGENCY: ("Shërbime emergjente", "Emergency services"),
    ServiceType.MOBILE: ("Shërbime të lëvizshme", "Mobile services"),
    ServiceType.RESIDENTIAL: ("Shërbime rezidenciale", "Residential services"),
    ServiceType.IN_FAMILY: ("Shërbime në familje", "Services in the family"),
}

TAXONOMIES = {
    TYPE_TAXONOMY: "Llojet e shërbimeve të kujdesit shoqëror (ligji 121/2016). "
    "Types of social care services under Albanian law 121/2016.",
    CATEGORY_TAXONOMY: "Kategoritë në nevojë të Planit Social Vendor. "
    "Categories of people in need of the Local Social Plan.",
}

STATUS_TO_HSDS = {
    Service.Status.ACTIVE: "active",
    Service.Status.PLANNED: "inactive",
    Service.Status.CLOSED: "defunct",
}
# A temporarily closed service is expected to run again: planned, not closed.
STATUS_FROM_HSDS = {
    "active": Service.Status.ACTIVE,
    "inactive": Service.Status.PLANNED,
    "temporarily closed": Service.Status.PLANNED,
    "defunct": Service.Status.CLOSED,
}

CONFIDENTIAL_CONTACT_TITLE = "Vendndodhje konfidenciale / Confidential location"

# Scalar fields of a foreign term (and its taxonomy) kept in Service.extra_terms.
TERM_FIELDS = (
    "id",
    "code",
    "name",
    "description",
    "parent_id",
    "taxonomy",
    "language",
    "taxonomy_id",
    "term_uri",
)
TAXONOMY_FIELDS = ("id", "name", "description", "uri", "version")


def taxonomy_id(name: str) -> str:
    return hsds_id("taxonomy", name)


def term_id(taxonomy: str, code: str) -> str:
    return hsds_id("taxonomy_term", taxonomy, code)


def taxonomy_objects() -> list[dict]:
    return [
        {"id": taxonomy_id(name), "name": name, "description": description, "version": "1"}
        for name, description in TAXONOMIES.items()
    ]


def type_term(code: str) -> dict:
    name, english = TYPE_NAMES[code]
    return {
        "id": term_id(TYPE_TAXONOMY, code),
        "code": code,
        "name": name,
        "description": english,
        "taxonomy": TYPE_TAXONOMY,
        "language": "sq",
        "taxonomy_id": taxonomy_id(TYPE_TAXONOMY),
    }


def category_term(category: Category) -> dict:
    return {
        "id": term_id(CATEGORY_TAXONOMY, category.code),
        "code": category.code,
        "name": category.name,
        "description": category.name_en,
        "taxonomy": CATEGORY_TAXONOMY,
        "language": "sq",
        "taxonomy_id": taxonomy_id(CATEGORY_TAXONOMY),
    }


def extra_term(stored: dict) -> dict:
    return {key: stored[key] for key in TERM_FIELDS if key in stored}


def our_terms(categories) -> list[dict]:
    return [type_term(code) for code in ServiceType.values] + [category_term(c) for c in categories]


# --- Building HSDS objects from our rows ------------------------------------------


def hsds_services():
    """Services with what their HSDS objects read, in a constant number of queries."""
    return Service.objects.select_related(
        "municipality", "organisation", "organisation__municipality"
    ).prefetch_related("categories", "units")


def organization_object(org: Organisation) -> dict:
    m = org.municipality.code
    oid = organization_id(m, org.code)
    obj = {"id": oid, "name": org.name}
    if org.aliases:
        obj["alternate_name"] = "; ".join(org.aliases)
    obj["description"] = org.description
    if org.email:
        obj["email"] = org.email
    if org.website:
        obj["website"] = org.website
    obj["legal_status"] = org.kind
    if org.phone:
        phone_id = hsds_id("phone", m, "organization", org.code)
        obj["phones"] = [{"id": phone_id, "organization_id": oid, "number": org.phone}]
    if org.funding != Funding.UNKNOWN:
        funding_id = hsds_id("funding", m, "organization", org.code)
        obj["funding"] = [{"id": funding_id, "organization_id": oid, "source": org.funding}]
    return obj


def service_terms(service: Service) -> list[dict]:
    """The taxonomy terms of a service: its type, its categories, then foreign terms."""
    return (
        [type_term(service.type)]
        + [category_term(c) for c in service.categories.all()]
        + [extra_term(t) for t in service.extra_terms]
    )


def has_public_location(service: Service) -> bool:
    return bool(service.address) and not service.confidential


def service_object(service: Service, *, nested: bool = False) -> dict:
    """The HSDS service; `nested` adds the organization, terms and location (API detail)."""
    m = service.municipality.code
    sid = service_id(m, service.code)
    obj = {
        "id": sid,
        "organization_id": organization_id(m, service.organisation.code),
        "name": service.name,
    }
    if service.description:
        obj["description"] = service.description
    if service.email:
        obj["email"] = service.email
    obj["status"] = STATUS_TO_HSDS[service.status]
    if service.how_to_apply:
        obj["application_process"] = service.how_to_apply
    if service.age_min is not None:
        obj["minimum_age"] = service.age_min
    if service.age_max is not None:
        obj["maximum_age"] = service.age_max
    if service.phone:
        phone_id = hsds_id("phone", m, "service", service.code)
        obj["phones"] = [{"id": phone_id, "service_id": sid, "number": service.phone}]
    if service.hours:
        schedule_id = hsds_id("schedule", m, "service", service.code)
        obj["schedules"] = [{"id": schedule_id, "service_id": sid, "description": service.hours}]
    areas = [
        {"id": hsds_id("service_area", m, service.code, u.code), "service_id": sid, "name": u.name}
        for u in service.units.all()
    ]
    if areas:
        obj["service_areas"] = areas
    if service.funding != Funding.UNKNOWN:
        funding_id = hsds_id("funding", m, "service", service.code)
        obj["funding"] = [{"id": funding_id, "service_id": sid, "source": service.funding}]
    if service.confidential:
        # Never service.address: only the contact point the public may see.
        contact = {"id": hsds_id("contact", m, "service", service.code), "service_id": sid}
        if service.public_contact:
            contact["name"] = service.public_contact
        contact["title"] = CONFIDENTIAL_CONTACT_TITLE
        obj["contacts"] = [contact]
    obj["attributes"] = []
    for term in service_terms(service):
        attribute = {
            "id": hsds_id("attribute", m, service.code, term["id"]),
            "link_id": sid,
            "taxonomy_term_id": term["id"],
            "link_entity": "service",
        }
        if nested:
            attribute["taxonomy_term"] = term
        obj["attributes"].append(attribute)
    if nested:
        organization = organization_object(service.organisation)
        obj["organization"] = {k: v for k, v in organization.items() if not isinstance(v, list)}
        if has_public_location(service):
            obj["service_at_locations"] = [service_at_location_object(service, nested=True)]
    return obj


def location_object(service: Service) -> dict:
    if not has_public_location(service):
        raise ValueError(f"service {service.code} has no address the public may see")
    m = service.municipality.code
    lid = hsds_id("location", m, "service", service.code)
    address = {
        "id": hsds_id("address", m, "service", service.code),
        "location_id": lid,
        "address_1": service.address,
        "city": service.municipality.name,
        # Neither is in the directory yet; the schema requires the fields.
        "state_province": "",
        "postal_code": "",
        "country": "AL",
        "address_type": "physical",
    }
    return {
        "id": lid,
        "location_type": "physical",
        "organization_id": organization_id(m, service.organisation.code),
        "name": service.name,
        "addresses": [address],
    }


def service_at_location_object(service: Service, *, nested: bool = False) -> dict:
    m = service.municipality.code
    obj = {
        "id": hsds_id("service_at_location", m, "service", service.code),
        "service_id": service_id(m, service.code),
        "location_id": hsds_id("location", m, "service", service.code),
    }
    if nested:
        obj["location"] = location_object(service)
    return obj


def export_dataset(municipality, *, user=None) -> dict:
    """Every HSDS object of one municipality's directory, in a stable order."""
    organisations = Organisation.objects.filter(municipality=municipality).select_related(
        "municipality"
    )
    services = list(
        hsds_services()
        .filter(municipality=municipality)
        .order_by("organisation__name", "type", "name", "code")
    )
    taxonomies = taxonomy_objects()
    terms = our_terms(Category.objects.all())
    seen = {t["id"] for t in taxonomies} | {t["id"] for t in terms}
    for service in services:
        for stored in service.extra_terms:
            detail = stored.get("taxonomy_detail")
            if detail and detail["id"] not in seen:
                seen.add(detail["id"])
                taxonomies.append({k: detail[k] for k in TAXONOMY_FIELDS if k in detail})
            if stored["id"] not in seen:
                seen.add(stored["id"])
                terms.append(extra_term(stored))
    public = [s for s in services if has_public_location(s)]
    dataset = {
        "organizations": [organization_object(o) for o in organisations.order_by("name", "code")],
        "services": [service_object(s) for s in services],
        "locations": [location_object(s) for s in public],
        "service_at_locations": [service_at_location_object(s) for s in public],
        "taxonomies": taxonomies,
        "taxonomy_terms": terms,
    }
    if user is not None:
        record(None, "export", municipality, summary="HSDS dataset", user=user)
    return dataset


# --- The tabular data package ---------------------------------------------------------

TOP_LEVEL = {
    "organizations": "organization",
    "services": "service",
    "locations": "location",
    "service_at_locations": "service_at_location",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}
NESTED = {
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "funding": "funding",
    "contacts": "contact",
    "attributes": "attribute",
    "addresses": "address",
}
PACKAGE_RESOURCES = {*TOP_LEVEL.values(), *NESTED.values()}

# Where a row of a nested resource belongs, first match wins.
PARENTS = {
    "phone": ["service_id", "organization_id", "location_id", "contact_id"],
    "contact": ["service_id", "organization_id", "location_id"],
    "schedule": ["service_id", "location_id"],
    "funding": ["service_id", "organization_id"],
    "service_area": ["service_id"],
    "address": ["location_id"],
}
PARENT_KIND = {
    "service_id": "service",
    "organization_id": "organization",
    "location_id": "location",
    "contact_id": "contact",
}
NESTED_KEY = {kind: key for key, kind in NESTED.items()}


def _resources(folder: Path) -> dict[str, dict]:
    return {r["name"]: r for r in _descriptor(folder)["resources"]}


def _flatten(dataset: dict) -> dict[str, list[dict]]:
    rows = {kind: [] for kind in PACKAGE_RESOURCES}

    def add(kind, obj):
        row = {}
        rows[kind].append(row)
        for key, value in obj.items():
            if isinstance(value, list):
                for child in value:
                    add(NESTED[key], child)
            elif not isinstance(value, dict):
                row[key] = value

    for key, kind in TOP_LEVEL.items():
        for obj in dataset[key]:
            add(kind, obj)
    return rows


def _cell(value) -> str:
    # Text that a spreadsheet would run as a formula is written with a leading
    # quote (numbers stay numbers); the import takes the quote off again.
    if value is None:
        return ""
    return safe_cell(value) if isinstance(value, str) else str(value)


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def export_csv_package(municipality, directory, *, user=None) -> list[Path]:
    """Write the HSDS tabular data package (CSV files and datapackage.json) into directory."""
    folder = hsds_folder()
    resources = _resources(folder)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rows = _flatten(export_dataset(municipality))
    written = []
    for name, resource in resources.items():
        if name not in PACKAGE_RESOURCES:
            continue
        path = directory / resource["path"]
        columns = [f["name"] for f in resource["schema"]["fields"]]
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="raise")
            writer.writeheader()
            for row in rows[name]:
                writer.writerow({k: _cell(v) for k, v in row.items()})
        written.append(path)
    descriptor = {
        **_descriptor(folder),
        "resources": [r for n, r in resources.items() if n in PACKAGE_RESOURCES],
    }
    path = directory / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    if user is not None:
        record(None, "export", municipality, summary="HSDS CSV package", user=user)
    return written


# --- Reading: where things came from, what is wrong --------------------------------------


class HsdsImportError(DataFileError):
    """The dataset cannot be imported; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:50]
        if len(problems) > 50:
            shown.append(f"... and {len(problems) - 50} more problems")
        super().__init__("\n".join(shown))


class Origins:
    """Where each object of a dataset came from, to name it in a message."""

    def __init__(self):
        self._by_id = {}

    def add(self, obj, label: str, kind: str | None):
        self._by_id[id(obj)] = (obj, label, kind)

    def label(self, obj) -> str:
        entry = self._by_id.get(id(obj))
        return entry[1] if entry else "dataset"

    def entries(self):
        return self._by_id.values()


class Problems:
    def __init__(self, origins: Origins):
        self.origins = origins
        self.messages: list[str] = []

    def add(self, obj, field_name: str, message: str):
        where = self.origins.label(obj)
        self.messages.append(
            f"{where}, field '{field_name}': {message}" if field_name else f"{where}: {message}"
        )

    def raise_if_any(self):
        if self.messages:
            raise HsdsImportError(self.messages)


def _label_json(origins: Origins, obj, label: str, kind: str | None):
    origins.add(obj, label, kind)
    for key, value in obj.items():
        if isinstance(value, list):
            for j, child in enumerate(value):
                if isinstance(child, dict):
                    _label_json(origins, child, f"{label}.{key}[{j}]", NESTED.get(key))
        elif isinstance(value, dict):
            _label_json(origins, value, f"{label}.{key}", None)


# --- Import: the JSON dataset --------------------------------------------------------------


@dataclass
class ImportResult:
    organisations: Counter = field(default_factory=Counter)
    services: Counter = field(default_factory=Counter)
    ignored: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        def counts(c):
            return ", ".join(f"{c[k]} {k}" for k in ("created", "updated", "unchanged"))

        lines = [
            f"organisations: {counts(self.organisations)}",
            f"services: {counts(self.services)}",
        ]
        if self.ignored:
            ignored = ", ".join(f"{k} ({n})" for k, n in sorted(self.ignored.items()))
            lines.append(f"not kept by the directory: {ignored}")
        return "\n".join(lines)


def import_dataset(municipality, data, *, user=None) -> ImportResult:
    """Import an HSDS dataset (the shape export_dataset returns); all or nothing."""
    hsds_folder()
    origins = Origins()
    problems = Problems(origins)
    if not isinstance(data, dict):
        raise HsdsImportError(["dataset: expected a JSON object with organizations, services, ..."])
    for key in data:
        if key not in TOP_LEVEL:
            problems.add(data, "", f"unknown key {key!r} (expected {', '.join(TOP_LEVEL)})")
    for key, kind in TOP_LEVEL.items():
        objects = data.get(key, [])
        if not isinstance(objects, list):
            problems.add(data, "", f"{key} must be a list")
            continue
        for i, obj in enumerate(objects):
            label = f"{key}[{i}]"
            if isinstance(obj, dict):
                name = obj.get("name")
                _label_json(
                    origins, obj, f"{label} ({name})" if isinstance(name, str) else label, kind
                )
            else:
                origins.add(obj, label, None)
            for field_name, message in schema_problems(kind, obj):
                problems.add(obj, field_name, message)
    problems.raise_if_any()
    dataset = {key: data.get(key, []) for key in TOP_LEVEL}
    return _Import(municipality, dataset, origins, problems).run(user=user)


# --- Import: the CSV package ----------------------------------------------------------------


def _convert(value: str, spec: dict, required: bool):
    """A cell as the JSON value the schema expects; None when the cell is empty."""
    if value == "":
        # An empty cell is a missing value, except where the schema requires a string.
        return "" if required and spec["type"] not in ("number",) else None
    if spec["type"] == "number":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _read_package(directory: Path, origins: Origins, ignored: Counter):
    folder = hsds_folder()
    resources = _resources(folder)
    validators = _validators(folder)
    where = f"{directory}/datapackage.json"
    try:
        descriptor = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HsdsImportError([f"{where}: file not found; a data package needs it"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HsdsImportError([f"{where}: not valid JSON ({exc})"]) from None
    listed = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(listed, list):
        raise HsdsImportError([f"{where}: expected an object with a list of resources"])
    rows = {kind: [] for kind in PACKAGE_RESOURCES}
    errors = []
    for i, resource in enumerate(listed):
        name = resource.get("name") if isinstance(resource, dict) else None
        if name not in resources:
            errors.append(f"{where}: resources[{i}]: {name!r} is not an HSDS resource")
            continue
        if resource.get("path") != resources[name]["path"]:
            errors.append(
                f"{where}: resources[{i}] ({name}), field 'path': expected "
                f"{resources[name]['path']!r}"
            )
            continue
        path = directory / resources[name]["path"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            errors.append(f"{path.name}: file not found (datapackage.json lists it)")
            continue
        except UnicodeDecodeError as exc:
            errors.append(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        try:
            records = [
                [_uncell(cell) for cell in record]
                for record in csv.reader(io.StringIO(text, newline=""))
            ]
        except csv.Error as exc:
            errors.append(f"{path.name}: not valid CSV ({exc})")
            continue
        if name not in PACKAGE_RESOURCES:
            ignored[path.name] += max(len(records) - 1, 0)
            continue
        errors += _read_rows(path.name, records, resources[name], validators, rows[name], origins)
    if errors:
        raise HsdsImportError(errors)
    return rows


def _read_rows(file_name, records, resource, validators, out, origins) -> list[str]:
    kind = resource["name"]
    specs = {f["name"]: f for f in resource["schema"]["fields"]}
    schema_required = set(validators[kind].schema.get("required", []))
    if not records:
        return [f"{file_name}, row 1: the header row is missing"]
    header, errors = records[0], []
    for column in header:
        if column not in specs:
            errors.append(f"{file_name}, row 1: unknown column {column!r}")
    for column, spec in specs.items():
        if spec.get("constraints", {}).get("required") and column not in header:
            errors.append(f"{file_name}, row 1: required column {column!r} is missing")
    if len(set(header)) != len(header):
        errors.append(f"{file_name}, row 1: a column repeats")
    if errors:
        return errors
    for n, cells in enumerate(records[1:], start=2):
        where = f"{file_name}, row {n}"
        if not any(cells):
            continue
        if len(cells) != len(header):
            errors.append(f"{where}: {len(cells)} cells, but the header has {len(header)}")
            continue
        row = {}
        for column, value in zip(header, cells, strict=True):
            spec = specs[column]
            required = column in schema_required or spec.get("constraints", {}).get("required")
            try:
                converted = _convert(value, spec, bool(required))
            except ValueError as exc:
                errors.append(f"{where}, field '{column}': {exc}")
                continue
            if converted is None and spec.get("constraints", {}).get("required"):
                errors.append(f"{where}, field '{column}': required, but the cell is empty")
            elif converted is not None:
                row[column] = converted
        origins.add(row, where, kind)
        for field_name, message in schema_problems(kind, row):
            errors.append(f"{where}, field '{field_name}': {message}")
        out.append(row)
    return errors


def _nest(rows: dict, problems: Problems) -> dict:
    """Put each nested row (phones, attributes, ...) inside the object it belongs to."""
    by_id = {kind: {r["id"]: r for r in rows[kind]} for kind in (*TOP_LEVEL.values(), "contact")}
    for kind, links in PARENTS.items():
        for row in rows[kind]:
            for link in links:
                if link in row:
                    parent = by_id[PARENT_KIND[link]].get(row[link])
                    if parent is None:
                        problems.add(row, link, f"no {PARENT_KIND[link]} has the id {row[link]}")
                    else:
                        parent.setdefault(NESTED_KEY[kind], []).append(row)
                    break
            else:
                problems.add(row, "", f"linked to none of {', '.join(links)}")
    for row in rows["attribute"]:
        entity = row["link_entity"]
        if entity not in by_id:
            problems.add(row, "link_entity", f"{entity!r} is not one of {', '.join(by_id)}")
        elif row["link_id"] not in by_id[entity]:
            problems.add(row, "link_id", f"no {entity} has the id {row['link_id']}")
        else:
            by_id[entity][row["link_id"]].setdefault("attributes", []).append(row)
    return {key: rows[kind] for key, kind in TOP_LEVEL.items()}


def import_csv_package(municipality, directory, *, user=None) -> ImportResult:
    """Import an HSDS tabular data package (a folder of CSV files); all or nothing."""
    directory = Path(directory)
    origins = Origins()
    problems = Problems(origins)
    ignored = Counter()
    if not directory.is_dir():
        raise HsdsImportError([f"{directory}: not a folder"])
    rows = _read_package(directory, origins, ignored)
    dataset = _nest(rows, problems)
    problems.raise_if_any()
    return _Import(municipality, dataset, origins, problems, ignored).run(user=user)


# --- Import: our rules, then the writing ------------------------------------------------------

# HSDS fields the directory keeps; any other field is reported as ignored.
KEPT = {
    "organization": {
        "id",
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "legal_status",
        "phones",
        "funding",
    },
    "service": {
        "id",
        "organization_id",
        "organization",
        "name",
        "description",
        "email",
        "status",
        "application_process",
        "minimum_age",
        "maximum_age",
        "phones",
        "schedules",
        "service_areas",
        "funding",
        "contacts",
        "attributes",
    },
    "phone": {"id", "number", "service_id", "organization_id"},
    "schedule": {"id", "service_id", "description"},
    "service_area": {"id", "service_id", "name"},
    "funding": {"id", "source", "service_id", "organization_id"},
    "contact": {"id", "service_id", "name", "title"},
    "attribute": {"id", "link_id", "link_entity", "taxonomy_term_id", "taxonomy_term"},
    "location": {"id", "location_type", "organization_id", "name", "addresses"},
    "address": {
        "id",
        "location_id",
        "address_1",
        "address_2",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    },
    "service_at_location": {"id", "service_id", "location_id"},
}


@dataclass
class _Planned:
    """One organisation or service as it will be written."""

    source: dict
    hsds_id: str
    values: dict
    # model field -> (object, HSDS field) that supplied it, to name it in a message
    origin: dict
    code: str = ""
    existing: object = None
    organization_ref: str = ""
    categories: list = field(default_factory=list)
    units: list = field(default_factory=list)
    # Model fields already reported as wrong: no second message for them.
    reported: set = field(default_factory=set)


def _free_code(text: str, claimed: set, max_length: int, fallback: str) -> str:
    base = slugify(text)[:max_length].strip("-") or fallback
    code, n = base, 1
    while code in claimed:
        n += 1
        suffix = f"-{n}"
        code = base[: max_length - len(suffix)] + suffix
    return code


class _Import:
    def __init__(self, municipality, dataset, origins, problems, ignored=None):
        self.municipality = municipality
        self.dataset = dataset
        self.origins = origins
        self.problems = problems
        self.ignored = ignored if ignored is not None else Counter()
        self.categories = {c.code: c for c in Category.objects.all()}
        self.units = list(municipality.units.all())
        m = municipality.code
        orgs = list(Organisation.objects.filter(municipality=municipality))
        self.orgs_by_id = {organization_id(m, o.code): o for o in orgs}
        self.orgs_by_code = {o.code: o for o in orgs}
        services = list(Service.objects.filter(municipality=municipality))
        self.services_by_id = {service_id(m, s.code): s for s in services}
        self.services_by_code = {s.code: s for s in services}
        self._indices = {}

    def problem(self, obj, field_name, message):
        self.problems.add(obj, field_name, message)

    def index(self, key) -> dict:
        if key in self._indices:
            return self._indices[key]
        found = self._indices[key] = {}
        for obj in self.dataset[key]:
            if obj["id"] in found:
                first = self.origins.label(found[obj["id"]])
                self.problem(obj, "id", f"the same id as {first}")
            else:
                found[obj["id"]] = obj
        return found

    def children(self, parent, key, link, most=None) -> list:
        items = parent.get(key) or []
        for child in items:
            if link in child and child[link] != parent["id"]:
                self.problem(child, link, f"does not match the id {parent['id']} it is nested in")
        if most is not None and len(items) > most:
            self.problem(parent, key, f"the directory keeps {most} of these; {len(items)} given")
        return items

    def funding(self, obj, link, reported: set) -> str:
        items = self.children(obj, "funding", link, most=1)
        source = items[0].get("source") if items else None
        if source is None:
            return Funding.UNKNOWN
        if source not in Funding.values:
            self.problem(items[0], "source", f"expected one of {', '.join(Funding.values)}")
            reported.add("funding")
        return source

    # Taxonomy terms -> ("type", code), ("category", code) or ("extra", stored term)

    def meanings(self) -> dict:
        taxonomies = self.index("taxonomies")
        self.taxonomy_names = {taxonomy_id(name): name for name in TAXONOMIES}
        self.taxonomy_names |= {t["id"]: t["name"] for t in taxonomies.values()}
        meanings = {}
        for term in self.index("taxonomy_terms").values():
            meaning = self.meaning(term)
            if meaning:
                meanings[term["id"]] = meaning
        return meanings

    def meaning(self, term):
        names = self.taxonomy_names
        detail = term.get("taxonomy_detail") or self.index("taxonomies").get(
            term.get("taxonomy_id")
        )
        if isinstance(detail, dict) and detail.get("id"):
            names.setdefault(detail["id"], detail.get("name"))
        taxonomy = term.get("taxonomy")
        if term.get("taxonomy_id"):
            if term["taxonomy_id"] not in names:
                self.problem(term, "taxonomy_id", "no taxonomy in the dataset has this id")
                return None
            taxonomy = names[term["taxonomy_id"]]
        code = term.get("code", "")
        if taxonomy == TYPE_TAXONOMY:
            if code not in ServiceType.values:
                self.problem(term, "code", f"not a code of {TYPE_TAXONOMY}")
                return None
            return ("type", code)
        if taxonomy == CATEGORY_TAXONOMY:
            if code not in self.categories:
                self.problem(term, "code", f"not a code of {CATEGORY_TAXONOMY}")
                return None
            return ("category", code)
        name = term["name"].casefold()
        for value, (sq, en) in TYPE_NAMES.items():
            if code == value or name in (sq.casefold(), en.casefold()):
                return ("type", str(value))
        for category in self.categories.values():
            if code == category.code or name in (
                category.name.casefold(),
                category.name_en.casefold(),
            ):
                return ("category", category.code)
        stored = extra_term(term)
        if isinstance(detail, dict):
            stored["taxonomy_detail"] = {k: detail[k] for k in TAXONOMY_FIELDS if k in detail}
        return ("extra", stored)

    # Organisations and services

    def plan_organisation(self, org) -> _Planned:
        reported = set()
        phones = self.children(org, "phones", "organization_id", most=1)
        values = {
            "name": org["name"],
            "aliases": [a for a in org.get("alternate_name", "").split("; ") if a],
            "description": org["description"],
            "email": org.get("email", ""),
            "website": org.get("website", ""),
            "phone": phones[0]["number"] if phones else "",
            "kind": org.get("legal_status"),
            "funding": self.funding(org, "organization_id", reported),
        }
        if values["kind"] not in Organisation.Kind.values:
            self.problem(
                org,
                "legal_status",
                f"expected the kind of organisation: {', '.join(Organisation.Kind.values)}",
            )
            reported.add("kind")
        origin = {
            "aliases": (org, "alternate_name"),
            "phone": (phones[0] if phones else org, "number"),
            "kind": (org, "legal_status"),
            "funding": (org, "funding"),
        }
        return _Planned(org, org["id"], values, origin, reported=reported)

    def plan_service(self, service, meanings, orgs, locations, placed) -> _Planned:
        sid = service["id"]
        reported = set()
        ref = service.get("organization_id")
        nested_org = service.get("organization")
        if isinstance(nested_org, dict) and nested_org.get("id"):
            if ref and ref != nested_org["id"]:
                self.problem(service, "organization.id", "differs from organization_id")
            ref = ref or nested_org["id"]
        if not ref:
            self.problem(service, "organization_id", "required field is missing")
        elif ref not in orgs and ref not in self.orgs_by_id:
            self.problem(
                service,
                "organization_id",
                f"no organization with this id in the dataset or in {self.municipality.name}",
            )
        phones = self.children(service, "phones", "service_id", most=1)
        schedules = self.children(service, "schedules", "service_id", most=1)
        types, categories, extra = [], [], []
        for attribute in self.children(service, "attributes", "link_id"):
            meaning = self.attribute_meaning(attribute, meanings)
            if meaning is None:
                continue
            kind, value = meaning
            target = {"type": types, "category": categories, "extra": extra}[kind]
            if value not in target:
                target.append(value)
        if len(types) != 1:
            self.problem(
                service,
                "attributes",
                f"needs exactly one term of {TYPE_TAXONOMY} (the service type); {len(types)} given",
            )
            reported.add("type")
        units = [self.unit(area) for area in self.children(service, "service_areas", "service_id")]
        confidential, public_contact, contact = self.confidentiality(service)
        address, address_obj = self.address(placed.get(sid), locations)
        if confidential and address:
            self.problem(
                address_obj,
                "address_1",
                "the service is confidential: its address must never be published",
            )
        values = {
            "name": service["name"],
            "type": types[0] if types else "",
            "description": service.get("description", ""),
            "email": service.get("email", ""),
            "status": STATUS_FROM_HSDS[service["status"]],
            "how_to_apply": service.get("application_process", ""),
            "age_min": self.age(service, "minimum_age"),
            "age_max": self.age(service, "maximum_age"),
            "phone": phones[0]["number"] if phones else "",
            "hours": schedules[0].get("description", "") if schedules else "",
            "funding": self.funding(service, "service_id", reported),
            "address": address,
            "confidential": confidential,
            "public_contact": public_contact,
            "extra_terms": extra,
        }
        if confidential:
            # The dataset never holds a confidential address: keep the one we have.
            del values["address"]
        if None not in (values["age_min"], values["age_max"]):
            if values["age_min"] > values["age_max"]:
                self.problem(service, "maximum_age", "smaller than minimum_age")
        origin = {
            "phone": (phones[0] if phones else service, "number"),
            "hours": (schedules[0] if schedules else service, "description"),
            "how_to_apply": (service, "application_process"),
            "address": (address_obj or service, "address_1"),
            "public_contact": (contact or service, "name"),
            "type": (service, "attributes"),
            "funding": (service, "funding"),
        }
        planned = _Planned(
            service, sid, values, origin, organization_ref=ref or "", reported=reported
        )
        planned.categories = [self.categories[c] for c in categories]
        planned.units = [u for i, u in enumerate(units) if u and u not in units[:i]]
        return planned

    def attribute_meaning(self, attribute, meanings):
        if attribute.get("link_entity", "service") != "service":
            self.problem(attribute, "link_entity", "expected 'service'")
            return None
        nested_term = attribute.get("taxonomy_term")
        term_ref = attribute.get("taxonomy_term_id") or (
            nested_term.get("id") if isinstance(nested_term, dict) else None
        )
        if not term_ref:
            self.problem(attribute, "taxonomy_term_id", "required field is missing")
            return None
        if term_ref not in meanings and isinstance(nested_term, dict):
            meaning = self.meaning(nested_term)
            if meaning:
                meanings[term_ref] = meaning
            return meaning
        if term_ref not in meanings:
            self.problem(
                attribute, "taxonomy_term_id", "no taxonomy term in the dataset has this id"
            )
            return None
        return meanings[term_ref]

    def unit(self, area):
        name = area.get("name")
        if not name:
            self.problem(area, "name", "required to know which administrative unit it is")
            return None
        # Spelling-tolerant: "Manez" is "Manëz"; codes and other spellings match too.
        wanted = slugify(name)
        for unit in self.units:
            if wanted in (slugify(unit.name), unit.code, *(slugify(a) for a in unit.aliases)):
                return unit
        known = ", ".join(u.name for u in self.units)
        self.problem(area, "name", f"not a unit of {self.municipality.name} (its units: {known})")
        return None

    def confidentiality(self, service):
        contacts = self.children(service, "contacts", "service_id")
        markers = [c for c in contacts if c.get("title") == CONFIDENTIAL_CONTACT_TITLE]
        self.ignored["contact (other than the confidential-location contact)"] += len(
            contacts
        ) - len(markers)
        if len(markers) > 1:
            self.problem(service, "contacts", "more than one confidential-location contact")
        if not markers:
            return False, "", None
        return True, markers[0].get("name", ""), markers[0]

    def address(self, sal, locations):
        if sal is None:
            return "", None
        location = locations[sal["location_id"]]
        addresses = self.children(location, "addresses", "location_id", most=1)
        if not addresses:
            return "", None
        first = addresses[0]
        text = ", ".join(p for p in (first["address_1"], first.get("address_2", "")) if p)
        return text, first

    def age(self, service, name):
        value = service.get(name)
        if value is None:
            return None
        if value != int(value) or not 0 <= value <= 120:
            self.problem(service, name, "expected a whole number of years from 0 to 120")
            return None
        return int(value)

    def places(self, services, locations, orgs) -> dict:
        """service id -> its one service_at_location."""
        placed = {}
        for sal in self.index("service_at_locations").values():
            if sal.get("service_id") not in services:
                self.problem(sal, "service_id", "no service in the dataset has this id")
            elif sal.get("location_id") not in locations:
                self.problem(sal, "location_id", "no location in the dataset has this id")
            elif sal["service_id"] in placed:
                self.problem(sal, "service_id", "the directory keeps one location per service")
            else:
                placed[sal["service_id"]] = sal
        linked = {sal["location_id"] for sal in placed.values()}
        for location in locations.values():
            ref = location.get("organization_id")
            if ref and ref not in orgs and ref not in self.orgs_by_id:
                self.problem(location, "organization_id", "no organization has this id")
            if location["id"] not in linked:
                self.ignored["location (linked to no service)"] += 1
        return placed

    def assign_codes(self, plans, by_id, by_code, model, text):
        max_length = model._meta.get_field("code").max_length
        claimed = set()
        for p in plans:
            if p.hsds_id in by_id:
                p.existing = by_id[p.hsds_id]
                p.code = p.existing.code
                claimed.add(p.code)
        for p in plans:
            if p.existing is None:
                # Not one of ours: the code comes from the name, and a record
                # already carrying that code is the same one (re-imports update).
                p.code = _free_code(text(p), claimed, max_length, model._meta.model_name)
                claimed.add(p.code)
                p.existing = by_code.get(p.code)

    def check_fields(self, plans, model, exclude):
        for p in plans:
            candidate = model(code=p.code, **p.values)
            try:
                candidate.clean_fields(exclude=[*exclude, *p.reported])
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    obj, hsds_field = p.origin.get(name, (p.source, name))
                    self.problem(obj, hsds_field, " ".join(str(m) for m in messages))

    def run(self, *, user=None) -> ImportResult:
        meanings = self.meanings()
        orgs = self.index("organizations")
        services = self.index("services")
        locations = self.index("locations")
        placed = self.places(services, locations, orgs)
        org_plans = [self.plan_organisation(o) for o in orgs.values()]
        service_plans = [
            self.plan_service(s, meanings, orgs, locations, placed) for s in services.values()
        ]
        self.assign_codes(
            org_plans, self.orgs_by_id, self.orgs_by_code, Organisation, lambda p: p.values["name"]
        )
        org_codes = {p.hsds_id: p.code for p in org_plans}
        org_codes |= {i: o.code for i, o in self.orgs_by_id.items() if i not in org_codes}
        self.assign_codes(
            service_plans,
            self.services_by_id,
            self.services_by_code,
            Service,
            lambda p: f"{org_codes.get(p.organization_ref, '')} {p.values['name']}",
        )
        for p in service_plans:
            if p.existing is not None and p.existing.confidential and not p.values["confidential"]:
                self.problem(
                    p.source,
                    "contacts",
                    f"{p.existing.name} is confidential in the directory, but the dataset does "
                    f"not say so (a contact titled {CONFIDENTIAL_CONTACT_TITLE!r}); importing "
                    "it would publish its address",
                )
        self.check_fields(org_plans, Organisation, exclude=["municipality"])
        self.check_fields(service_plans, Service, exclude=["municipality", "organisation"])
        self.problems.raise_if_any()
        result = ImportResult(ignored=self.ignored)
        self.count_ignored(result)
        with transaction.atomic():
            saved_orgs = dict(self.orgs_by_id)
            for p in org_plans:
                saved_orgs[p.hsds_id] = self.write(p, Organisation, result.organisations)
            for p in service_plans:
                p.values["organisation"] = saved_orgs[p.organization_ref]
                many = {"categories": p.categories, "units": p.units}
                self.write(p, Service, result.services, many)
            if user is not None:
                record(None, "import", self.municipality, summary="HSDS dataset", user=user)
        return result

    def write(self, p: _Planned, model, counts: Counter, many=None):
        """Create or update one row; an unchanged row is not written at all."""
        obj = p.existing or model(municipality=self.municipality, code=p.code)
        many = many or {}
        if obj.pk is None:
            for name, value in p.values.items():
                setattr(obj, name, value)
            obj.save()
            for name, related in many.items():
                getattr(obj, name).set(related)
            counts["created"] += 1
            return obj
        changed = {k: v for k, v in p.values.items() if getattr(obj, k) != v}
        changed_many = {k: v for k, v in many.items() if set(getattr(obj, k).all()) != set(v)}
        if not changed and not changed_many:
            counts["unchanged"] += 1
            return obj
        for name, value in changed.items():
            setattr(obj, name, value)
        # Bumped, so a form opened before the import cannot overwrite it.
        obj.version = F("version") + 1
        obj.save()
        obj.refresh_from_db(fields=["version"])
        for name, related in changed_many.items():
            getattr(obj, name).set(related)
        counts["updated"] += 1
        return obj

    def count_ignored(self, result: ImportResult):
        for obj, _label, kind in self.origins.entries():
            if kind in KEPT and isinstance(obj, dict):
                for key in obj:
                    if key not in KEPT[kind]:
                        result.ignored[f"{kind}.{key}"] += 1
        for key in [k for k, n in result.ignored.items() if not n]:
            del result.ignored[key]
