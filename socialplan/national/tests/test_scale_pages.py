"""List pages on the synthetic national dataset: pages are bounded, queries do not grow."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socialplan.accounts.models import ApiToken
from socialplan.cases.models import Case
from socialplan.national.synthetic import generate_national


@pytest.fixture
def national(durres_plan):
    generate_national(size="small", seed=11, as_of=datetime.date(2026, 11, 30))


def worker(code):
    return get_user_model().objects.get(username=f"synthetic.{code}.njvrn")


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:300]
    return response, len(queries)


def test_my_cases_is_paged_with_constant_queries(national, client, verified_login):
    big, small = worker("tirane"), worker("durres")
    open_big = Case.objects.filter(owner=big).open().count()
    open_small = Case.objects.filter(owner=small).open().count()
    assert open_big > 100 > open_small > 0
    verified_login(client, big)
    response, queries_big = count_queries(client, "/cases/")
    assert len(response.context["cases"]) == 100
    assert response.context["page"].paginator.count == open_big
    second, queries_second = count_queries(client, "/cases/?page=2")
    assert len(second.context["cases"]) == open_big - 100
    assert client.get("/cases/?page=999").status_code == 200  # the last page, not an error
    client.logout()
    verified_login(client, small)
    response, queries_small = count_queries(client, "/cases/")
    assert len(response.context["cases"]) == open_small
    assert queries_big == queries_small == queries_second


def test_api_people_list_queries_do_not_grow_with_the_page(national, client):
    token = ApiToken.issue(user=worker("tirane"), name="bench")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get("/api/v1/people?limit=1", **auth)  # the first use stamps the token
    small, queries_small = count_queries(client, "/api/v1/people?limit=5", **auth)
    large, queries_large = count_queries(client, "/api/v1/people?limit=100", **auth)
    assert len(small.json()["items"]) == 5 and len(large.json()["items"]) == 100
    assert queries_small == queries_large


def test_both_ways_of_naming_own_cases_see_the_same_people(national, monkeypatch):
    """A caseload named as a list of ids, or (past OWNED_AS_LIST) by EXISTS."""
    from socialplan.accounts.models import Membership
    from socialplan.registry import access

    # Someone who owns cases but has no municipality-wide role: only those people.
    owner = get_user_model().objects.create_user("case.owner")
    Membership.objects.create(
        user=owner, municipality=Case.objects.first().municipality, role="planner"
    )
    cases = list(Case.objects.order_by("pk")[:7])
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(owner=owner)
    expected = {c.person_id for c in cases}
    for user in (owner, worker("tirane")):
        as_list = set(access.visible_people(user).values_list("pk", flat=True))
        monkeypatch.setattr(access, "OWNED_AS_LIST", 0)
        as_exists = set(access.visible_people(user).values_list("pk", flat=True))
        monkeypatch.setattr(access, "OWNED_AS_LIST", 2000)
        assert as_list == as_exists
    assert as_list != expected  # the worker sees the whole municipality
    assert set(access.visible_people(owner).values_list("pk", flat=True)) == expected
