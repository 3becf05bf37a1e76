"""The shipped cycle reference set, and the demo clinic's responses and prices."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from patients import demo
from patients.response import CycleResponse
from planner.demo.cycle import DEMO_NOTE, seed_demo_prices, seed_demo_responses
from planner.demo.sessions import seed_demo_sessions
from planner.models import BillingCode, HandoutText, InjectionSession, ResponsePolicy, Verification, VialPrice
from planner.reference.loader import load_reference

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def test_the_billing_codes_are_loaded_with_their_sources_and_flagged_unverified():
    load_reference()
    drugs = {code.product.code: (code.code, code.billing_unit) for code in BillingCode.objects.filter(kind="drug")}
    assert drugs == {"ONA": ("J0585", 1), "ABO": ("J0586", 5), "RIMA": ("J0587", 100), "INCO": ("J0588", 1)}
    assert "DAXI" not in drugs  # no product-specific code in the data: the record says so
    for code in BillingCode.objects.prefetch_related("sources"):
        assert code.sources.exists() and code.verification == Verification.UNVERIFIED
    assert set(BillingCode.objects.values_list("code", flat=True)) >= {
        "JW",
        "JZ",
        "64616",
        "50",
        "95874",
        "76942",
        "G24.3",
    }


def test_every_handout_sentence_and_policy_row_cites_a_source_and_the_policy_is_clinic_policy():
    load_reference()
    for row in HandoutText.objects.prefetch_related("sources"):
        assert row.sources.exists(), row.code
    assert all(row.clinic_policy for row in ResponsePolicy.objects.all())
    assert ResponsePolicy.objects.get(code="non_response_cycles").value == 2


def test_a_second_load_changes_nothing_and_a_price_the_clinic_entered_is_kept():
    load_reference()
    price = VialPrice.objects.get(product__code="ONA", vial_units=100)
    price.price = 600
    price.save()
    out = StringIO()
    call_command("loadreference", stdout=out)
    assert "Billing codes: 0 created, 0 updated, 11 unchanged" in out.getvalue()
    assert "Vial prices: 0 created, 0 updated, 12 unchanged, 1 kept" in out.getvalue()
    price.refresh_from_db()
    assert price.price == 600


def test_the_demo_records_responses_for_most_followed_up_cycles_and_seeding_twice_adds_none(nurse, neurologist):
    load_reference()
    demo.seed_demo_clinic(patients=12, seed=1, today=TODAY, recorded_by=nurse)
    seed_demo_sessions(seed=1, signed_by=neurologist, prepared_by=nurse)
    made = seed_demo_responses(seed=1, recorded_by=nurse, today=TODAY)
    sessions = InjectionSession.objects.current().filter(visit__date__lte=TODAY).count()
    assert 0.6 * sessions <= made <= sessions
    assert seed_demo_responses(seed=1, recorded_by=nurse, today=TODAY) == 0
    for response in CycleResponse.objects.select_related("visit"):
        response.full_clean()  # onset <= peak <= wear-off, ranges, reported after the injections
        assert response.reported_on <= TODAY


def test_demo_prices_fill_only_rows_without_a_price_and_say_they_are_demo_figures(reference_admin):
    load_reference()
    kept = VialPrice.objects.get(product__code="ONA", vial_units=100)
    kept.price = 999
    kept.save()
    seed_demo_prices(acting_user=reference_admin)
    kept.refresh_from_db()
    assert kept.price == 999
    filled = VialPrice.objects.get(product__code="ABO", vial_units=500)
    assert filled.price is not None and filled.note == DEMO_NOTE
    assert VialPrice.objects.get(product__code="DAXI", vial_units=100).price is None  # no demo figure for it
