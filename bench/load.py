"""Mixed API load on gunicorn and PostgreSQL, optionally through a PostgreSQL restart.

Run on the national synthetic data (`manage.py generate_national --size national`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialplan_national \\
        .venv/bin/python bench/load.py [--seconds 60] [--clients 16] [--workers 4] \\
        [--threads 4] [--restart] [--json FILE]

Starts gunicorn on a free local port and sends, from --clients threads, 40% register
lists and 40% person details (as synthetic.tirane.njvrn, with an API token revoked at
the end), 10% national roll-ups and 10% HSDS directory pages. Prints throughput,
errors and latency percentiles, ids and counts only. --restart restarts the local
PostgreSQL cluster halfway: the application must recover without restarting gunicorn.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialplan.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from socialplan.accounts.models import ApiToken  # noqa: E402
from socialplan.registry.models import Person  # noqa: E402

USERNAME = "synthetic.tirane.njvrn"
WARM_UP = 3.0
# A request slower than this fails (TimeoutError) and its connection is dropped.
CLIENT_TIMEOUT = 30
P95_TARGET_MS = 300
KINDS = ["list", "detail", "aggregate", "directory"]
WEIGHTS = [40, 40, 10, 10]


def cluster(port: int) -> tuple[str, str, str, str]:
    """(version, name, status, data directory) of the local cluster on this port."""
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        version, name, cluster_port, status, _owner, data, *_ = line.split()
        if int(cluster_port) == port:
            return version, name, status, data
    sys.exit(f"No local PostgreSQL cluster on port {port} (pg_lsclusters).")


def children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def postgres_pids(data: str) -> list[int]:
    """The cluster's postmaster and its children (backends, checkpointer...)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(Path(data, "postmaster.pid").read_text().split()[0])
        return [pid, *children(pid)]
    return []


def machine_ticks() -> int:
    # Busy ticks of all CPUs (not idle, not iowait): includes work other than ours.
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4]


