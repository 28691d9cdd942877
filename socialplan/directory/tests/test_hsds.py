"""HSDS 3.0 open data: export, official schema validation, lossless import, the API."""

import csv
import json
import re
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socialplan.accounts.models import AuditEvent
from socialplan.directory.hsds import (
    CONFIDENTIAL_CONTACT_TITLE,
    NAMESPACE,
    TOP_LEVEL,
    HsdsImportError,
    export_csv_package,
    export_dataset,
    import_csv_package,
    import_dataset,
    validate_object,
)
from socialplan.directory.models import Category, Organisation, Service
from socialplan.territory.models import AdministrativeUnit, Municipality

SECRET_ADDRESS = "Rruga e Fshehtë 13"
FOREIGN_TERM = {
    "id": "6a1f7a58-4a0e-4b6e-9d1c-2d7b5f0c9a11",
    "code": "BH-180",
    "name": "Home visits",
    "description": "A term of another taxonomy, kept as it came.",
    "taxonomy_id": "0b7d1f3c-51a5-4d7e-8e0c-93f3c1a2b4d5",
    "taxonomy_detail": {
        "id": "0b7d1f3c-51a5-4d7e-8e0c-93f3c1a2b4d5",
        "name": "open-eligibility",
        "description": "Open Eligibility",
    },
}


def _town(code: str) -> Municipality:
    """A synthetic municipality with two units (same names whatever the code)."""
    town = Municipality.objects.create(code=code, name="Qyteza")
    AdministrativeUnit.objects.create(
        municipality=town, code="qender", name="Qendër", kind="urban", position=1
    )
    AdministrativeUnit.objects.create(
        municipality=town,
        code="fushe",
        name="Fushë-Qytezë",
        kind="rural",
        position=2,
        aliases=["Fushe Qyteze"],
    )
    return town


@pytest.fixture
def town(db):
    town = _town("qyteza")
    centre, plain = town.units.all()
    public = Organisation.objects.create(
        municipality=town,
        code="qendra-bashkiake",
        name="Qendra Komunitare Bashkiake",
        aliases=["QKB", "Qendra Komunitare"],
        kind="public",
        funding="municipal",
        description="Qendra e bashkisë për shërbimet shoqërore.",
        email="qkb@example.org",
        phone="+355 52 000 000",
        website="https://example.org/qkb",
    )
    ngo = Organisation.objects.create(
        municipality=town,
        code="shoqata-jeta",
        name="Shoqata Jeta",
        kind="non_public",
        funding="ngo_donor",
    )
    day = Service.objects.create(
        municipality=town,
        organisation=public,
        code="qendra-ditore",
        name="Qendra Ditore për të Moshuar",
        type="day",
        description="Kujdes ditor dhe aktivitete për të moshuarit.",
        age_min=65,
        funding="municipal",
        how_to_apply="Paraqituni me kartë identiteti.",
        hours="E hënë - e premte, 8:00 - 16:00",
        phone="+355 52 111 111",
        email="ditore@example.org",
        address="Rruga e Shkollës 5",
    )
    day.categories.set([Category.objects.get(code="elderly")])
    day.units.set([centre])
    shelter = Service.objects.create(
        municipality=town,
        organisation=ngo,
        code="strehez",
        name="Strehëz për Viktimat",
        type="residential",
        description="Strehim i sigurt dhe mbështetje.",
        funding="ngo_donor",
        address=SECRET_ADDRESS,
        confidential=True,
        public_contact="Linja 116 117, çdo ditë",
    )
    shelter.categories.set([Category.objects.get(code="domestic_violence")])
    mobile = Service.objects.create(
        municipality=town,
        organisation=ngo,
        code="ekipi-levizes",
        name="Ekipi i Lëvizshëm për Fëmijët",
        type="mobile",
        age_min=0,
        age_max=18,
        funding="unknown",
        status="planned",
        extra_terms=[FOREIGN_TERM],
    )
    mobile.categories.set(
        Category.objects.filter(code__in=["children_at_risk", "families_in_need"])
    )
    mobile.units.set([centre, plain])
    Service.objects.create(
        municipality=town,
        organisation=public,
        code="linja-online",
        name="Këshillim Online",
        type="online",
        funding="municipal",
        status="closed",
    )
    return town


