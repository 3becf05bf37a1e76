"""`make bench`: the app at clinic scale on PostgreSQL, served by gunicorn as in production, measured with wrk.

Steps (each printed as it starts):
1. PostgreSQL on 127.0.0.1:5432 (the machine's cluster is started if nothing answers), a fresh
   database (BENCH_DATABASE_URL, default cdplanner_bench), migrate, reference data, demo users;
2. seed_demo with BENCH_PATIENTS patients (10,000) and 3 long charts of 40 visits, timed;
3. tests/bench/prepare.py: the page URLs, a 12-row draft plan for a 6-component posture, the
   suggest + safety timing and the EXPLAIN plans;
4. collectstatic and gunicorn with the production settings (DEBUG off, manifest static files,
   CONN_MAX_AGE=60) and sync workers sized for the machine (2 x cores + 1), plus the yardstick view
   (DJANGO_SETTINGS_MODULE=tests.bench.settings: the production settings with tests/bench/urls.py);
5. sign in through the real login form, once per connection (each wrk connection is its own user
   session, as in a clinic); every page is checked to answer 200 before it is measured;
6. per page: a short warm-up, then wrk with BENCH_CONNECTIONS (8) connections for BENCH_DURATION
   (20 s); the yardstick is measured first and last, and its mean is the reference;
7. pages that miss a target are profiled in-process with cProfile (BENCH_PROFILE=0 turns it off);
8. the worklist's cache-miss cost (the first view after a change), in-process (tests/bench/uncached.py);
9. the table on stdout, JSON at BENCH_OUT (default bench-out/results.json).

Traffic goes to 127.0.0.1 only, and every run is bounded by its duration. The exit status is 0 when
every page was measured or skipped as not built yet, whether or not it met its targets (the JSON
says which, with wrk's error counts: timeouts of a slow page are data); it is 1 when a page did not
answer 200 before its measurement.
"""

import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.signin import NoRedirect, signed_in_cookies

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = os.environ
# Production settings refuse to start without an audit-chain key; every run here (development and
# production settings alike) seals with this one, so the seeded entries verify in both.
ENV.setdefault("AUDIT_HMAC_KEY", "bench-only-audit-chain-key-not-for-any-deployment")

PATIENTS = int(ENV.get("BENCH_PATIENTS", "10000"))
LONG_CHARTS = int(ENV.get("BENCH_LONG_CHARTS", "3"))
SEED = int(ENV.get("BENCH_SEED", "1"))
DATABASE_URL = ENV.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cdplanner_bench")
REUSE_DB = ENV.get("BENCH_REUSE_DB") == "1"
PORT = int(ENV.get("BENCH_PORT", "8104"))
CONNECTIONS = int(ENV.get("BENCH_CONNECTIONS", "8"))
DURATION = int(ENV.get("BENCH_DURATION", "20"))
WARMUP = int(ENV.get("BENCH_WARMUP", "3"))
WORKERS = int(ENV.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
PROFILE = ENV.get("BENCH_PROFILE", "1") == "1"
OUT = Path(ENV.get("BENCH_OUT") or ROOT / "bench-out" / "results.json")
# Targets from the performance issue.
P95_TARGET_MS = 100.0
RATIO_TARGET = 0.30
# The demo users' passwords, as `manage.py seed_demo_users` sets them.
PASSWORDS = {"neurologist": "demo-neurologist-2026", "refadmin": "demo-refadmin-2026"}
BASE = f"http://127.0.0.1:{PORT}"


def step(text):
    print(f"\n==> {text}", flush=True)


def manage(*args, env, capture=False):
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, check=True, text=True, capture_output=capture)
    return result.stdout if capture else None


def development_env():
    return {**ENV, "DEBUG": "true", "DATABASE_URL": DATABASE_URL}