def cpu_ticks(pids) -> dict[int, int]:
    """utime + stime by pid, of the processes still alive."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def cpu_seconds(before: dict[int, int], after: dict[int, int]) -> float:
    # A process born in the window (a backend after the restart) counts from 0;
    # one that ended in it (the old server's) is lost, so across a restart this is low.
    used = sum(t - before.get(pid, 0) for pid, t in after.items())
    return round(used / os.sysconf("SC_CLK_TCK"), 1)


def summary(records) -> dict:
    latencies = sorted(r[2] * 1000 for r in records) or [0.0]
    errors: dict[str, int] = {}
    for r in records:
        if r[3] != 200:
            errors[str(r[3])] = errors.get(str(r[3]), 0) + 1
    row = {"requests": len(records), "errors": sum(errors.values()), "by_status": errors}
    for p in (50, 95, 99):
        row[f"p{p}_ms"] = round(latencies[min(len(latencies) - 1, len(latencies) * p // 100)], 1)
    return row


def client(n, port, secret, ids, measure_from, stop_at, out) -> None:
    rng = random.Random(n)
    auth = {"Authorization": f"Bearer {secret}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    records = []
    while time.perf_counter() < stop_at:
        kind = rng.choices(KINDS, WEIGHTS)[0]
        if kind == "list":
            path = f"/api/v1/people?limit=50&offset={rng.randint(0, 2000)}"
        elif kind == "detail":
            path = f"/api/v1/people/{rng.choice(ids)}"
        elif kind == "aggregate":
            path = "/api/v1/national/2026"
        else:
            path = "/api/v1/hsds/services?per_page=50"
        # Only the request is timed, and little else is done: the clients share the GIL.
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=auth)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
        records.append((kind, t0, time.perf_counter() - t0, status))
    conn.close()
    out.extend(r for r in records if r[1] >= measure_from)  # list.extend is thread-safe


def start_gunicorn(args, port: int, log) -> subprocess.Popen:
    env = dict(os.environ, CONN_MAX_AGE="600", ALLOWED_HOSTS="127.0.0.1,localhost")
    # PGAPPNAME (read by libpq) tags gunicorn's sessions, so the end can find their queries.
    env.update(LOG_LEVEL="WARNING", PGAPPNAME=f"bench-load-{port}")
    command = f"{ROOT}/.venv/bin/gunicorn socialplan.wsgi --bind 127.0.0.1:{port}"
    command += f" --workers {args.workers} --threads {args.threads}"
    process = subprocess.Popen(command.split(), cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}; see {log.name}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/hsds/services?per_page=1")
            conn.getresponse().read()
            return process
        time.sleep(0.2)
    stop(process)
    sys.exit(f"gunicorn did not answer within 60 s; see {log.name}")


def stop(gunicorn: subprocess.Popen) -> None:
    # A gthread worker finishes its requests before it exits, however long their
    # queries take: after a few seconds of grace every process is killed.
    workers = children(gunicorn.pid)
    gunicorn.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        gunicorn.wait(10)
    for pid in [gunicorn.pid, *workers]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    gunicorn.wait()


def load(args, gunicorn, port, secret, ids, pg, data) -> dict:
    """Run the clients: the raw records, CPU use, and the restart's times and outcome."""
    records: list = []
    now = time.perf_counter()
    measure_from, stop_at = now + WARM_UP, now + WARM_UP + args.seconds
    argv = (port, secret, ids, measure_from, stop_at, records)
    threads = [
        threading.Thread(target=client, args=(n, *argv), daemon=True) for n in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(WARM_UP)
    # CPU seconds of each side over the measured window: which one saturates the cores.
    workers = children(gunicorn.pid)
    server = cpu_ticks([gunicorn.pid, *workers])
    cpu0 = time.process_time(), server, cpu_ticks(postgres_pids(data)), machine_ticks()
    run = {"records": records, "workers_before": workers}
    if args.restart:
        time.sleep(args.seconds / 2)
        down = time.perf_counter()
        done = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", *pg, "restart"], capture_output=True
        )
        run["restart"] = {"down": down, "up": time.perf_counter(), "rc": done.returncode}
    while time.perf_counter() < stop_at:
        time.sleep(0.1)
    run["workers_after"] = children(gunicorn.pid)
    run["cpu_seconds"] = {
        "client": round(time.process_time() - cpu0[0], 1),
        "gunicorn": cpu_seconds(cpu0[1], cpu_ticks([gunicorn.pid, *run["workers_after"]])),
        "postgres": cpu_seconds(cpu0[2], cpu_ticks(postgres_pids(data))),
        "machine": round((machine_ticks() - cpu0[3]) / os.sysconf("SC_CLK_TCK"), 1),
    }
    for thread in threads:
        thread.join()
    run["gunicorn_alive"] = gunicorn.poll() is None
    return run


