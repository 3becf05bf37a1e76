"""In a real browser: the idle warning, and pages that run under the enforced CSP without violations."""

import re

import pytest
from playwright.sync_api import expect

from planner.access import roles
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()


def test_the_idle_warning_appears_before_the_time_out_and_can_be_dismissed(page, live_server, settings):
    # 121 s: the two-minute warning window opens one second after the page loads.
    settings.SESSION_COOKIE_AGE = 121
    make_user(roles.NURSE, username="clinician")
    sign_in(page, live_server, "clinician")
    warning = page.get_by_role("alertdialog", name="Your session is about to end")
    expect(warning).to_be_visible(timeout=5000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()


def test_pages_load_without_content_security_policy_violations(page, live_server):
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    make_user(roles.REFERENCE_ADMIN, username="clinician")
    sign_in(page, live_server, "clinician")
    expect(page).to_have_url(re.compile(r"/$"))
    for path in ["/", "/audit/", "/no-such-page/"]:
        page.goto(live_server.url + path)
    assert violations == []
    # The header is really enforced (not report-only).
    response = page.goto(live_server.url + "/")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]


def test_a_script_without_the_nonce_is_blocked(page, live_server):
    """The CSP is enforced: an injected inline script does not run."""
    make_user(roles.NURSE, username="clinician")
    sign_in(page, live_server, "clinician")
    blocked = []
    page.on("console", lambda message: blocked.append(message.text))
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.__injected = true';
        document.body.appendChild(script);
    }""")
    assert page.evaluate("() => window.__injected === undefined")
