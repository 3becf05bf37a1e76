import os

import pytest
from django.test import override_settings

from planner import roles
from tests.factories import make_user

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the test knows what it is doing.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PERSONAS = {
    "anonymous": None,
    "no_role": "no role",
    "nurse": roles.NURSE,
    "neurologist": roles.NEUROLOGIST,
    "reference_admin": roles.REFERENCE_ADMIN,
    "privacy_officer": roles.PRIVACY_OFFICER,
}


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Production hashes passwords slowly on purpose; the suite creates hundreds of users and would spend a
    third of its time there. MD5 is for tests only."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """Each test starts with an empty cache (reference inputs, worklist lists): rolled-back ids and versions
    repeat between tests, and entries keyed by them would then hand one test another's data."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def nurse(db):
    return make_user(roles.NURSE, username="nurse.noel")


@pytest.fixture
def neurologist(db):
    return make_user(roles.NEUROLOGIST, username="dr.nadia")


@pytest.fixture
def reference_admin(db):
    return make_user(roles.REFERENCE_ADMIN, username="ref.rita", is_staff=True)


@pytest.fixture
def no_role_user(db):
    return make_user(None, username="new.nico")


@pytest.fixture
def client_for(client, db):
    """client_for("nurse") is a test client logged in as that persona ("anonymous": not logged in)."""

    def _client_for(persona):
        client.logout()
        if persona == "anonymous":
            return client
        role = PERSONAS[persona]
        user = make_user(
            None if role == "no role" else role, username=f"persona.{persona}", is_staff=persona == "reference_admin"
        )
        # force_login: django-axes refuses authenticate() calls without a request.
        client.force_login(user)
        return client

    return _client_for


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright's own browser download is impossible here.

    Browser tests skip, with the reason, where it is missing; in CI that is a failure.
    """
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser journeys, but {message}")
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
