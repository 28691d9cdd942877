"""National-scale benchmarks on PostgreSQL, each figure against the database's own work.

Run with `make bench-national` (it makes the SYNTHETIC national dataset
first), or on a database that already holds it:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialplan_national \
        .venv/bin/python bench/national.py [pages aggregates import export]

A figure measured in seconds depends on the machine; the same work done by
PostgreSQL alone in the same run does too, so each figure is printed beside
that baseline and as a ratio or a difference, which carry over:

- pages: p50 of a list or detail page at one connection (Django's test
  client, no network) against the p50 of replaying the very queries the page
  ran, as SQL on the same connection; and the query count at two page sizes;
- aggregates: endpoints and dashboards against the raw SQL aggregate that
  computes the same figures from the raw tables (what they would cost
  without the maintained tallies), and against the tallies query alone;
- import: 100,000 people from CSV and from XLSX, rows per second, against
  PostgreSQL's COPY of the same rows and openpyxl's bare read rate;
- export: 100,000+ rows against COPY ... TO, and the exporting process's
  peak memory growth.

The mixed load under 16 connections is bench/load.py. Every person in these
databases and files is made up.
"""

import argparse
import csv
import datetime
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialplan.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
YEAR = int(os.environ.get("BENCH_YEAR", datetime.date.today().year))
BIG = os.environ.get("BENCH_MUNICIPALITY", "tirane")
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
RESULTS: dict = {}


def p50(samples):
    return statistics.median(samples)


def ms(seconds):
    return f"{seconds * 1000:8.1f}"


def timed(function, runs=RUNS):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


# ------------------------------------------------------------------ people


def verified_client(user) -> Client:
    """A logged-in client past the TOTP step (as tests do: conftest.verified_login)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def national_viewer():
    from socialplan.accounts.models import Membership
    from socialplan.territory.models import Municipality

    user, created = get_user_model().objects.get_or_create(username="bench.national")
    if created:
        Membership.objects.create(
            user=user, municipality=Municipality.objects.get(code=BIG), role="national"
        )
    return user


# ------------------------------------------------------------------ pages


DECLARE = re.compile(
    r'DECLARE "?[\w.]+"? (?:NO SCROLL )?CURSOR (?:WITH(?:OUT)? HOLD )?FOR (.*)', re.S
)


def replayable(captured) -> list[str]:
    """The page's statements as plain SQL: transaction control is not the page's
    work, and a server-side cursor (QuerySet.iterator) is replayed as its query."""
    statements = []
    for sql in (q["sql"] for q in captured):
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "FETCH", "CLOSE")):
            continue
        if match := DECLARE.match(sql):
            sql = match.group(1)
        statements.append(sql)
    return statements


def replay_time(statements) -> list[float]:
    """p50 input: the page's own SQL, run again on the same connection, rolled back."""

    def run():
        with transaction.atomic():
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()
            transaction.set_rollback(True)

    run()
    return timed(run)


def measure_page(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:200])
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    # Read now: the captured list is a slice of a log the next request clears.
    captured = list(queries.captured_queries)
    page = timed(lambda: client.get(url, **headers))
    raw = replay_time(replayable(captured))
    return p50(page), p50(raw), len(captured)


def bench_pages():
    from socialplan.accounts.models import ApiToken
    from socialplan.cases.models import Case
    from socialplan.directory.models import Service
    from socialplan.registry.models import Person

    worker = get_user_model().objects.get(username=f"synthetic.{BIG}.njvrn")
    client = verified_client(worker)
    token, secret = ApiToken.issue(user=worker, name="bench")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    rng = random.Random(1)
    person = rng.choice(list(Person.objects.filter(municipality__code=BIG)[:1000]))
    case = rng.choice(list(Case.objects.filter(owner=worker).open()[:1000]))
    service = Service.objects.filter(municipality__code=BIG).first()
    open_cases = Case.objects.filter(owner=worker).open().count()
    print(
        f"\n== pages: one connection, p50 of {RUNS}; raw = the page's own SQL replayed "
        f"({Person.objects.count():,} people, {Case.objects.count():,} cases; "
        f"the worker has {open_cases:,} open cases)"
    )
    print(f"{'page':44} {'page ms':>8} {'raw ms':>8} {'diff ms':>8} {'queries':>7}  target")
    rows = [
        ("register list (API, 50)", "/api/v1/people?limit=50", auth),
        ("register list (API, 10)", "/api/v1/people?limit=10", auth),
        ("register list (API, 100)", "/api/v1/people?limit=100", auth),
        ("person (API)", f"/api/v1/people/{person.pk}", auth),
        ("person (page)", f"/registry/people/{person.pk}/", {}),
        ("my cases (page 1 of 100)", "/cases/", {}),
        ("my cases (page 50)", "/cases/?page=50", {}),
        ("case (page)", f"/cases/{case.pk}/", {}),
        ("cases list (API, 50)", "/api/v1/cases?limit=50", auth),
        ("directory search", "/directory/?q=sherbim", {}),
        ("directory (all, page 1)", "/directory/", {}),
        ("service (page)", f"/directory/services/{service.pk}/", {}),
        ("services (HSDS API, 50)", "/api/v1/hsds/services?per_page=50", {}),
    ]
    results = {}
    for label, url, headers in rows:
        page, raw, queries = measure_page(client, url, **headers)
        verdict = "PASS" if page - raw <= 0.005 else "MISS"
        results[label] = {"page_ms": page * 1000, "raw_ms": raw * 1000, "queries": queries}
        print(f"{label:44} {ms(page)} {ms(raw)} {ms(page - raw)} {queries:7d}  {verdict}")
    same = {results[f"register list (API, {n})"]["queries"] for n in (10, 50, 100)}
    print(f"queries at 10, 50 and 100 people a page: {sorted(same)} (constant: {len(same) == 1})")
    token.revoke()
    RESULTS["pages"] = results


