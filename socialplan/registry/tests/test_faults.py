"""Faults on PostgreSQL: a killed import, a dropped connection, a database restart.

These start real processes (manage.py, gunicorn) against the test database,
so the tests commit their data (transactional_db). The export's size-limit
fault is in test_bulk.py (it needs no second process and runs on SQLite too).
Every person here is made up.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from socialplan.registry.models import Person

from .test_bulk import synthetic_rows, write_csv

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="fault tests need PostgreSQL"
)


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def environment(**extra) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(), "LOG_LEVEL": "WARNING", **extra}
    return env


def backend_running(query_start: str, *, timeout: float = 60.0, process=None) -> int:
    """Wait until a backend of the test database runs a query starting so; its pid."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE %s AND state = 'active'",
                [query_start + "%"],
            )
            row = cursor.fetchone()
            if row:
                return row[0]
            if process is not None and process.poll() is not None:
                raise AssertionError(f"the process ended first: {process.communicate()}")
            time.sleep(0.005)
    raise AssertionError(f"no backend ran {query_start!r}")


def gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() is None:
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} still there")


@pytest.fixture
def import_file(tmp_path):
    # Large enough that the COPY lasts a moment on any machine.
    return write_csv(tmp_path / "big.csv", synthetic_rows(60_000))


@pytest.fixture
def importer(transactional_db, durres_plan, django_user_model):
    return django_user_model.objects.create_user("fault.importer")


def start_import(path, user):
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_people", str(path),
         "--municipality", "durres", "--user", user.username],
        cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_killed_import_leaves_no_rows(import_file, importer):
    before = Person.objects.count()
    process = start_import(import_file, importer)
    pid = backend_running("COPY registry_person", process=process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    gone(pid)
    assert Person.objects.count() == before
    assert not Person.objects.filter(created_by=importer).exists()
    # Nothing is left locked: the same file imports completely afterwards.
    again = start_import(import_file, importer)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert Person.objects.filter(created_by=importer).count() == 60_000


def test_dropped_connection_mid_import_is_a_clear_error(import_file, importer):
    process = start_import(import_file, importer)
    pid = backend_running("COPY registry_person", process=process)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "The import stopped because the database failed" in err
    assert "Nothing was imported" in err
    assert "Traceback" not in err  # (psycopg also logs one line about the lost COPY)
    assert not Person.objects.filter(created_by=importer).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def test_application_recovers_when_the_database_restarts(transactional_db, durres_plan):
    """What a restart does to the application: every connection it holds is cut.

    Gunicorn keeps its connections between requests (CONN_MAX_AGE); with
    CONN_HEALTH_CHECKS each worker notices a dead one at the next request and
    opens another. Requests after the cut all succeed, with no restart of the
    application. (bench/load.py --restart does it with a real PostgreSQL
    restart on a benchmark database.)
    """
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "socialplan.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"],
        cwd=ROOT, env=environment(CONN_MAX_AGE="600"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1/municipalities/durres/population"
    try:
        deadline = time.monotonic() + 30
        while get(url) != 200:
            assert time.monotonic() < deadline, "gunicorn did not start"
            assert server.poll() is None, server.communicate()
            time.sleep(0.1)
        results: list[int] = []

        def burst(seconds: float) -> list[int]:
            results.clear()
            stop = threading.Event()

            def load():
                while not stop.is_set():
                    results.append(get(url))

            threads = [threading.Thread(target=load) for _ in range(8)]
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join()
            return list(results)

        # Every worker thread opens its persistent connection.
        assert set(burst(1.5)) == {200}
        # The cut falls between two bursts: a query running at the moment of a
        # restart fails whatever the application does; what is tested is that
        # no request afterwards fails on a connection that died meanwhile.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            cut = cursor.fetchone()[0]
        assert cut >= 2  # the workers' connections were there, and were cut
        after = burst(2.0)
        assert len(after) > 10
        assert set(after) == {200}, f"{after.count(200)} of {len(after)} succeeded"
        assert server.poll() is None  # the same gunicorn, never restarted
    finally:
        server.terminate()
        server.wait(timeout=10)
