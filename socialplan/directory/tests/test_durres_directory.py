"""The Durrës directory against what the plan's diagnosis says."""

from django.urls import reverse

from socialplan.directory.coverage import compare_counts, compute_coverage
from socialplan.directory.models import Organisation, Service
from socialplan.territory.models import Municipality


def _durres():
    return Municipality.objects.get(code="durres")


def test_providers_and_services_as_transcribed(durres_plan):
    organisations = Organisation.objects.filter(municipality=_durres())
    assert organisations.count() == 22  # the 21 of Annex 1 and the NJVRN
    assert organisations.filter(funding="ngo_donor").count() == 11
    assert Service.objects.filter(municipality=_durres()).count() == 34
    shelter = Service.objects.filter(municipality=_durres(), type="emergency").get()
    assert shelter.confidential and shelter.address


def test_gaps_match_the_diagnosis(durres_plan):
    coverage = compute_coverage(_durres())
    # "PAK-të e rritur, përdoruesit e substancave dhe individët LGBTIQ+ nuk mbulohen"
    missing = {c.code for c in coverage.categories_without_service}
    assert {"adults_disability", "alcohol_use", "drug_use", "lgbtiq"} <= missing
    # Ishëm, Manëz and Katund i Ri have no day or community service
    light = {u.code for u in coverage.units_with_only_light_services}
    assert light == {"ishem", "manez", "katund-i-ri"}


def test_the_documents_counts_that_the_data_does_not_reach_are_shown(durres_plan):
    checks = {c.key: c for c in compare_counts(compute_coverage(_durres()))}
    assert checks["providers_non_public"].agrees
    assert not checks["services"].agrees
    assert [d.value for d in checks["services"].declared] == [60]
    assert checks["services"].computed == 34


def test_public_page_never_shows_the_shelter_address(client, durres_plan):
    shelter = Service.objects.filter(municipality=_durres(), type="emergency").get()
    body = client.get(shelter.get_absolute_url()).content.decode()
    assert shelter.address not in body
    coverage = client.get(reverse("directory:coverage", args=["durres"])).content.decode()
    assert shelter.address not in coverage