# ------------------------------------------------------------------ aggregates


def raw_aggregate_time(year: int) -> float:
    """The same figures from the raw tables: the tallies' SELECTs, every municipality."""
    from socialplan.national.tallies import STATEMENTS, bounds
    from socialplan.territory.models import Municipality

    today = datetime.date.today()
    places = list(Municipality.objects.values_list("pk", flat=True))

    def run():
        with connection.cursor() as cursor:
            for m in places:
                params = {**bounds(year, today), "m": m}
                for statements in STATEMENTS.values():
                    for select in statements:
                        cursor.execute(select, params)
                        cursor.fetchall()

    run()
    return p50(timed(run, runs=3))


def bench_aggregates():
    from socialplan.plan.models import Plan

    viewer = national_viewer()
    staff = Client()
    staff.force_login(viewer)
    public = Client()
    durres = Plan.objects.get(slug="durres-2025-2028")
    director = get_user_model().objects.get(username=f"synthetic.{BIG}.director")
    print(f"\n== aggregates: p50 of {RUNS}; year {YEAR}")
    raw = raw_aggregate_time(YEAR)
    print(f"the same figures from the raw tables (cases, referrals, 6M service events, "
          f"categories): {ms(raw)} ms")  # fmt: skip
    print(f"{'endpoint':44} {'ms':>8} {'tallies':>8} {'vs raw':>8} {'queries':>7}  target")
    results = {"raw_tables_ms": raw * 1000}
    director_client = verified_client(director)
    rows = [
        ("national roll-up (API, public)", public, f"/api/v1/national/{YEAR}", True),
        ("national annual report (page, public)", public, f"/national/{YEAR}/", True),
        ("national annual report (page, staff)", staff, f"/national/{YEAR}/staff/", True),
        ("monitoring dashboard, Durrës (public)", public,
         f"/monitoring/{durres.slug}/{YEAR}/public/", False),
        ("coverage and gaps, Tiranë", public, f"/directory/coverage/{BIG}/", False),
        ("register statistics, Tiranë (staff)", director_client,
         f"/registry/statistics/{BIG}/", False),
    ]  # fmt: skip
    for label, client, url, rollup in rows:
        page, replayed, queries = measure_page(client, url)
        # Only the roll-up computes the raw-table aggregate above; the others are
        # compared with their own SQL.
        ratio = page / raw if rollup else page / replayed
        target = (ratio <= 1.2) and (page < 1.0 or "report" not in label)
        results[label] = {"ms": page * 1000, "sql_ms": replayed * 1000, "queries": queries}
        print(
            f"{label:44} {ms(page)} {ms(replayed)} {ratio:8.3f} {queries:7d}  "
            f"{'PASS' if target else 'MISS'}{'' if rollup else ' (vs its own SQL)'}"
        )
    RESULTS["aggregates"] = results


# ------------------------------------------------------------------ import


def import_rows(count: int, units: list[str]):
    from socialplan.registry.synthetic import SURNAMES

    rng = random.Random(5)
    names = ["Ana", "Arta", "Blerina", "Ilir", "Gent", "Mira", "Sokol", "Era", "Luan", "Dea"]
    header = ["Emri", "Mbiemri", "Atësia", "Gjinia", "Datëlindja", "Nr personal", "Njësia",
              "Adresa", "Telefon", "Familja", "Lidhja"]  # fmt: skip
    rows = []
    for n in range(count):
        rows.append([
            f"{rng.choice(names)}{n}", rng.choice(SURNAMES), rng.choice(names),
            rng.choice("FM"), f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/"
            f"{rng.randint(1930, 2020)}", f"B{n:08d}K", rng.choice(units),
            f"Rruga {rng.randint(1, 99)} (sintetike)", "", f"H{n // 3}",
            "kryefamiljar" if n % 3 == 0 else "femijë",
        ])  # fmt: skip
    return header, rows


