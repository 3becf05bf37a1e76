"""The yardstick exists only under the bench's settings (tests/bench/settings.py), never in the app's URLs."""

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from planner.access import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_apps_urls_have_no_yardstick():
    with pytest.raises(NoReverseMatch):
        reverse("bench_yardstick")


@override_settings(ROOT_URLCONF="tests.bench.urls")
def test_the_bench_urls_answer_the_yardstick_behind_the_same_login_as_every_page(client):
    url = reverse("bench_yardstick")
    assert url == "/bench/yardstick"
    assert client.get(url).status_code == 302  # the login redirect, as for every page
    client.force_login(make_user(roles.NURSE, username="bench.nurse"))
    response = client.get(url)
    assert (response.status_code, response.content) == (200, b"ok")
    assert client.get(reverse("healthz")).status_code == 200  # and the app's own pages are all there


def test_the_bench_settings_are_the_apps_with_the_bench_urls():
    from planner import settings as app
    from tests.bench import settings as bench

    assert bench.ROOT_URLCONF == "tests.bench.urls" and app.ROOT_URLCONF == "planner.urls"
    assert bench.MIDDLEWARE == app.MIDDLEWARE
