"""A person signs in with each role, sees the navigation that role may use, and signs out."""

import re

import pytest
from playwright.sync_api import expect

from planner.access import roles
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("role", [roles.NURSE, roles.NEUROLOGIST, roles.REFERENCE_ADMIN])
def test_each_role_signs_in_sees_its_navigation_and_signs_out(page, live_server, role):
    make_user(role, username="clinician", first_name="Ada", last_name="Lovelace")
    sign_in(page, live_server, "clinician")

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Lovelace")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_text(role)).to_be_visible()

    navigation.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_user_without_a_role_is_told_what_to_do(page, live_server):
    make_user(None, username="clinician")
    sign_in(page, live_server, "clinician")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has no role yet")


def test_a_wrong_password_keeps_the_user_on_the_login_page_with_a_message(page, live_server):
    make_user(roles.NURSE, username="clinician")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("clinician")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