def _normalised(data):
    """The same content with each UUID replaced by its order of first appearance."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False)
    seen = {}
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return re.sub(pattern, lambda m: seen.setdefault(m.group(0), f"id-{len(seen)}"), text)


def _folder_text(folder) -> str:
    return "\n".join(
        f"== {p.name}\n{p.read_text(encoding='utf-8')}" for p in sorted(folder.iterdir())
    )


def _rewrite_csv(path, change):
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _written_rows(town):
    return (
        Organisation.objects.filter(municipality=town).count()
        + Service.objects.filter(municipality=town).count()
    )


# --- Export --------------------------------------------------------------------------------------


def test_every_exported_object_validates_against_the_official_schema(town):
    data = export_dataset(town)
    assert [len(data[k]) for k in TOP_LEVEL] == [2, 4, 1, 1, 3, 9 + 12 + 1]
    for key, kind in TOP_LEVEL.items():
        for obj in data[key]:
            assert validate_object(kind, obj) == [], (key, obj)
    ids = re.findall(r'"id": "([^"]+)"', json.dumps(data))
    assert all(uuid.UUID(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_ids_are_stable_uuid5_of_municipality_and_code(town):
    first = export_dataset(town)
    assert export_dataset(town) == first
    day = next(s for s in first["services"] if s["name"].startswith("Qendra Ditore"))
    assert day["id"] == str(uuid.uuid5(NAMESPACE, "service/qyteza/qendra-ditore"))
    assert day["organization_id"] == str(
        uuid.uuid5(NAMESPACE, "organization/qyteza/qendra-bashkiake")
    )


def test_services_map_our_fields(town):
    data = export_dataset(town)
    terms = {t["id"]: t for t in data["taxonomy_terms"]}
    by_name = {s["name"]: s for s in data["services"]}
    day = by_name["Qendra Ditore për të Moshuar"]
    assert day["status"] == "active"
    assert day["minimum_age"] == 65
    assert day["application_process"] == "Paraqituni me kartë identiteti."
    assert day["phones"][0]["number"] == "+355 52 111 111"
    assert day["schedules"][0]["description"] == "E hënë - e premte, 8:00 - 16:00"
    assert [a["name"] for a in day["service_areas"]] == ["Qendër"]
    assert [terms[a["taxonomy_term_id"]]["code"] for a in day["attributes"]] == ["day", "elderly"]
    assert by_name["Ekipi i Lëvizshëm për Fëmijët"]["status"] == "inactive"
    assert by_name["Këshillim Online"]["status"] == "defunct"
    assert [t["name"] for t in data["taxonomies"][:2]] == ["psv-service-type", "psv-category"]
    elderly = next(t for t in data["taxonomy_terms"] if t["code"] == "elderly")
    assert (elderly["name"], elderly["description"], elderly["language"]) == (
        "Të moshuar në nevojë",
        "Elderly people in need",
        "sq",
    )
    location = data["locations"][0]
    assert location["addresses"][0]["address_1"] == "Rruga e Shkollës 5"
    assert data["service_at_locations"][0]["service_id"] == day["id"]


def test_a_confidential_address_appears_nowhere_in_the_export(town, tmp_path):
    data = export_dataset(town)
    text = json.dumps(data, ensure_ascii=False)
    assert SECRET_ADDRESS not in text
    shelter = next(s for s in data["services"] if s["name"].startswith("Strehëz"))
    assert shelter["contacts"] == [
        {
            "id": shelter["contacts"][0]["id"],
            "service_id": shelter["id"],
            "name": "Linja 116 117, çdo ditë",
            "title": CONFIDENTIAL_CONTACT_TITLE,
        }
    ]
    assert all(sal["service_id"] != shelter["id"] for sal in data["service_at_locations"])
    export_csv_package(town, tmp_path)
    assert SECRET_ADDRESS not in _folder_text(tmp_path)


def test_csv_package_has_the_official_files_and_columns(town, tmp_path):
    export_csv_package(town, tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        with (tmp_path / resource["path"]).open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    assert {r["path"] for r in descriptor["resources"]} >= {
        "organizations.csv",
        "services.csv",
        "attributes.csv",
        "taxonomy_terms.csv",
        "service_at_location.csv",
    }


# --- Round trips ---------------------------------------------------------------------------------


def test_json_round_trip_into_a_fresh_municipality_is_lossless(town):
    exported = export_dataset(town)
    fresh = _town("qyteza-e-re")
    result = import_dataset(fresh, json.loads(json.dumps(exported)))
    assert result.organisations["created"] == 2
    assert result.services["created"] == 4
    assert not result.ignored
    assert _normalised(export_dataset(fresh)) == _normalised(exported)
    shelter = Service.objects.get(municipality=fresh, name__startswith="Strehëz")
    assert shelter.confidential
    assert shelter.address == ""
    assert shelter.public_contact == "Linja 116 117, çdo ditë"
    mobile = Service.objects.get(municipality=fresh, name__startswith="Ekipi")
    assert mobile.extra_terms == [FOREIGN_TERM]


def test_csv_round_trip_into_a_fresh_municipality_is_lossless(town, tmp_path):
    export_csv_package(town, tmp_path / "first")
    fresh = _town("qyteza-e-re")
    import_csv_package(fresh, tmp_path / "first")
    export_csv_package(fresh, tmp_path / "second")
    assert _normalised(_folder_text(tmp_path / "second")) == _normalised(
        _folder_text(tmp_path / "first")
    )
    assert _normalised(export_dataset(fresh)) == _normalised(export_dataset(town))


def test_importing_our_own_export_again_changes_nothing(town):
    before = export_dataset(town)
    versions = list(Service.objects.filter(municipality=town).values_list("version", flat=True))
    result = import_dataset(town, before)
    assert result.services == {"unchanged": 4}
    assert result.organisations == {"unchanged": 2}
    assert export_dataset(town) == before
    # The confidential address stays with us, though the dataset never holds it.
    assert Service.objects.get(code="strehez", municipality=town).address == SECRET_ADDRESS
    assert (
        list(Service.objects.filter(municipality=town).values_list("version", flat=True))
        == versions
    )


def test_a_change_in_the_dataset_updates_and_bumps_the_version(town):
    data = export_dataset(town)
    data["services"][0]["description"] = "Përshkrim i ri."
    result = import_dataset(town, data)
    assert result.services == {"updated": 1, "unchanged": 3}
    changed = Service.objects.get(municipality=town, description="Përshkrim i ri.")
    assert changed.version == 2


def test_foreign_records_get_codes_from_their_names(town):
    data = export_dataset(town)
    fresh = _town("tjeter")
    import_dataset(fresh, data)
    assert set(Organisation.objects.filter(municipality=fresh).values_list("code", flat=True)) == {
        "qendra-komunitare-bashkiake",
        "shoqata-jeta",
    }
    assert Service.objects.filter(
        municipality=fresh, code="qendra-komunitare-bashkiake-qendra-ditore-per-te-moshuar"
    ).exists()
    again = import_dataset(fresh, data)
    assert again.services == {"unchanged": 4}


def test_a_foreign_dataset_maps_terms_by_code_or_name_and_keeps_the_rest(town, director):
    ids = [str(uuid.uuid4()) for _ in range(8)]
    org, service, taxonomy, day, elderly, other, attribute, area = ids
    data = {
        "organizations": [
            {
                "id": org,
                "name": "Fondacioni Shpresa",
                "description": "",
                "legal_status": "non_public",
            }
        ],
        "services": [
            {
                "id": service,
                "organization_id": org,
                "name": "Vizita në shtëpi",
                "status": "temporarily closed",
                "url": "https://example.org/vizita",
                "service_areas": [{"id": area, "name": "Fushe Qyteze"}],
                "attributes": [
                    {"id": attribute, "taxonomy_term_id": day},
                    {"id": str(uuid.uuid4()), "taxonomy_term_id": elderly},
                    {"id": str(uuid.uuid4()), "taxonomy_term_id": other},
                ],
            }
        ],
        "taxonomies": [{"id": taxonomy, "name": "their-taxonomy", "description": "Theirs"}],
        "taxonomy_terms": [
            {
                "id": day,
                "code": "day",
                "name": "Day care",
                "description": "",
                "taxonomy_id": taxonomy,
            },
            {"id": elderly, "name": "Elderly people in need", "description": "By name"},
            {
                "id": other,
                "code": "X1",
                "name": "Other",
                "description": "",
                "taxonomy_id": taxonomy,
            },
        ],
    }
    result = import_dataset(town, data, user=director)
    assert result.ignored == {"service.url": 1}
    created = Service.objects.get(municipality=town, name="Vizita në shtëpi")
    assert created.code == "fondacioni-shpresa-vizita-ne-shtepi"
    assert (created.type, created.status, created.funding) == ("day", "planned", "unknown")
    assert [c.code for c in created.categories.all()] == ["elderly"]
    assert [u.code for u in created.units.all()] == ["fushe"]
    assert created.extra_terms == [
        {
            "id": other,
            "code": "X1",
            "name": "Other",
            "description": "",
            "taxonomy_id": taxonomy,
            "taxonomy_detail": {"id": taxonomy, "name": "their-taxonomy", "description": "Theirs"},
        }
    ]
    assert AuditEvent.objects.filter(user=director, action="import").count() == 1


# --- Refusals ------------------------------------------------------------------------------------


def _break_missing_name(data):
    del data["services"][1]["name"]


def _break_type(data):
    data["services"][1]["minimum_age"] = "sixty"


def _break_organization_reference(data):
    data["services"][1]["organization_id"] = str(uuid.uuid4())


def _break_unit(data):
    data["services"][1]["service_areas"] = [
        {"id": str(uuid.uuid4()), "service_id": data["services"][1]["id"], "name": "Atlantis"}
    ]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_break_missing_name, "services[1], field 'name': required field is missing"),
        (_break_type, "field 'minimum_age': 'sixty' is not of type 'number'"),
        (_break_organization_reference, "field 'organization_id': no organization with this id"),
        (_break_unit, "(Këshillim Online).service_areas[0], field 'name': not a unit of Qyteza"),
    ],
)
def test_an_invalid_dataset_is_refused_and_writes_nothing(town, breakage, expected):
    data = export_dataset(town)
    breakage(data)
    fresh = _town("qyteza-e-re")
    with pytest.raises(HsdsImportError) as refusal:
        import_dataset(fresh, data)
    assert expected in str(refusal.value)
    assert _written_rows(fresh) == 0


def test_a_dataset_cannot_publish_a_confidential_address(town):
    data = export_dataset(town)
    shelter = next(s for s in data["services"] if s["name"].startswith("Strehëz"))
    location = json.loads(
        json.dumps(data["locations"][0]).replace(data["locations"][0]["id"], str(uuid.uuid4()))
    )
    data["locations"].append(location)
    data["service_at_locations"].append(
        {"id": str(uuid.uuid4()), "service_id": shelter["id"], "location_id": location["id"]}
    )
    with pytest.raises(HsdsImportError, match="confidential: its address must never be published"):
        import_dataset(town, data)
    del shelter["contacts"]
    data["locations"].pop()
    data["service_at_locations"].pop()
    with pytest.raises(HsdsImportError, match="is confidential in the directory"):
        import_dataset(town, data)
    assert Service.objects.get(code="strehez", municipality=town).confidential


@pytest.mark.parametrize(
    ("file_name", "change", "expected"),
    [
        ("services.csv", lambda rows: rows[2].append("extra"), "services.csv, row 3: 24 cells"),
        (
            "services.csv",
            lambda rows: rows[1].__setitem__(rows[0].index("minimum_age"), "abc"),
            "services.csv, row 2, field 'minimum_age': 'abc' is not a number",
        ),
        (
            "phones.csv",
            lambda rows: rows[1].__setitem__(rows[0].index("service_id"), str(uuid.uuid4())),
            "phones.csv, row 2, field 'service_id': no service has the id",
        ),
        (
            "services.csv",
            lambda rows: rows[1].__setitem__(rows[0].index("name"), ""),
            # Our rule (a name cannot be blank) speaks the active language.
            "services.csv, row 2, field 'name': ",
        ),
        ("services.csv", lambda rows: rows[0].__setitem__(1, "organisation"), "unknown column"),
    ],
)
def test_a_malformed_csv_package_is_refused_and_writes_nothing(
    town, tmp_path, file_name, change, expected
):
    export_csv_package(town, tmp_path)
    _rewrite_csv(tmp_path / file_name, change)
    fresh = _town("qyteza-e-re")
    with pytest.raises(HsdsImportError) as refusal:
        import_csv_package(fresh, tmp_path)
    assert expected in str(refusal.value)
    assert _written_rows(fresh) == 0


def test_missing_schema_folder_is_a_clear_error(settings, tmp_path):
    settings.HSDS_SCHEMA_DIR = tmp_path / "nowhere"
    with pytest.raises(ImproperlyConfigured, match="HSDS 3.0 schemas are not at"):
        validate_object("service", {})


# --- Management commands -------------------------------------------------------------------------


def test_commands_export_and_import(town, tmp_path):
    call_command("export_hsds", "qyteza", "--out", str(tmp_path / "dataset.json"))
    call_command("export_hsds", "qyteza", "--format", "csv", "--out", str(tmp_path / "package"))
    fresh = _town("qyteza-e-re")
    call_command("import_hsds", "qyteza-e-re", str(tmp_path / "dataset.json"))
    call_command("import_hsds", "qyteza-e-re", str(tmp_path / "package"))
    assert _normalised(export_dataset(fresh)) == _normalised(export_dataset(town))
    (tmp_path / "broken.json").write_text('{"services": [{"id": 1}]}')
    with pytest.raises(CommandError, match=r"^Nothing was imported\.\nservices\[0\], field 'id'"):
        call_command("import_hsds", "qyteza-e-re", str(tmp_path / "broken.json"))


# --- The API -------------------------------------------------------------------------------------

API = "/api/v1/hsds"


def test_services_are_paginated(client, town):
    first = client.get(f"{API}/services", {"municipality": "qyteza", "per_page": 3}).json()
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 4,
        "total_pages": 2,
        "page_number": 1,
        "size": 3,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    second = client.get(f"{API}/services", {"municipality": "qyteza", "per_page": 3, "page": 2})
    assert second.json()["size"] == 1
    assert second.json()["last_page"] is True
    beyond = client.get(f"{API}/services", {"municipality": "qyteza", "per_page": 3, "page": 9})
    assert beyond.json()["empty"] is True
    for service in first["contents"]:
        assert validate_object("service", service) == []
    assert client.get(f"{API}/services", {"per_page": 0}).status_code == 422
    assert client.get(f"{API}/services", {"municipality": "nowhere"}).status_code == 404


def test_search_finds_words_in_name_and_description(client, town):
    def names(path, search):
        body = client.get(f"{API}/{path}", {"municipality": "qyteza", "search": search}).json()
        return [c["name"] for c in body["contents"]]

    assert names("services", "ditore moshuar") == ["Qendra Ditore për të Moshuar"]
    assert names("services", "femijet") == ["Ekipi i Lëvizshëm për Fëmijët"]
    assert names("services", "strehim") == ["Strehëz për Viktimat"]
    assert names("services", "ditore strehim") == []
    assert names("organizations", "jeta") == ["Shoqata Jeta"]
    terms = client.get(f"{API}/taxonomy_terms", {"search": "moshuar"}).json()["contents"]
    assert [t["code"] for t in terms] == ["elderly"]


def test_detail_endpoints_give_fully_nested_valid_objects(client, town):
    data = export_dataset(town)
    for service in data["services"]:
        body = client.get(f"{API}/services/{service['id']}").json()
        assert validate_object("service", body) == []
        assert body["organization"]["id"] == service["organization_id"]
        assert all("taxonomy_term" in a for a in body["attributes"])
    for organization in data["organizations"]:
        body = client.get(f"{API}/organizations/{organization['id']}").json()
        assert validate_object("organization", body) == []
        assert body["services"]
    assert client.get(f"{API}/services/{uuid.uuid4()}").status_code == 404
    day = next(s for s in data["services"] if s["name"].startswith("Qendra Ditore"))
    nested = client.get(f"{API}/services/{day['id']}").json()
    assert nested["service_at_locations"][0]["location"]["addresses"][0]["address_1"] == (
        "Rruga e Shkollës 5"
    )


def test_taxonomies_and_service_at_locations(client, town):
    taxonomies = client.get(f"{API}/taxonomies").json()
    assert [t["name"] for t in taxonomies["contents"]] == ["psv-service-type", "psv-category"]
    type_taxonomy = taxonomies["contents"][0]["id"]
    terms = client.get(f"{API}/taxonomy_terms", {"taxonomy_id": type_taxonomy, "per_page": 100})
    assert [t["code"] for t in terms.json()["contents"]][:3] == ["pre_social", "community", "day"]
    assert terms.json()["total_items"] == 9
    places = client.get(f"{API}/service_at_locations", {"municipality": "qyteza"}).json()
    assert places["total_items"] == 1
    assert validate_object("service_at_location", places["contents"][0]) == []


def test_a_confidential_address_never_appears_in_the_api(client, town):
    data = export_dataset(town)
    paths = [
        f"{API}/",
        f"{API}/services?per_page=500",
        f"{API}/services?per_page=500&full=true",
        f"{API}/organizations?per_page=500",
        f"{API}/service_at_locations?per_page=500",
        f"{API}/taxonomies",
        f"{API}/taxonomy_terms?per_page=500",
        f"{API}/services?search=strehez",
        *(f"{API}/services/{s['id']}" for s in data["services"]),
        *(f"{API}/organizations/{o['id']}" for o in data["organizations"]),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert SECRET_ADDRESS not in response.content.decode(), path
        assert "Fshehtë" not in response.content.decode(), path


@pytest.mark.parametrize(
    "path",
    [
        "services",
        "services?full=true",
        "organizations",
        "service_at_locations",
        "taxonomies",
        "taxonomy_terms",
    ],
)
def test_list_pages_run_the_same_queries_whatever_their_size(client, town, path):
    more = Service.objects.get(code="qendra-ditore")
    for n in range(4):
        more.pk, more.code, more.name = None, f"kopje-{n}", f"Kopje {n}"
        more.save()
        more.categories.set(Category.objects.all()[:2])
        more.units.set(town.units.all())
    separator = "&" if "?" in path else "?"
    counts = []
    for per_page in (2, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/{path}{separator}municipality=qyteza&per_page={per_page}")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_csv_export_neutralises_formulas_and_import_restores_them(town, tmp_path):
    from socialplan.directory.models import Service

    service = Service.objects.filter(municipality=town).first()
    service.name = '=HYPERLINK("x")'
    service.save()
    export_csv_package(town, tmp_path)
    text = (tmp_path / "services.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    fresh = _town("qyteza-formula")
    import_csv_package(fresh, tmp_path)
    assert Service.objects.get(municipality=fresh, name__startswith="=").name == service.name
