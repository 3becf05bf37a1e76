"""Sign-in throttling, idle time-out, cookies and headers."""

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import include, path, reverse

from tests.factories import make_user
from tests.security_world import world  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def test_five_failed_sign_ins_lock_the_account_with_a_clear_message(client, settings):
    make_user(None, username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "target", "password": "guess"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "target", "password": "guess"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": "target", "password": PASSWORD})
    assert response.status_code == 429


def test_the_lockout_does_not_spill_over_to_other_users(client, settings):
    make_user(None, username="target")
    make_user(None, username="bystander")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "target", "password": "guess"})
    response = client.post(reverse("login"), {"username": "bystander", "password": PASSWORD})
    assert response.status_code == 302


def test_an_idle_session_ends_after_the_time_out(client, nurse, settings):
    with time_machine.travel("2026-06-01 09:00", tick=False) as traveller:
        client.post(reverse("login"), {"username": nurse.username, "password": PASSWORD})
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(settings.SESSION_COOKIE_AGE - 60)
        assert client.get(reverse("home")).status_code == 200  # activity renews the session
        traveller.shift(settings.SESSION_COOKIE_AGE - 60)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(settings.SESSION_COOKIE_AGE + 1)
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_idle_time_out_defaults_to_fifteen_minutes(settings):
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 15
    assert settings.SESSION_COOKIE_AGE == 15 * 60


def test_activity_renews_the_session_at_most_once_a_minute(client, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        writes = [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
        return response, writes

    with time_machine.travel("2026-06-01 09:00", tick=False) as traveller:
        client.force_login(nurse)
        _, writes = session_writes()
        assert writes  # the first page after signing in renews
        traveller.shift(30)
        response, writes = session_writes()
        assert writes == [] and "sessionid" not in response.cookies
        traveller.shift(31)
        response, writes = session_writes()
        assert writes and "expire_date" in writes[0]  # the idle time-out slides forward


def test_keep_alive_renews_the_session_and_needs_post(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("keep_alive")).status_code == 405
    response = client.post(reverse("keep_alive"))
    assert response.status_code == 200
    assert response.json()["expires_in_seconds"] > 0


def test_pages_tell_the_browser_when_the_session_ends(client, nurse):
    client.force_login(nurse)
    page = client.get(reverse("home")).content.decode()
    assert 'data-timeout-seconds="900"' in page


def test_cookies_are_http_only_and_same_site(client, nurse):
    response = client.post(reverse("login"), {"username": nurse.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"]  # production defaults: DEBUG is off in tests


def test_csrf_is_enforced_on_login(nurse):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 403


def test_password_validators_refuse_weak_passwords(nurse):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("password123", nurse)
    validate_password("a-much-longer-clinic-passphrase", nurse)


@override_settings(DEBUG=False, ALLOWED_HOSTS=["planner.example.org"])
def test_host_outside_allowed_hosts_gives_400(nurse):
    from django.test import Client

    for client in (Client(HTTP_HOST="evil.example"), Client(HTTP_HOST="evil.example", raise_request_exception=False)):
        assert client.get(reverse("login")).status_code == 400
    signed_in = Client(HTTP_HOST="evil.example", raise_request_exception=False)
    signed_in.force_login(nurse)
    assert signed_in.get(reverse("home")).status_code == 400


@pytest.mark.parametrize("allowed_hosts", ["planner.example.org", "planner.example.org,10.0.0.5", ".example.org", "*"])
def test_compose_healthcheck_sends_an_allowed_host(allowed_hosts, monkeypatch):
    """Runs the web container's health check with urlopen replaced, and checks the Host it sends is allowed."""
    import urllib.request

    import yaml
    from django.http.request import validate_host

    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    sent = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, **kwargs: sent.append(request))
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    exec(command[3], {})
    (request,) = sent
    assert request.full_url.endswith("/healthz")
    assert validate_host(request.get_header("Host"), allowed_hosts.split(","))


def test_no_store_on_every_page_and_file_for_a_signed_in_user(world):  # noqa: F811
    """Every URL in the permission matrix, opened by the first role that may: no copy kept by browser or proxy.

    That covers the chart, the visit records, the authenticator page, the PDFs, the FHIR export and the
    CSVs (the outcome CSV with a real date range is added: the matrix's probe gets a 400 form).
    """
    from tests.test_permission_matrix import MATRIX

    personas = {"nurse": 5, "neurologist": 7, "reference_admin": 9}  # the GET column of each in MATRIX
    checked = {}
    for name, row in MATRIX.items():
        persona = next((p for p, column in personas.items() if row[column] in (200, 400)), None)
        if persona is None:
            continue
        response = world.client(persona).get(world.url(name, row[0]))
        checked[name] = response["Content-Type"].split(";")[0]
        assert "no-store" in response.get("Cache-Control", ""), f"{name} ({persona}) may be cached"
    csv = world.client("neurologist").get(
        world.url("clinic:export_csv", "export_kind"), {"date_from": "2020-01-01", "date_to": "2029-12-31"}
    )
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "no-store" in csv["Cache-Control"]
    for name in ("patients:patient_chart", "two_factor_setup", "plans:record_pdf", "clinic:patient_fhir"):
        assert name in checked
    assert {"application/pdf", "text/csv"} <= set(checked.values())


def test_sqlite_opens_write_transactions_immediate_with_a_busy_timeout():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


def test_sqlite_database_is_locked_gives_503_not_500(rf, nurse):
    from django.db import OperationalError

    from planner.access.middleware import DatabaseBusyMiddleware

    def busy_view(request):
        raise OperationalError("database is locked")

    middleware = DatabaseBusyMiddleware(lambda request: None)
    request = rf.post("/patients/1/edit/")
    request.user = nurse
    try:
        busy_view(request)
    except OperationalError as error:
        response = middleware.process_exception(request, error)
    assert response.status_code == 503
    assert response["Retry-After"]
    page = response.content.decode()
    assert "The database is busy" in page and "Nothing was saved" in page
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None


def raise_database_is_locked(request):
    from django.db import OperationalError

    raise OperationalError("database is locked")


# The URLs for the test below: the project's own, and one view that always finds the database locked.
urlpatterns = [path("busy/", raise_database_is_locked), path("", include("planner.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_sqlite_database_is_locked_gives_503_through_the_whole_stack(nurse):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(nurse)
    response = client.post("/busy/")
    assert response.status_code == 503
    assert b"Nothing was saved" in response.content
