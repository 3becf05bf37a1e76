"""The patients app's tests: a fixed "today" and a patient."""

from datetime import date

import pytest
import time_machine

from tests.patients.factories import PatientFactory

# The clinic's "today" in these tests: dates in the tests are fixed, so "today" must be too.
TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(f"{TODAY.isoformat()} 10:00 +0000", tick=True):
        yield TODAY


@pytest.fixture
def patient(db):
    return PatientFactory(mrn="AB123456", family_name="Müller", given_name="Zoë")
