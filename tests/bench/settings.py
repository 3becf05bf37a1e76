"""`make bench` only: the production settings, with the yardstick added to the URLs (tests/bench/urls.py).

tests/bench/run.py gives its gunicorn DJANGO_SETTINGS_MODULE=tests.bench.settings, so the yardstick
never exists in a deployment and no production module imports anything from tests/.
"""

from planner.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
