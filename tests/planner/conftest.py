"""Fixtures for the planner's tests (the suite-wide ones are in tests/conftest.py)."""

import pytest
import time_machine


@pytest.fixture
def frozen_today(request):
    """The test module's TODAY, at 09:00 UTC, with the clock standing still: due dates, the worklist's
    groups and the figures' periods are all counted from today, so a module fixes the day it was written for.
    A module uses it with ``pytest.mark.usefixtures("frozen_today")``; a test that needs the date asks for it."""
    today = request.module.TODAY
    with time_machine.travel(f"{today.isoformat()} 09:00 +0000", tick=False):
        yield today
