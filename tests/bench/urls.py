"""The app's URLs plus the benchmark's yardstick at /bench/yardstick (tests/bench/yardstick.py)."""

from django.urls import include, path

from tests.bench.yardstick import yardstick

urlpatterns = [
    path("bench/yardstick", yardstick, name="bench_yardstick"),
    path("", include("planner.urls")),
]
