"""`make cluster-check`: two app servers on one PostgreSQL with a shared Redis, checked through HTTP.

Beyond one machine (issue 17): stateless gunicorn servers behind a load balancer, one database, one cache
server (CACHE_URL). This script

1. starts a Redis server on a free port (no persistence), creates a fresh PostgreSQL database on
   127.0.0.1:5432, migrates it and loads the reference data, the demo users and a small demo clinic;
2. makes a draft plan and picks a patient due on the worklist (tests/cluster/fixture.py);
3. starts two gunicorn servers, A and B, with production settings and CACHE_URL pointing at the Redis;
4. checks, through the real login form and pages:
   (a) a reference change made through A's admin (the product's session maximum) is applied by B's next
       safety check, though B had the reference inputs cached;
   (b) a session cookie from A's sign-in works on B, and signing out on B ends it on A;
   (c) the worklist on B shows a booking made through A;
   (e) a patient's chart, kept whole in the shared cache by B, shows on B's next view a change made through A;
   (f) a role taken from a user (by another process, as the admin's user form would) applies on the next
       request to either server, though both had the user's permissions cached;
   (d) the audit chain verifies (`manage.py verify_audit_log`) after writes and access entries through both;
5. stops the servers and Redis and drops the database, whatever happened.

Prints PASS or FAIL for each check and exits 1 if any failed (2 if the setup itself failed).
"""

import html.parser
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.bench.signin import NoRedirect, signed_in_cookies

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = os.environ
POSTGRES = ENV.get("CLUSTER_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = ENV.get("CLUSTER_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
PATIENTS = int(ENV.get("CLUSTER_PATIENTS", "30"))
WORKERS = int(ENV.get("CLUSTER_WORKERS", "2"))
# The demo users' passwords, as `manage.py seed_demo_users` sets them.
PASSWORDS = {"neurologist": "demo-neurologist-2026", "nurse": "demo-nurse-2026", "refadmin": "demo-refadmin-2026"}
NEW_SESSION_MAX = "200"
REFERENCE_KEYS = "*planner.reference-inputs.*"
CHART_KEYS = "*patients:chart:*"
CHART_NOTE = "Changed through server A: prefers afternoon visits."
ACCESS_KEYS = "*access:*"

results = []


def step(text):
    print(f"==> {text}", flush=True)


def check(name, passed, detail=""):
    results.append(passed)
    print(f"{'PASS' if passed else 'FAIL'}  {name}{': ' + detail if detail else ''}", flush=True)
    return passed


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Services ---


class Redis:
    def __init__(self, workdir):
        self.port = free_port()
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        )  # fmt: skip
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        for _ in range(50):
            try:
                if self.client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise SystemExit(f"redis-server did not answer on port {self.port}.")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def keys(self, pattern):
        return sorted(key.decode() for key in self.client.scan_iter(match=pattern))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Database:
    def __init__(self):
        self.name = f"cdplanner_cluster_{secrets.token_hex(4)}"
        self._admin(f'CREATE DATABASE "{self.name}"')

    @property
    def url(self):
        return f"{POSTGRES}/{self.name}"

    def _admin(self, sql):
        import psycopg2

        parts = urllib.parse.urlsplit(POSTGRES)
        connection = psycopg2.connect(
            host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", dbname="postgres"
        )
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.close()

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Server:
    def __init__(self, name, env, log_dir):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"gunicorn-{name}.log"
        with open(self.log, "w") as log:  # the app's own log lines (django-axes' sign-ins) go there too
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "planner.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS),
                 "--access-logfile", "-"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def log_tail(self, lines=30):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def wait(self):
        for _ in range(120):
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn {self.name} exited; see its log.")
            try:
                if get(self, "/healthz", "")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"gunicorn {self.name} did not answer /healthz within 60 s.")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- HTTP through the real forms ---


def request(server, path, cookie, data=None):
    """(status, body, headers) of one request, redirects not followed."""
    headers = {"Cookie": cookie, "Accept": "text/html", "Referer": f"{server.base}/"}
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(f"{server.base}{path}", data=body, headers=headers), timeout=60) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as response:
        return response.code, response.read().decode(errors="replace"), response.headers


def get(server, path, cookie):
    return request(server, path, cookie)


