"""The browser tests' fixtures: Debian's Chromium driven by Playwright (pytest-playwright's fixtures)."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the test knows what it is doing.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


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
