"""How long the chart, the plan editor and the visit page take to render, in process (no server, no network).

    python -m tests.bench.render_timing [--requests 50] [--fresh] [--out timings.json]

The first run seeds a SQLite file (``/tmp/markup-bench.sqlite3``: migrate, loadreference,
seed_demo_users, ``seed_demo --patients 40 --seed 1 --long-charts 1``) in subprocesses; later runs
reuse it (``--fresh`` starts over). The pages are then fetched with Django's test client as a
neurologist: a 40-visit patient chart, the plan editor on a 12-row draft (tests.bench.prepare's
bench plan) and that long chart's most complete visit. Each page is fetched a few times to warm
the caches, then ``--requests`` times; the median and p95 (in ms) of each, wall clock and CPU time of
this process, are printed as JSON.
DEBUG is switched off for the timing (as in production: no query log, the caches on).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DB_PATH = Path("/tmp/markup-bench.sqlite3")
ROOT = Path(__file__).resolve().parents[2]
WARM = 5


def _environment():
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{DB_PATH}", DEBUG="true")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def seed():
    """A fresh database with the reference data, the demo users and demo patients (one with 40 visits)."""
    DB_PATH.unlink(missing_ok=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--verbosity", "0"],
        ["loadreference"],
        ["seed_demo_users"],
        ["seed_demo", "--patients", "40", "--seed", "1", "--long-charts", "1"],
    ):
        subprocess.run([*manage, *command], check=True, env=_environment(), cwd=ROOT, stdout=subprocess.DEVNULL)


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="Seed a new database even if one exists.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the timings to this JSON file.")
    parser.add_argument("--save-html", type=Path, default=None, help="Also save each page's HTML in this folder.")
    args = parser.parse_args(argv)
    if args.fresh or not DB_PATH.exists():
        seed()

    os.environ.update(_environment())
    os.environ["DJANGO_SETTINGS_MODULE"] = "planner.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from tests.bench import prepare

    setup_test_environment()  # the test client's in-memory email and allowed "testserver" host
    user_model = get_user_model()
    neurologist = user_model.objects.get(username="neurologist")
    nurse = user_model.objects.get(username="nurse")
    patient = prepare.long_chart()
    visit = prepare.recorded_visit(patient)
    session = prepare.bench_plan(neurologist, nurse)
    settings.DEBUG = False

    client = Client()
    client.force_login(neurologist)
    pages = {
        "patient_chart": reverse("patients:patient_chart", args=[patient.pk]),
        "plan_editor": reverse("plans:editor", args=[session.pk]),
        "visit_record": reverse("patients:visit_detail", args=[visit.pk]),
    }
    results = {}
    for name, url in pages.items():
        for _ in range(WARM):
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
        timings, cpu = [], []
        for _ in range(args.requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, (name, url, response.status_code)
        results[name] = {
            "url": url,
            "requests": args.requests,
            "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(p95(timings), 2),
            # CPU time of this process: what the page costs, less disturbed by other work on a shared machine.
            "cpu_median_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(p95(cpu), 2),
            "bytes": len(response.content),
        }
        if args.save_html:
            args.save_html.mkdir(parents=True, exist_ok=True)
            (args.save_html / f"{name}.html").write_bytes(response.content)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
