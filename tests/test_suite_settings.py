"""The suite's own settings: passwords are hashed cheaply for every user a test makes, however it is made."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher
from django.core.management import call_command

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_whole_session_hashes_with_the_fast_hasher():
    assert get_hasher().algorithm == "md5"


def test_factory_users_and_the_demo_logins_get_fast_hashes():
    make_user(None, username="hashed.cheaply")
    call_command("seed_demo_users", allow_production=True, verbosity=0)
    assert {user.password.split("$")[0] for user in get_user_model().objects.all()} == {"md5"}