class FormFields(html.parser.HTMLParser):
    """What a browser would submit from the forms of a page: {form id or index: [(name, value), ...]}."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = self.forms.setdefault(attrs.get("id") or str(len(self.forms)), [])
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self._form.append((attrs["name"], attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self._form.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = [attrs.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None and self._textarea[0]:
                self._form.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None


def form_fields(page, having):
    """The fields of the first form of ``page`` that has a field named ``having``."""
    parser = FormFields()
    parser.feed(page)
    return next(fields for fields in parser.forms.values() if any(name == having for name, _ in fields))


def submit(server, path, cookie, having, changes):
    """GET the page, fill the form that has the field ``having`` with ``changes``, POST it back."""
    status, page, _ = get(server, path, cookie)
    assert status == 200, f"GET {path} on {server.name}: HTTP {status}"
    fields = [(name, value) for name, value in form_fields(page, having) if name not in changes]
    return request(server, path, cookie, [*fields, *changes.items()])


def sign_in(server, username):
    jar = signed_in_cookies(server.base, username, PASSWORDS[username])
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def signed_in(server, cookie):
    status, _, headers = get(server, "/", cookie)
    return status == 200, f"HTTP {status}{' to ' + headers['Location'] if status == 302 else ''}"


# --- The run ---


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True, check=False
    )


def setup(env, workdir):
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["loadreference"],
        ["seed_demo_users", "--allow-production"],
        ["seed_demo", "--patients", str(PATIENTS), "--allow-production"],
    ):
        result = manage(*command, env=env)
        if result.returncode:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    out = workdir / "fixture.json"
    result = subprocess.run(
        [sys.executable, "-m", "tests.cluster.fixture", str(out)], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if result.returncode:
        raise SystemExit(f"tests.cluster.fixture failed:\n{result.stdout}{result.stderr}")
    return json.loads(out.read_text())


def reference_change(a, b, redis, fixture):
    """(a) B caches the reference inputs; A's admin lowers the session maximum; B's next check applies it."""
    neurologist_b = sign_in(b, "neurologist")
    editor = fixture["editor"]
    finding = f"above the labeled maximum of {NEW_SESSION_MAX} U"
    for _ in range(2):  # the second view is served from the shared cache
        status, page, _ = get(b, editor, neurologist_b)
    cached = redis.keys(REFERENCE_KEYS)
    check(
        "(a) B's plan editor fills the shared cache",
        status == 200 and finding not in page and bool(cached),
        f"HTTP {status}, plan total {fixture['plan_total']} U under the maximum of "
        f"{fixture['session_max']['value']} U, Redis holds {cached}",
    )
    refadmin_a = sign_in(a, "refadmin")
    status, _, headers = submit(a, fixture["session_max"]["admin"], refadmin_a, "value", {"value": NEW_SESSION_MAX})
    check(
        "(a) the session maximum is lowered through A's admin",
        status == 302,
        f"HTTP {status}{' to ' + headers.get('Location', '') if status == 302 else ''}",
    )
    status, page, _ = get(b, editor, neurologist_b)
    shown = re.search(r"Session total [^<]*? per session", page)
    now_cached = redis.keys(REFERENCE_KEYS)
    check(
        "(a) B's next safety check applies A's change",
        status == 200 and finding in page,
        f'B\'s editor says "{shown.group(0) if shown else "no session-total finding"}"; Redis now holds {now_cached}',
    )


def shared_session(a, b):
    """(b) a session cookie from A works on B, and signing out on B ends it on A."""
    cookie = sign_in(a, "neurologist")
    works, detail = signed_in(b, cookie)
    check("(b) a session signed in on A is signed in on B", works, f"B's home page: {detail}")
    status, page, _ = get(b, "/", cookie)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    status, _, _ = request(b, "/accounts/logout/", cookie, {"csrfmiddlewaretoken": token.group(1) if token else ""})
    still, detail = signed_in(a, cookie)
    check("(b) signing out on B ends the session on A", status == 302 and not still, f"A's home page: {detail}")


def booked_section(page):
    start = page.find('id="booked-table"')
    end = page.find('id="lapsed-heading"')
    return page[start:end] if start != -1 else ""


def worklist_change(a, b, fixture):
    """(c) B's worklist (cached) shows a booking made through A."""
    mrn = fixture["due_patient"]["mrn"]
    cookie_b, cookie_a = sign_in(b, "neurologist"), sign_in(a, "neurologist")
    for _ in range(2):
        status, page, _ = get(b, "/clinic/", cookie_b)
    check(
        "(c) B's worklist lists the patient as due and not booked",
        status == 200 and mrn in page and mrn not in booked_section(page),
        f"HTTP {status}, {mrn}",
    )
    status, _, headers = submit(a, fixture["due_patient"]["book"], cookie_a, "date", {"date": fixture["book_on"]})
    check("(c) a visit is booked through A", status == 302, f"{mrn} on {fixture['book_on']}: HTTP {status}")
    status, page, _ = get(b, "/clinic/", cookie_b)
    check(
        "(c) B's worklist shows A's booking",
        status == 200 and mrn in booked_section(page),
        f"{mrn} under 'Due and already booked'" if mrn in booked_section(page) else f"HTTP {status}, not booked",
    )


