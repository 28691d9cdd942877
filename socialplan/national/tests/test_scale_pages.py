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
