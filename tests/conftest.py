"""Fixtures every test folder uses. A fixture only one folder's tests use lives in that folder's conftest.py
(tests/browser/conftest.py: the browser; tests/patients/conftest.py: the patients app's "today")."""

import pytest
from django.db import transaction
from django.test import override_settings

from planner.access import roles
from tests.factories import make_user

PERSONAS = {
    "anonymous": None,
    "no_role": "no role",
    "nurse": roles.NURSE,
    "neurologist": roles.NEUROLOGIST,
    "reference_admin": roles.REFERENCE_ADMIN,
    "privacy_officer": roles.PRIVACY_OFFICER,
}


# Production hashes passwords slowly on purpose; the suite creates hundreds of users and would spend a
# third of its time there. MD5 is for tests only.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """For the whole session, before any fixture makes a user: session- and module-scoped worlds, the demo
    seeding (seed_demo_users) and the live server's thread of the browser tests (same process) included."""
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """Each test starts with an empty cache (reference inputs, worklist lists): rolled-back ids and versions
    repeat between tests, and entries keyed by them would then hand one test another's data."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="module")
def shipped_reference(django_db_setup, django_db_blocker):
    """The shipped reference set, loaded once for the module (``usefixtures("shipped_reference")``): returns
    the loader's reports. It loads inside a transaction that is rolled back when the module's tests are
    done, so no other test module ever sees the reference set unless it loads it itself. Tests that use it
    take ``db`` as usual; they cannot be ``transaction=True`` tests (browser tests load the set themselves)."""
    from planner.reference.loader import load_reference

    with django_db_blocker.unblock(), transaction.atomic():
        _version, reports = load_reference()
        yield {report.name: report for report in reports}
        transaction.set_rollback(True)


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