def chart_change(a, b, redis, fixture):
    """(e) B's chart (kept whole in the shared cache) shows a change to the patient made through A."""
    patient = fixture["due_patient"]
    cookie_b, cookie_a = sign_in(b, "neurologist"), sign_in(a, "neurologist")
    for _ in range(2):  # the second view is read from the shared cache
        status, page, _ = get(b, patient["chart"], cookie_b)
    cached = redis.keys(CHART_KEYS)
    check(
        "(e) B's chart of the patient is kept in the shared cache",
        status == 200 and patient["mrn"] in page and CHART_NOTE not in page and bool(cached),
        f"HTTP {status}, Redis holds {len(cached)} chart(s)",
    )
    status, _, _ = submit(a, patient["edit"], cookie_a, "notes", {"notes": CHART_NOTE})
    check("(e) the patient's notes are changed through A", status == 302, f"HTTP {status}")
    status, page, _ = get(b, patient["chart"], cookie_b)
    check(
        "(e) B's next view of the chart shows A's change",
        status == 200 and CHART_NOTE in page,
        f"HTTP {status}, {'the new notes shown' if CHART_NOTE in page else 'the old chart'}",
    )


def nurse_roles(env, change):
    """Run ``change`` ("clear" or "restore") on the demo nurse's roles in a process of its own."""
    code = (
        "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Group; "
        "from planner.access.roles import NURSE; nurse = get_user_model().objects.get(username='nurse'); "
        + ("nurse.groups.clear()" if change == "clear" else "nurse.groups.add(Group.objects.get(name=NURSE))")
    )
    return manage("shell", "-c", code, env=env).returncode == 0


def role_change(a, b, redis, env, fixture):
    """(f) a role taken away applies on both servers' next request, though both had it cached."""
    chart = fixture["due_patient"]["chart"]
    cookies = {server: sign_in(server, "nurse") for server in (a, b)}
    statuses = [get(server, chart, cookie)[0] for server, cookie in cookies.items() for _ in range(2)]
    cached = redis.keys(ACCESS_KEYS)
    check(
        "(f) the nurse opens the chart on A and B, permissions kept in the shared cache",
        statuses == [200] * 4 and bool(cached),
        f"HTTP {statuses}, Redis holds {len(cached)} users' permissions",
    )
    cleared = nurse_roles(env, "clear")
    statuses = [get(server, chart, cookie)[0] for server, cookie in cookies.items()]
    check(
        "(f) with the role taken away, A and B refuse the chart", cleared and statuses == [403, 403], f"HTTP {statuses}"
    )
    restored = nurse_roles(env, "restore")
    statuses = [get(server, chart, cookie)[0] for server, cookie in cookies.items()]
    check(
        "(f) with the role given back, A and B show it again", restored and statuses == [200, 200], f"HTTP {statuses}"
    )


def audit_chain(env):
    """(d) the hash chain over every entry written through both servers verifies."""
    result = manage("verify_audit_log", env=env)
    lines = (result.stdout + result.stderr).strip().splitlines()
    check("(d) the audit chain verifies", result.returncode == 0, lines[-1] if lines else f"exit {result.returncode}")


def main():
    workdir = Path(tempfile.mkdtemp(prefix="cluster-check-"))
    redis = database = None
    servers = []
    try:
        step(f"Redis ({REDIS_SERVER}) and a fresh PostgreSQL database")
        redis = Redis(workdir)
        database = Database()
        env = {
            **ENV,
            "DEBUG": "false",
            "SECRET_KEY": f"cluster-{secrets.token_urlsafe(48)}",
            "AUDIT_HMAC_KEY": f"cluster-{secrets.token_urlsafe(48)}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "STATIC_MANIFEST": "false",
            "CONN_MAX_AGE": "60",
            "DATABASE_URL": database.url,
            "CACHE_URL": redis.url,
        }
        print(f"    database {database.name}, cache {redis.url}")
        step(f"Migrate, load the reference data, the demo users and {PATIENTS} demo patients")
        fixture = setup(env, workdir)
        step(f"Two gunicorn servers ({WORKERS} workers each), production settings, one database, one Redis")
        servers = [Server("A", env, workdir), Server("B", env, workdir)]
        for server in servers:
            server.wait()
            print(f"    {server.name}: {server.base}")
        a, b = servers
        step("Checks")
        reference_change(a, b, redis, fixture)
        shared_session(a, b)
        worklist_change(a, b, fixture)
        chart_change(a, b, redis, fixture)
        role_change(a, b, redis, env, fixture)
        audit_chain(env)
    except (SystemExit, AssertionError, StopIteration) as error:
        print(f"SETUP FAILED: {error}", flush=True)
        for server in servers:
            print(f"--- the end of gunicorn {server.name}'s log ---\n{server.log_tail()}")
        results.append(None)
    finally:
        step("Cleaning up")
        for server in servers:
            server.stop()
        if redis is not None:
            redis.stop()
        if database is not None:
            database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    failed = results.count(False)
    print(f"{len(results) - failed - results.count(None)} passed, {failed} failed", flush=True)
    if None in results:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