def production_env():
    return {
        **ENV,
        "DEBUG": "false",
        "SECRET_KEY": f"bench-{secrets.token_urlsafe(48)}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "STATIC_MANIFEST": "true",
        "CONN_MAX_AGE": "60",
        "DATABASE_URL": DATABASE_URL,
        # The production settings, with the yardstick added to the URLs (tests/bench/settings.py).
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
    }


# --- PostgreSQL ---


def postgres_ready(url):
    parts = urllib.parse.urlsplit(url)
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)], check=False
        ).returncode
        == 0
    )


def ensure_postgres():
    if postgres_ready(DATABASE_URL):
        return
    print("No PostgreSQL answers; starting the machine's own cluster.")
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
    for _ in range(30):
        if postgres_ready(DATABASE_URL):
            return
        time.sleep(1)
    raise SystemExit(f"PostgreSQL does not answer at {DATABASE_URL}.")


def admin_connection():
    import psycopg2

    parts = urllib.parse.urlsplit(DATABASE_URL)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", dbname="postgres"
    )
    connection.autocommit = True
    return connection, parts.path.lstrip("/")


def database_exists():
    connection, name = admin_connection()
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def recreate_database():
    connection, name = admin_connection()
    if not name.startswith("cdplanner_bench"):
        raise SystemExit(f"Refusing to drop {name!r}: the benchmark only recreates databases named cdplanner_bench*.")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def analyze():
    """Fresh planner statistics after the bulk load, as autovacuum would have them in a clinic's database."""
    import psycopg2

    parts = urllib.parse.urlsplit(DATABASE_URL)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", dbname=parts.path.lstrip("/")
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def postgres_version():
    connection, name = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    connection.close()
    return version


# --- HTTP ---


def sign_in(username):
    """A session cookie from the real login form, one per wrk connection (each its own clinic session)."""
    jar = signed_in_cookies(BASE, username, PASSWORDS[username])
    session = next((cookie.value for cookie in jar if cookie.name == "sessionid"), None)
    if not session:
        raise SystemExit(f"Signing in as {username} gave no session cookie.")
    return f"sessionid={session}"


