"""The app's skeleton: settings, health check, login, roles and the pages around them."""

import subprocess
import sys
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from planner.access import roles

PUBLIC_URL_NAMES = {"login", "healthz"}


def test_it_creates_the_three_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


def test_healthz_says_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_says_unavailable_when_the_database_does_not_answer(client, db):
    with mock.patch("planner.access.views.connection.cursor", side_effect=DatabaseError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _example_path(route):
    """A concrete path for a route: converters get a plausible value (the object need not exist)."""
    import re

    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000001", path)
    path = re.sub(r"<(?:str|slug):[^>]+>", "x", path)
    path = re.sub(r"<path:[^>]+>", "x", path)
    path = re.sub(r"<[^>]+>", "1", path)
    if path.startswith("^"):  # regex routes (the admin's)
        path = re.sub(r"[\^$?]|\(\?P<[^>]+>[^)]*\)", "", path).replace("\\", "")
    return "/" + path


def project_routes():
    return [
        (route, entry)
        for route, entry in _walk(get_resolver().url_patterns)
        if not route.startswith("admin/") and not route.startswith("static/")
    ]


@pytest.mark.parametrize("route", [route for route, _ in project_routes()])
def test_every_page_sends_anonymous_users_to_login(client, db, route):
    entry = dict(project_routes())[route]
    response = client.get(_example_path(route))
    if entry.name in PUBLIC_URL_NAMES:
        assert response.status_code == 200
    else:
        assert response.status_code == 302, route
        assert response["Location"].startswith(reverse("login"))


def test_the_admin_site_asks_anonymous_users_to_log_in(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302


def test_a_user_without_a_role_is_told_to_ask_an_administrator(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"has no role yet" in response.content
    assert b"Ask an administrator" in response.content


@pytest.mark.parametrize("persona", ["nurse", "neurologist", "reference_admin"])
def test_each_role_lands_on_its_home_page(client_for, persona):
    response = client_for(persona).get(reverse("home"))
    assert response.status_code == 200
    assert b"You are signed in as" in response.content


def test_login_and_logout(client, nurse):
    response = client.post(reverse("login"), {"username": "nurse.noel", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, nurse):
    response = client.post(reverse("login"), {"username": "nurse.noel", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_logout_is_refused_over_get(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("logout")).status_code == 405


def test_unknown_pages_get_the_styled_404(client, nurse):
    client.force_login(nurse)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_pages_carry_security_headers(client, db):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "'nonce-" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_without_secret_key_stops_with_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "planner.settings"}
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "SECRET_KEY is not set: set it in the environment (see .env.example), or set DEBUG=true for local development."
    ]


def test_demo_users_command_is_idempotent_and_prints_logins(db, settings, capsys):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo_users")
    call_command("seed_demo_users")
    out = capsys.readouterr().out
    assert "demo-nurse-2026" in out
    User = get_user_model()
    assert User.objects.filter(username__in=["neurologist", "nurse", "refadmin", "newstaff"]).count() == 4
    assert User.objects.get(username="nurse").groups.get().name == roles.NURSE


def test_demo_users_are_refused_on_a_production_configuration(db, settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing because DEBUG is off"):
        call_command("seed_demo_users")


def test_postgresql_connections_run_without_jit(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting; CI runs this suite on PostgreSQL too")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
