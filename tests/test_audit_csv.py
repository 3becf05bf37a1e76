"""Every CSV the app writes neutralises cells a spreadsheet would run as a formula (one helper)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from patients.audit.csvsafe import safe_cell
from planner import models as ref
from planner.reference.admin import resource_for
from tests.planner.factories_reference import MuscleFactory, SourceFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(1)", "\tx", "\rx"])
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == f"'{text}"


@pytest.mark.parametrize("value", [-5, Decimal("-2.5"), 3, "plain", "a=b"])
def test_numbers_and_plain_text_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_csv_formula_in_a_failed_sign_in_username_is_neutralised_in_the_audit_export(client, client_for):
    client.post(reverse("login"), {"username": HYPERLINK, "password": "wrong"})
    response = client_for("reference_admin").get(reverse("audit:report_csv"), {"action": "login_failed"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    (failed,) = rows
    assert failed["object_repr"] == f"'{HYPERLINK}"
    assert not any(value.startswith("=") for row in rows for value in row.values())


def test_csv_formula_in_a_reference_name_is_neutralised_in_the_reference_export():
    MuscleFactory(code="FORMULA", name="@SUM(1)", sources=[SourceFactory(code="F1")])
    rows = list(csv.DictReader(io.StringIO(resource_for(ref.Muscle)().export().csv)))

    (muscle,) = [row for row in rows if row["code"] == "FORMULA"]
    assert muscle["name"] == "'@SUM(1)"
