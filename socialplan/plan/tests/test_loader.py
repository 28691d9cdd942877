"""Loading a plan file: idempotent, all or nothing, precise refusals."""

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import PLAN_FILE
from socialplan.datafile import DataFileError
from socialplan.plan.loader import load_plan_file
from socialplan.plan.models import Activity, BudgetLine, Plan, Target


def _snapshot():
    return (
        list(Activity.objects.order_by("pk").values_list("pk", "code", "title", "parent_id")),
        list(BudgetLine.objects.order_by("pk").values_list("pk", "amount", "printed", "source")),
        list(Target.objects.order_by("pk").values_list("pk", "text", "value")),
    )


def test_loading_twice_changes_nothing(durres_plan):
    before = _snapshot()
    with CaptureQueriesContext(connection) as queries:
        result = load_plan_file(PLAN_FILE)
    assert not result.changed
    writes = [q for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert _snapshot() == before


def test_reload_of_a_changed_file_updates_in_place(durres_plan, tmp_path):
    data = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    first = data["priorities"][0]["objectives"][0]["measures"][0]["activities"][0]
    first["title"] = "Analiza e nevojave (rishikuar)"
    first["budget"][0]["amount"] = 31_000
    changed = tmp_path / "plan.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    ids_before = set(Activity.objects.values_list("pk", flat=True))

    assert load_plan_file(changed).changed
    activity = Activity.objects.get(code="A 1.1", measure__objective__code="1.1")
    assert activity.title == "Analiza e nevojave (rishikuar)"
    assert activity.budget_lines.get().amount == 31_000
    assert set(Activity.objects.values_list("pk", flat=True)) == ids_before


def _broken_copy(tmp_path, mutate, slug="broken-plan"):
    data = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    data["plan"]["slug"] = slug
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_malformed_field_is_named_and_nothing_is_written(durres_plan, tmp_path):
    def mutate(data):
        activity = data["priorities"][0]["objectives"][0]["measures"][2]["activities"][0]
        activity["start_year"] = "next spring"

    path = _broken_copy(tmp_path, mutate)
    with pytest.raises(DataFileError) as err:
        load_plan_file(path)
    message = str(err.value)
    assert str(path) in message
    assert "priorities[0].objectives[0].measures[2].activities[0]" in message
    assert "code 'A 3.1'" in message
    assert "field 'start_year'" in message
    assert not Plan.objects.filter(slug="broken-plan").exists()


def test_refused_file_leaves_an_existing_plan_untouched(durres_plan, tmp_path):
    def mutate(data):
        data["priorities"][0]["title"] = "Changed title"
        line = data["priorities"][1]["objectives"][0]["measures"][0]["activities"][0]["budget"][0]
        line["source"] = "lottery"

    before = _snapshot()
    path = _broken_copy(tmp_path, mutate, slug="durres-2025-2028")
    with pytest.raises(CommandError) as err:
        call_command("load_plan", str(path))
    assert "Nothing was loaded" in str(err.value)
    assert "field 'source'" in str(err.value)
    assert _snapshot() == before
    assert durres_plan.priorities.get(number=1).title != "Changed title"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("format: psv-plan/1\npriorities: [\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("format: psv-plan/9\n", "field 'format'"),
    ],
)
def test_unreadable_files_are_refused(db, tmp_path, content, expected):
    path = tmp_path / "plan.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError, match=expected):
        load_plan_file(path)


def test_missing_file(db, tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        load_plan_file(tmp_path / "nope.yaml")


def test_parent_must_be_listed_before(db, tmp_path):
    def mutate(data):
        activities = data["priorities"][0]["objectives"][0]["measures"][0]["activities"]
        activities[0]["parent"] = "A 9.9"

    with pytest.raises(DataFileError, match="names parent 'A 9.9'"):
        load_plan_file(_broken_copy(tmp_path, mutate))


def test_second_municipality_in_the_same_format(db, tmp_path):
    plan = {
        "format": "psv-plan/1",
        "municipality": {"code": "shkoder", "name": "Shkodër"},
        "plan": {
            "slug": "shkoder-2026-2029",
            "title": "Plani Social Vendor i Bashkisë Shkodër 2026-2029",
            "period_start": "2026-01-01",
            "period_end": "2029-12-31",
        },
        "priorities": [
            {
                "number": 1,
                "title": "Shërbime për të moshuarit",
                "objectives": [
                    {
                        "code": "1.1",
                        "title": "Të zgjerohen shërbimet ditore",
                        "measures": [
                            {
                                "number": 1,
                                "title": "Qendra ditore",
                                "activities": [
                                    {
                                        "code": "A 1.1",
                                        "title": "Hapja e një qendre ditore",
                                        "indicator": "1 qendër ditore; 40 të moshuar në vit",
                                        "start_year": 2026,
                                        "end_year": 2027,
                                        "budget": [
                                            {
                                                "printed": "100,000 lekë/vit Bashkia",
                                                "amount": 100000,
                                                "per_year": True,
                                                "source": "municipality",
                                            }
                                        ],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "shkoder.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    loaded = load_plan_file(path).plan
    assert loaded.municipality.name == "Shkodër"
    activity = Activity.objects.get(measure__objective__priority__plan=loaded)
    # No reviewed targets in the file: the indicator is split by the parser.
    targets = list(activity.targets.values_list("value", "per"))
    assert [(int(v), p) for v, p in targets] == [(1, "period"), (40, "year")]
    assert activity.budget_lines.get().total == 200_000