def fetch(url, cookie):
    """(status, bytes) for one GET with the cookie, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"{BASE}{url}", headers={"Cookie": cookie, "Accept": "text/html"})
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as response:
        return response.code, 0
    except OSError as error:  # the worker was killed (gunicorn's 30 s timeout) or the server is gone
        return f"no response ({error.__class__.__name__})", 0


def wrk(url, cookies, seconds):
    command = [
        shutil.which("wrk"),
        f"-t{CONNECTIONS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "tests" / "bench" / "report.lua"),
        f"{BASE}{url}",
    ]
    env = {**ENV, "BENCH_COOKIES": ";".join(cookies)}
    output = subprocess.run(command, env=env, check=True, text=True, capture_output=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["requests_per_s"] = round(result["requests"] / result["duration_s"], 1)
    return result


# --- The run ---


def start_gunicorn(env, log_dir):
    command = [
        str(BIN / "gunicorn"),
        "planner.wsgi",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(WORKERS),
        "--access-logfile",
        str(log_dir / "access.log"),
        "--error-logfile",
        str(log_dir / "gunicorn.log"),
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(60):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_dir / 'gunicorn.log'}")
        try:
            if fetch("/healthz", "")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s.")


def seed():
    env = development_env()
    if REUSE_DB and database_exists():
        print("BENCH_REUSE_DB=1: keeping the seeded database (migrated to the current models).")
        manage("migrate", "--noinput", "-v0", env=env)
        return None
    recreate_database()
    manage("migrate", "--noinput", "-v0", env=env)
    manage("loadreference", env=env, capture=True)
    manage("seed_demo_users", env=env, capture=True)
    started = time.monotonic()
    output = manage(
        "seed_demo", "--patients", str(PATIENTS), "--long-charts", str(LONG_CHARTS), "--seed", str(SEED),
        env=env, capture=True,
    )  # fmt: skip
    seconds = round(time.monotonic() - started, 1)
    print(output.strip())
    print(f"Seeded in {seconds} s.")
    analyze()
    return {"seconds": seconds, "output": output.strip().splitlines()}


def measure(name, url, cookies):
    fetch(url, cookies[0])
    wrk(url, cookies, WARMUP)
    result = wrk(url, cookies, DURATION)
    errors = sum(result["errors"].values())
    print(
        f"  {name:<46} p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  "
        f"{result['requests_per_s']:7.1f} req/s{'  ERRORS ' + str(result['errors']) if errors else ''}",
        flush=True,
    )
    return result


def profile(pages, log_dir):
    """cProfile of each page in-process (Django's test client, production settings), top lines as text."""
    if not pages:
        return {}
    out = log_dir / "profiles.json"
    arguments = [item for page in pages for item in (page["name"], page["user"], page["url"])]
    env = {**development_env(), "DEBUG": "false", "SECRET_KEY": "bench-profile", "ALLOWED_HOSTS": "testserver"}
    env.update({"SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "STATIC_MANIFEST": "false"})
    subprocess.run([sys.executable, "-m", "tests.bench.profile", str(out), *arguments], cwd=ROOT, env=env, check=True)
    return json.loads(out.read_text())


def worklist_uncached(log_dir):
    """The worklist's cache-miss cost, in-process with production settings (see tests/bench/uncached.py)."""
    out = log_dir / "worklist-uncached.json"
    env = {**development_env(), "DEBUG": "false", "SECRET_KEY": "bench-uncached", "ALLOWED_HOSTS": "testserver"}
    env.update({"SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "STATIC_MANIFEST": "false"})
    subprocess.run([sys.executable, "-m", "tests.bench.uncached", str(out)], cwd=ROOT, env=env, check=True)
    return json.loads(out.read_text())


def table(results, yardstick):
    lines = [
        f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'ratio':>6}  targets",
        "-" * 96,
    ]
    for page in [yardstick, *results]:
        if page["status"] != "measured":
            lines.append(f"{page['name']:<46} {page['status']}: {page['reason']}")
            continue
        ratio = page.get("ratio_to_yardstick", 1.0)
        verdict = "yardstick" if page is yardstick else ("met" if page["targets_met"] else "MISSED")
        lines.append(
            f"{page['name']:<46} {page['p50_ms']:>8.1f} {page['p95_ms']:>8.1f} {page['requests_per_s']:>8.1f} "
            f"{ratio:>6.2f}  {verdict}"
        )
    return "\n".join(lines)


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does it when run as root).")
    log_dir = OUT.parent
    log_dir.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)

    step("PostgreSQL and the seeded clinic")
    ensure_postgres()
    seeding = seed()

    step("Benchmark fixtures: pages, a 12-row draft plan, suggest + safety timing, EXPLAIN plans")
    prepared_path = log_dir / "prepared.json"
    subprocess.run(
        [sys.executable, "-m", "tests.bench.prepare", str(prepared_path)], cwd=ROOT, env=development_env(), check=True
    )
    prepared = json.loads(prepared_path.read_text())
    timing = prepared["suggest_and_safety"]
    print(
        f"  suggest + safety, {timing['posture_components']} components and {timing['plan_rows']} rows: "
        f"{timing['ms_per_call_median']} ms per call (target < {timing['target_ms']} ms)"
    )

    step(f"gunicorn with production settings, {WORKERS} sync workers, on {BASE}")
    env = production_env()
    manage("collectstatic", "--noinput", "-v0", env=env)
    server = start_gunicorn(env, log_dir)
    failed = []
    try:
        step(f"Signing in {CONNECTIONS} sessions per user through the login form")
        users = {page["user"] for page in prepared["pages"] if page["url"]} | {prepared["yardstick"]["user"]}
        cookies = {user: [sign_in(user) for _ in range(CONNECTIONS)] for user in sorted(users)}

        step(f"Measuring: {CONNECTIONS} connections, {WARMUP} s warm-up then {DURATION} s per page")
        yardstick = dict(prepared["yardstick"], status="measured")
        status, _ = fetch(yardstick["url"], cookies[yardstick["user"]][0])
        if status != 200:
            raise SystemExit(
                f"The yardstick answered {status}, not 200: is DJANGO_SETTINGS_MODULE tests.bench.settings?"
            )
        first = measure(yardstick["name"], yardstick["url"], cookies[yardstick["user"]])
        results = []
        for page in prepared["pages"]:
            page = dict(page)
            if not page["url"]:
                page.update(status="skipped", reason="not built yet (its URL does not resolve)")
                print(f"  {page['name']:<46} skipped: not built yet")
                results.append(page)
                continue
            status, size = fetch(page["url"], cookies[page["user"]][0])
            if status == 404:
                page.update(status="skipped", reason="not built yet (404)")
                results.append(page)
                continue
            if status != 200:
                page.update(status="failed", reason=f"{status} before measuring, not 200")
                failed.append(page["name"])
                results.append(page)
                continue
            page.update(
                status="measured", response_bytes=size, **measure(page["name"], page["url"], cookies[page["user"]])
            )
            results.append(page)
        last = measure(yardstick["name"] + ", again", yardstick["url"], cookies[yardstick["user"]])
    finally:
        server.terminate()
        server.wait(timeout=30)

    for key in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "mean_ms", "requests_per_s"):
        yardstick[key] = round((first[key] + last[key]) / 2, 3)
    yardstick.update(runs=[first, last], requests=first["requests"] + last["requests"])
    for page in results:
        if page["status"] == "measured":
            page["ratio_to_yardstick"] = round(page["requests_per_s"] / yardstick["requests_per_s"], 3)
            page["targets"] = {
                "p95_under_ms": P95_TARGET_MS,
                "p95_met": page["p95_ms"] < P95_TARGET_MS,
                "ratio_at_least": RATIO_TARGET,
                "ratio_met": page["ratio_to_yardstick"] >= RATIO_TARGET,
            }
            page["targets_met"] = page["targets"]["p95_met"] and page["targets"]["ratio_met"]

    missed = [page for page in results if page["status"] == "measured" and not page["targets_met"]]
    profiles = {}
    if PROFILE and missed:
        step(f"Profiling the pages that missed a target ({len(missed)})")
        profiles = profile(missed, log_dir)

    step("The worklist on a cache miss (the first view after a change), in-process")
    uncached = worklist_uncached(log_dir)

    report = {
        "started_at": started_at.isoformat(),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": postgres_version(),
            "platform": platform.platform(),
        },
        "config": {
            "patients": PATIENTS,
            "long_charts": LONG_CHARTS,
            "seed": SEED,
            "gunicorn_workers": WORKERS,
            "worker_class": "sync",
            "connections": CONNECTIONS,
            "duration_s": DURATION,
            "warmup_s": WARMUP,
            "load_tool": "wrk",
        },
        "counts": prepared["counts"],
        "seeding": seeding,
        "yardstick": yardstick,
        "pages": results,
        "suggest_and_safety": timing,
        "worklist_uncached": uncached,
        "explain": prepared["explain"],
        "profiles": profiles,
        "failed": failed,
    }
    OUT.write_text(json.dumps(report, indent=2, default=str))
    step("Results")
    print(table(results, yardstick))
    print(
        f"\nsuggest + safety ({timing['posture_components']} components, {timing['plan_rows']} rows): "
        f"{timing['ms_per_call_median']} ms per call, target < {timing['target_ms']} ms: "
        f"{'met' if timing['met'] else 'MISSED'}"
    )
    print(
        f"worklist on a cache miss (first view after a change), in-process: median {uncached['median_ms']} ms, "
        f"slowest {uncached['max_ms']} ms of {uncached['runs']}"
    )
    if seeding:
        print(f"seeding {PATIENTS} patients ({prepared['counts']['visits']} visits): {seeding['seconds']} s")
    print(f"JSON: {OUT}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
