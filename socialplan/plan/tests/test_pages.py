"""The plan pages, read by a member of the public, in Albanian and English."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from socialplan.plan.models import Activity, Measure

SLUG = "durres-2025-2028"


def _pages(plan):
    measure = Measure.objects.filter(objective__priority__plan=plan).first()
    activity = Activity.objects.get(code="A 1.3", measure__objective__code="1.1")
    return {
        "overview": reverse("plan:overview", args=[SLUG]),
        "priority": reverse("plan:priority", args=[SLUG, 2]),
        "objective": reverse("plan:objective", args=[SLUG, "2.2"]),
        "measure": reverse("plan:measure", args=[SLUG, measure.pk]),
        "activity": reverse("plan:activity", args=[SLUG, activity.pk]),
        "budget": reverse("plan:budget", args=[SLUG]),
        "funding": reverse("plan:funding", args=[SLUG]),
        "list": reverse("plan:list"),
        "home": reverse("portal:home"),
    }


ALL_PAGES = ["overview", "priority", "objective", "measure", "activity", "budget", "funding"]


@pytest.mark.parametrize("page", [*ALL_PAGES, "list", "home"])
def test_pages_render_in_albanian_by_default_and_in_english(citizen_client, durres_plan, page):
    url = _pages(durres_plan)[page]
    # Albanian first, even for a browser that asks for English.
    albanian = citizen_client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert albanian.status_code == 200
    assert '<html lang="sq">' in albanian.content.decode()
    citizen_client.cookies["django_language"] = "en"
    english = citizen_client.get(url)
    assert '<html lang="en">' in english.content.decode()
    # The interface is translated: the English menu label is not on the Albanian page.
    assert "Staff log in" in english.content.decode()
    assert "Staff log in" not in albanian.content.decode()


def test_switching_language_keeps_the_page(citizen_client, durres_plan):
    url = reverse("plan:budget", args=[SLUG])
    response = citizen_client.post("/i18n/setlang/", {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert '<html lang="en">' in citizen_client.get(url).content.decode()


def test_overview_shows_priorities_and_computed_budget(citizen_client, durres_plan):
    body = citizen_client.get(reverse("plan:overview", args=[SLUG])).content.decode()
    body = body.replace("\u202f", " ")
    assert durres_plan.vision in body
    assert "29 295 000" in body  # priority 1, computed
    assert "2 311 808 531" in body  # priority 2, computed


def test_activity_shows_printed_text_beside_value(english_client, durres_plan):
    activity = Activity.objects.get(code="A 3.1", measure__objective__code="1.1")
    body = english_client.get(activity.get_absolute_url()).content.decode()
    assert "1.810,000" in body and "1\u202f810\u202f000" in body
    assert escape(activity.budget_lines.get().interpretation) in body


def test_budget_page_lists_disagreements(english_client, durres_plan):
    body = english_client.get(reverse("plan:budget", args=[SLUG]))
    text = body.content.decode().replace("\u202f", " ")
    assert "2,313,382, 023 ALL" in text or "2,313,382" in text
    assert "+52 172" in text  # P2: summary table against the budget lines
    assert "1.250,.000" in text  # an interpretation, with its reason
    assert "18 declared figures disagree" in text


def test_funding_needed_groups_by_priority_and_year(english_client, durres_plan):
    response = english_client.get(reverse("plan:funding", args=[SLUG]))
    report = response.context["report"]
    assert report.total == 68_751_500
    assert sum(report.by_year.values()) == report.total
    assert [g.priority.number for g in report.priorities] == [1, 2, 3]
    assert report.priorities[2].total == 21_335_000


def test_wrong_ids_are_404(citizen_client, durres_plan):
    assert citizen_client.get(reverse("plan:overview", args=["nowhere"])).status_code == 404
    assert citizen_client.get(reverse("plan:priority", args=[SLUG, 9])).status_code == 404
    assert citizen_client.get(reverse("plan:objective", args=[SLUG, "9.9"])).status_code == 404
    assert citizen_client.get(reverse("plan:activity", args=[SLUG, 999999])).status_code == 404


def test_a_record_is_only_reachable_under_its_own_plan(citizen_client, durres_plan, tmp_path):
    from conftest import PLAN_FILE
    from socialplan.plan.loader import load_plan_file

    other = tmp_path / "other.yaml"
    other.write_text(
        PLAN_FILE.read_text(encoding="utf-8").replace("slug: durres-2025-2028", "slug: other-plan"),
        encoding="utf-8",
    )
    load_plan_file(other)
    activity = Activity.objects.filter(measure__objective__priority__plan=durres_plan).first()
    assert (
        citizen_client.get(reverse("plan:activity", args=["other-plan", activity.pk])).status_code
        == 404
    )


QUERY_LIMITS = [("priority", 8), ("overview", 8), ("budget", 8), ("funding", 6), ("measure", 8)]


@pytest.mark.parametrize(("page", "limit"), QUERY_LIMITS)
def test_pages_run_a_constant_number_of_queries(
    citizen_client, durres_plan, django_assert_max_num_queries, page, limit
):
    url = _pages(durres_plan)[page]
    with django_assert_max_num_queries(limit):
        assert citizen_client.get(url).status_code == 200


def test_staff_login_and_admin(client, director, durres_plan):
    # The admin lists only the municipalities where a user holds a managing role.
    director.memberships.create(municipality=durres_plan.municipality, role="planner")
    response = client.post(
        reverse("login"), {"username": "arta.director", "password": "not-a-real-password"}
    )
    assert response.status_code == 302
    assert client.get("/admin/plan/activity/").status_code == 200
    bad = client.post(reverse("login"), {"username": "arta.director", "password": "wrong"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
