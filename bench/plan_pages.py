"""Time the public pages and the API on the loaded Durrës data.

Run with `make bench` (uses the database in DATABASE_URL, default the demo
SQLite file; run `make run` once first, or it loads the plan itself).
Prints, for each URL, the median and worst of N requests and the number of
queries, through Django's test client (no network, no static files).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialplan.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from socialplan.plan.loader import load_plan_file  # noqa: E402
from socialplan.plan.models import Activity  # noqa: E402
from socialplan.territory.loader import load_territory_file  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def main() -> None:
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    started = time.perf_counter()
    load_territory_file(settings.DATA_DIR / "territory" / "durres.yaml")
    result = load_plan_file(settings.DATA_DIR / "plans" / "durres-2025-2028.yaml")
    state = "changed" if result.changed else "unchanged"
    print(f"load plan ({state}): {time.perf_counter() - started:.3f} s")
    slug = result.plan.slug
    activity = Activity.objects.filter(measure__objective__priority__plan=result.plan).first()
    urls = [
        f"/plans/{slug}/",
        f"/plans/{slug}/p/2/",
        f"/plans/{slug}/activities/{activity.pk}/",
        f"/plans/{slug}/budget/",
        f"/plans/{slug}/funding-needed/",
        "/territory/durres/",
        f"/api/v1/plans/{slug}",
        f"/api/v1/plans/{slug}/budget",
        "/directory/?q=femije",
        "/directory/coverage/durres/",
        "/needs/durres/",
        "/statistics/durres/",
        "/api/v1/hsds/services?per_page=50",
    ]
    client = Client()
    print(f"{'url':45} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for url in urls:
        timings = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{url:45} {statistics.median(timings):10.1f} {max(timings):8.1f} {len(queries):8d}")


if __name__ == "__main__":
    main()