def report(args, run) -> dict:
    records, cpu = run["records"], run["cpu_seconds"]
    rows = {"overall": summary(records)}
    rows.update({kind: summary([r for r in records if r[0] == kind]) for kind in KINDS})
    o = rows["overall"]
    o["requests_per_second"] = round(len(records) / args.seconds, 1)
    settings = {"workers": args.workers, "threads": args.threads, "clients": args.clients}
    settings.update(seconds=args.seconds, cpus=os.cpu_count())
    figures = {"settings": settings, "unanalyzed_tables": run["unanalyzed"]}
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads, {args.clients} clients, "
        f"{args.seconds:g} s after {WARM_UP:g} s warm-up, {os.cpu_count()} CPUs"
    )
    print(f"{o['requests']} requests, {o['requests_per_second']} req/s, {o['errors']} errors")
    targets = {f"p95 under {P95_TARGET_MS} ms": o["p95_ms"] < P95_TARGET_MS}
    if restart := run.get("restart"):
        down, up = restart["down"], restart["up"]
        # "window": started while PostgreSQL was down, or in flight when it went down;
        # "after": started more than a second after pg_ctlcluster returned.
        phases = {
            "before": [r for r in records if r[1] + r[2] < down],
            "window": [r for r in records if r[1] <= up and r[1] + r[2] >= down],
            "after": [r for r in records if r[1] > up + 1],
        }
        rows.update({f"restart {phase}": summary(part) for phase, part in phases.items()})
        figures["restart"] = {
            "seconds": round(up - down, 2),
            "pg_ctlcluster_exit": restart["rc"],
            "same_gunicorn_alive": run["gunicorn_alive"],
            "workers_replaced": len(set(run["workers_before"]) - set(run["workers_after"])),
        }
        print("restart: " + ", ".join(f"{k} {v}" for k, v in figures["restart"].items()))
        # Requests failing while PostgreSQL is down are expected; none may fail outside.
        window_errors = rows["restart window"]["errors"]
        targets["0 errors outside the restart window"] = o["errors"] == window_errors
        # Vacuous if nothing was answered after the restart (e.g. every client stuck).
        after = rows["restart after"]
        targets["0 errors after PostgreSQL is back"] = (
            after["requests"] > 0 and after["errors"] == 0
        )
        targets["gunicorn not restarted"] = run["gunicorn_alive"]
    else:
        targets["0 errors"] = o["errors"] == 0
    print(f"{'':16} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, row in rows.items():
        line = f"{name:16} {row['requests']:8d} {row['errors']:6d} {row['p50_ms']:8.1f} "
        print(
            line + f"{row['p95_ms']:8.1f} {row['p99_ms']:8.1f}  {row['by_status'] or ''}".rstrip()
        )
    print(
        f"CPU seconds used: client {cpu['client']}, gunicorn {cpu['gunicorn']}, "
        f"postgres cluster {cpu['postgres']}, whole machine {cpu['machine']} "
        f"(of {os.cpu_count() * args.seconds:g} available)"
    )
    for target, ok in targets.items():
        print(f"{'PASS' if ok else 'MISS'}  {target}")
    figures.update(latency=rows, cpu_seconds=cpu, targets=targets)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--restart", action="store_true", help="restart PostgreSQL halfway")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(
            "bench/load.py needs PostgreSQL: set DATABASE_URL=postgres://... "
            "(e.g. the socialplan_national database made by generate_national)."
        )
    url = urlparse(os.environ["DATABASE_URL"])
    if args.restart and url.hostname not in {"127.0.0.1", "localhost", None}:
        sys.exit("--restart restarts the local cluster: DATABASE_URL must be on this machine.")
    version, name, _status, data = cluster(url.port or 5432)
    # Without statistics the planner guesses row counts (bulk loads, autovacuum off).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 10000"
            " AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname"
        )
        unanalyzed = [row[0] for row in cursor.fetchall()]
    if unanalyzed:
        print(f"WARNING: tables never analyzed: {', '.join(unanalyzed)}")

    user = get_user_model().objects.get(username=USERNAME)
    # A secret is stored only hashed, so an earlier token cannot be reused: one left
    # behind by an interrupted run is revoked, and each run issues its own.
    for stale in ApiToken.objects.filter(user=user, name="bench-load", revoked_at=None):
        stale.revoke()
    token, secret = ApiToken.issue(user=user, name="bench-load")
    people = Person.objects.filter(municipality__code="tirane", merged_into=None)
    visible = list(people.order_by("pk").values_list("pk", flat=True))
    ids = random.Random(0).sample(visible, min(200, len(visible)))
    # The restart would break this connection; the clean-up below opens a new one.
    connection.close()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tempfile.NamedTemporaryFile("w", prefix="bench-load-", suffix=".log", delete=False)
    gunicorn = None
    try:
        gunicorn = start_gunicorn(args, port, log)
        run = load(args, gunicorn, port, secret, ids, (version, name), data)
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        if cluster(url.port or 5432)[2] != "online":
            print("PostgreSQL is down: starting it again")
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"])
        token.revoke()
        # A killed worker's query runs on in PostgreSQL until it tries to answer.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                [f"bench-load-{port}"],
            )
        log.close()
    run["unanalyzed"] = unanalyzed
    figures = report(args, run)
    # Tracebacks stay in the log (they may quote rows): only its path is printed.
    print(f"gunicorn log: {log.name}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
