"""The browser tests' fixtures: Debian's Chromium driven by Playwright (pytest-playwright's fixtures)."""

import os

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the test knows what it is doing.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


class OneRequestAtATimeServer(WSGIServer):
    """The live server answers one request at a time. On in-memory SQLite its thread shares the test's one
    connection (pytest-django's live_server passes it over), and two requests at once on that connection,
    say a page and its live safety check, failed with "bad parameter or other API misuse". Django's
    server closes each connection when it is not threaded, so the browser's requests queue, none is lost."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


LiveServerThread.server_class = OneRequestAtATimeServer


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
