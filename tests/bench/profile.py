"""cProfile of pages that missed a target: ``python -m tests.bench.profile OUT.json NAME USER URL [...]``.

Each page is requested in-process through Django's test client (the full middleware stack, production
settings, the benchmark database), 20 times after one warm-up, as the named user. OUT.json gets, per
page, the time per request under the profiler and the top functions by cumulative and by own time.
(Query counts are pinned by tests/test_query_budgets.py.)
"""

import cProfile
import io
import json
import os
import pstats
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

REQUESTS = 20
TOP = 30


def top(stats, order):
    buffer = io.StringIO()
    pstats.Stats(stats, stream=buffer).strip_dirs().sort_stats(order).print_stats(TOP)
    return buffer.getvalue().splitlines()


def profile_page(user, url):
    client = Client()
    client.force_login(get_user_model().objects.get(username=user))
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(REQUESTS):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    return {
        "url": url,
        "ms_per_request_under_profile": round(stats.total_tt / REQUESTS * 1000, 1),
        "top_cumulative": top(profiler, "cumulative"),
        "top_own_time": top(profiler, "tottime"),
    }


def main(out, arguments):
    pages = {}
    for index in range(0, len(arguments), 3):
        name, user, url = arguments[index : index + 3]
        pages[name] = profile_page(user, url)
    with open(out, "w") as handle:
        json.dump(pages, handle, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