def copy_baseline(people_rows) -> float:
    """PostgreSQL alone: COPY of the same people, already in COPY's text format."""
    from socialplan.bulkwrite import Writer
    from socialplan.registry.bulk import PERSON_COLUMNS

    with transaction.atomic(), connection.cursor() as cursor:
        writer = Writer(cursor)
        first = writer.next_id("registry_person")
    buffer = io.StringIO()
    for i, row in enumerate(people_rows):
        values = [first + i, *row]
        buffer.write("\t".join("\\N" if v is None else str(v) for v in values) + "\n")
    data = buffer.getvalue().encode()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = ", ".join(PERSON_COLUMNS)
        with cursor.cursor.copy(f"COPY registry_person ({columns}) FROM STDIN") as copy:
            copy.write(data)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_person WHERE id >= %s", [first])
    return seconds


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def remove_imported(user) -> None:
    """Take the benchmark's imported people out again (they are made up anyway)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM registry_personcategory WHERE person_id IN "
            "(SELECT id FROM registry_person WHERE created_by_id = %s)",
            [user.pk],
        )
        cursor.execute(
            "UPDATE registry_person SET household_id = NULL WHERE created_by_id = %s", [user.pk]
        )
        cursor.execute(
            "DELETE FROM registry_household WHERE address LIKE 'Rruga %%(sintetike)'"
            " AND NOT EXISTS (SELECT 1 FROM registry_person p WHERE "
            "p.household_id = registry_household.id)"
        )
        cursor.execute("DELETE FROM registry_person WHERE created_by_id = %s", [user.pk])
        # Leave the tables as found for the next benchmark (autovacuum may be off).
        for table in ("registry_person", "registry_household", "registry_personcategory"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def bench_import():
    from openpyxl import Workbook, load_workbook

    from socialplan.national.tallies import refresh
    from socialplan.registry.bulk import import_people
    from socialplan.territory.models import AdministrativeUnit, Municipality

    place = Municipality.objects.get(code=BIG)
    units = list(
        AdministrativeUnit.objects.filter(municipality=place).values_list("name", flat=True)
    )
    user, _ = get_user_model().objects.get_or_create(username="bench.importer")
    header, rows = import_rows(IMPORT_ROWS, units)
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    csv_path = write_csv(folder / "people.csv", header, rows)
    xlsx_path = folder / "people.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(xlsx_path)
    sizes = [f"{kind} {path.stat().st_size / 1e6:.1f} MB"
             for kind, path in (("CSV", csv_path), ("XLSX", xlsx_path))]  # fmt: skip
    print(f"\n== import of {IMPORT_ROWS:,} people into {place.name} ({', '.join(sizes)})")

    def clean():
        remove_imported(user)

    clean()
    started = time.perf_counter()
    result = import_people(path=csv_path, municipality=place, user=user)
    csv_seconds = time.perf_counter() - started
    assert result.created == IMPORT_ROWS, result
    # The rows as the import wrote them, for the COPY baseline.
    from socialplan.registry.bulk import PERSON_COLUMNS

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(PERSON_COLUMNS[1:])} FROM registry_person "
            "WHERE created_by_id = %s ORDER BY id", [user.pk])  # fmt: skip
        written = cursor.fetchall()
    clean()
    copy_seconds = copy_baseline([(*r[:8], None, *r[9:]) for r in written])

    started = time.perf_counter()
    bare = load_workbook(xlsx_path, read_only=True, data_only=True)
    read = sum(1 for _row in bare.worksheets[0].iter_rows(values_only=True))
    bare.close()
    bare_seconds = time.perf_counter() - started
    assert read == IMPORT_ROWS + 1
    started = time.perf_counter()
    result = import_people(path=xlsx_path, municipality=place, user=user)
    xlsx_seconds = time.perf_counter() - started
    assert result.created == IMPORT_ROWS, result
    clean()
    started = time.perf_counter()
    refresh(place)
    refresh_seconds = time.perf_counter() - started

    def rate(seconds):
        return IMPORT_ROWS / seconds

    csv_ratio, xlsx_ratio = copy_seconds / csv_seconds, bare_seconds / xlsx_seconds

    def line(label, seconds, verdict=""):
        print(f"{label:52} {seconds:6.2f} s {rate(seconds):9,.0f} rows/s  {verdict}")

    line("COPY of the same rows (PostgreSQL alone)", copy_seconds)
    line(
        "import from CSV (read, check, duplicates, write)",
        csv_seconds,
        f"{csv_ratio:.2f} of COPY's rate  {'PASS' if csv_ratio >= 0.5 else 'MISS'} (target 0.5)",
    )
    line("openpyxl's bare read of the XLSX", bare_seconds)
    line("import from XLSX", xlsx_seconds,
         f"{xlsx_ratio:.2f} of the bare read rate  "
         f"{'PASS' if xlsx_ratio >= 0.8 else 'MISS'} (target 0.8)")  # fmt: skip
    print(f"refresh of {place.name}'s tallies after an import: {refresh_seconds:6.2f} s")
    RESULTS["import"] = {
        "rows": IMPORT_ROWS, "copy_s": copy_seconds, "csv_s": csv_seconds,
        "xlsx_bare_read_s": bare_seconds, "xlsx_s": xlsx_seconds,
        "csv_vs_copy": csv_ratio, "xlsx_vs_bare_read": xlsx_ratio, "refresh_s": refresh_seconds,
    }  # fmt: skip
    for path in (csv_path, xlsx_path):
        path.unlink()
    folder.rmdir()


# ------------------------------------------------------------------ export

EXPORT_IN_A_PROCESS = """
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialplan.settings")
import django
django.setup()
from django.contrib.auth import get_user_model
from socialplan.registry.bulk import export_people
from socialplan.territory.models import Municipality
place = Municipality.objects.get(code={code!r})
user = get_user_model().objects.get(username="bench.national")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
rows = export_people(municipality=place, destination={path!r}, user=user)
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"rows": rows, "seconds": seconds, "growth_kb": after - before}}))
"""


def bench_export():
    from socialplan.registry.bulk import _export_select, import_people
    from socialplan.registry.models import Person
    from socialplan.territory.models import AdministrativeUnit, Municipality

    national_viewer()
    place = Municipality.objects.get(code=BIG)
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    path = folder / "register.csv"
    # At least 100,000 rows: the largest synthetic municipality has fewer, so
    # made-up people are imported for the run and removed after it.
    importer, _ = get_user_model().objects.get_or_create(username="bench.importer")
    missing = IMPORT_ROWS - Person.objects.filter(municipality=place).count()
    if missing > 0:
        units = AdministrativeUnit.objects.filter(municipality=place).values_list("name", flat=True)
        header, rows = import_rows(missing, list(units))
        extra = write_csv(folder / "extra.csv", header, rows)
        import_people(path=extra, municipality=place, user=importer)
        extra.unlink()
    script = EXPORT_IN_A_PROCESS.format(root=str(ROOT), code=BIG, path=str(path))
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    raw = connection.cursor().cursor
    query = raw.mogrify(_export_select(True), [place.pk])

    def copy_out():
        with (
            open(os.devnull, "wb") as sink,
            raw.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy,
        ):
            for chunk in copy:
                sink.write(chunk)

    copy_seconds = p50(timed(copy_out, runs=3))
    export_seconds = p50([r["seconds"] for r in runs])
    growth = max(r["growth_kb"] for r in runs) / 1024
    rows = runs[0]["rows"]
    ratio = export_seconds / copy_seconds
    print(
        f"\n== export of {place.name}'s register: {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB"
    )
    print(f"COPY ... TO (PostgreSQL alone): {copy_seconds:6.2f} s")
    print(
        f"export_people (file, fsync, rename): {export_seconds:6.2f} s  {ratio:.2f}x COPY  "
        f"{'PASS' if ratio <= 3 else 'MISS'} (target 3x)"
    )
    print(
        f"peak memory growth of the exporting process: {growth:.1f} MB  "
        f"{'PASS' if growth < 100 else 'MISS'} (target < 100 MB)"
    )
    RESULTS["export"] = {"rows": rows, "copy_s": copy_seconds, "export_s": export_seconds,
                         "ratio": ratio, "memory_growth_mb": growth}  # fmt: skip
    path.unlink()
    folder.rmdir()
    remove_imported(importer)


SECTIONS = {
    "pages": bench_pages,
    "aggregates": bench_aggregates,
    "import": bench_import,
    "export": bench_export,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", choices=[[], *SECTIONS], default=[])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/national.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    from socialplan.cases.models import ServiceEvent

    events = ServiceEvent.objects.count()
    if events < 1000:
        sys.exit("No national dataset here: manage.py generate_national --size national")
    print(f"database {connection.settings_dict['NAME']}: {events:,} service events; "
          f"{os.cpu_count()} CPUs; PostgreSQL {connection.pg_version // 10000}")  # fmt: skip
    for name in arguments.sections or list(SECTIONS):
        SECTIONS[name]()
    if arguments.json:
        arguments.json.write_text(json.dumps(RESULTS, indent=2, default=str))


if __name__ == "__main__":
    main()
