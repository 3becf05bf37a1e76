"""The worklist as its first view after a change sees it: ``python -m tests.bench.uncached OUT.json``.

The worklist page caches its rendered lists per clinic revision, so the load test measures the page
between changes. This times the other case in-process (production settings, the benchmark database,
one client): working out the lists and rendering them, as the view does on a cache miss.
"""

import json
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
django.setup()

from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402

from planner.clinic import worklist  # noqa: E402

RUNS = 20


def main(out):
    today = timezone.localdate()
    timings = []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        data = worklist.clinic_worklist(today=today)
        render_to_string("planner/clinic/includes/worklist_lists.html", {"worklist": data, "can_book": True})
        timings.append((time.perf_counter() - started) * 1000)
    timings = sorted(timings[1:])  # the first run warms the templates and the reference data
    result = {
        "what": "worklist lists worked out and rendered (a cache miss), in-process, one client",
        "runs": RUNS,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(timings[-1], 1),
    }
    with open(out, "w") as handle:
        json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
