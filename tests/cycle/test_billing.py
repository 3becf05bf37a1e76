"""planner.rules.billing: the claim lines of a signed session, pure (no database)."""

from decimal import Decimal

import pytest

from planner.rules.billing import Code, SessionFacts, billed_units, billing_record, session_cost

CODES = [
    Code(
        "J0585",
        "drug",
        "Injection, onabotulinumtoxinA, 1 unit",
        ("CMS-HCPCS",),
        product_code="ONA",
        billing_unit=Decimal(1),
    ),
    Code(
        "J0586",
        "drug",
        "Injection, abobotulinumtoxinA, 5 units",
        ("CMS-HCPCS",),
        product_code="ABO",
        billing_unit=Decimal(5),
    ),
    Code(
        "J0587",
        "drug",
        "Injection, rimabotulinumtoxinB, 100 units",
        ("CMS-HCPCS",),
        product_code="RIMA",
        billing_unit=Decimal(100),
    ),
    Code("JW", "discard_modifier", "Drug amount discarded", ("CMS-JWJZ",)),
    Code("JZ", "no_discard_modifier", "Zero drug amount discarded", ("CMS-JWJZ",)),
    Code("64616", "procedure", "Chemodenervation of neck muscles, unilateral", ("AMA-CPT",)),
    Code("50", "bilateral_modifier", "Bilateral procedure", ("CMS-NCCI-BILAT",)),
    Code("95874", "emg_guidance", "Needle EMG for guidance", ("AMA-CPT",)),
    Code("76942", "ultrasound_guidance", "Ultrasonic guidance", ("AMA-CPT",)),
    Code("G24.3", "diagnosis", "Spasmodic torticollis", ("ICD10CM",)),
]


def facts(
    product="ONA", administered="60", *, sides=("left", "right"), guidance=("anatomical",), vial=None, vials=None, **kw
):
    names = {"ONA": "Botox", "ABO": "Dysport", "RIMA": "Myobloc", "DAXI": "Daxxify"}
    return SessionFacts(
        product_code=product,
        product_name=names[product],
        units_label=f"U {names[product]}",
        administered=Decimal(administered),
        sides=frozenset(sides),
        guidance=frozenset(guidance),
        vial_units=None if vial is None else Decimal(vial),
        vial_count=vials,
        **kw,
    )


def lines(record):
    return [(line.code_text, line.units) for line in record.lines]


def test_botox_units_are_billed_one_for_one_and_the_rest_of_the_vial_is_a_jw_line():
    record = billing_record(facts("ONA", "60", vial=100, vials=1), CODES)
    assert lines(record) == [("J0585", 60), ("J0585-JW", 40), ("64616-50", 1), ("G24.3", None)]
    assert record.notes == ()


def test_dysport_is_counted_in_its_own_5_unit_billing_units_rounding_a_part_unit_up():
    record = billing_record(facts("ABO", "252", vial=300, vials=1), CODES)
    assert lines(record)[:2] == [("J0586", 51), ("J0586-JW", 9)]
    assert "50.4 rounded up" in record.lines[0].explanation
    # The two lines add up to the vial opened, in billing units: the rounding is not counted twice.
    assert 51 + 9 == 300 // 5


def test_myobloc_is_billed_per_100_units_of_myobloc():
    record = billing_record(facts("RIMA", "5000", vial=5000, vials=1), CODES)
    assert lines(record)[0] == ("J0587-JZ", 50)


def test_nothing_discarded_puts_jz_on_the_drug_line_and_no_jw_line():
    record = billing_record(facts("ONA", "200", vial=100, vials=2), CODES)
    assert lines(record)[0] == ("J0585-JZ", 200)
    assert not any("JW" in line.modifiers for line in record.lines)


def test_without_the_vials_recorded_neither_jw_nor_jz_is_guessed_and_the_record_says_why():
    record = billing_record(facts("ONA", "60"), CODES)
    assert lines(record)[0] == ("J0585", 60)
    assert any("vials used are not recorded" in note for note in record.notes)


def test_vials_holding_less_than_was_given_are_not_billed_as_a_negative_discard():
    record = billing_record(facts("ONA", "160", vial=100, vials=1), CODES)
    assert lines(record)[0] == ("J0585", 160)
    assert any("hold less than was administered" in note for note in record.notes)


def test_a_product_without_its_own_code_gets_no_drug_line_and_never_another_products_code():
    record = billing_record(facts("DAXI", "150", vial=100, vials=2), CODES)
    assert [line.code for line in record.lines] == ["64616", "G24.3"]
    assert any("no product-specific billing code for Daxxify" in note for note in record.notes)


@pytest.mark.parametrize(
    ("sides", "expected"),
    [(("left",), ("64616", 1)), (("right",), ("64616", 1)), (("left", "right"), ("64616-50", 1))],
)
def test_the_procedure_is_once_per_side_with_the_bilateral_modifier_for_both(sides, expected):
    record = billing_record(facts("ONA", "60", sides=sides, vial=100, vials=1), CODES)
    procedure = [line for line in record.lines if line.code == "64616"]
    assert [(line.code_text, line.units) for line in procedure] == [expected]


def test_without_a_bilateral_modifier_in_the_data_both_sides_are_two_units():
    codes = [code for code in CODES if code.code != "50"]
    record = billing_record(facts("ONA", "60", vial=100, vials=1), codes)
    assert ("64616", 2) in lines(record)


def test_guidance_add_ons_follow_the_guidance_recorded():
    record = billing_record(facts("ONA", "60", guidance=("emg", "ultrasound", "anatomical"), vial=100, vials=1), CODES)
    assert ("95874", 1) in lines(record) and ("76942", 1) in lines(record)
    plain = billing_record(facts("ONA", "60", vial=100, vials=1), CODES)
    assert not {"95874", "76942"} & {line.code for line in plain.lines}


def test_the_ndc_of_the_vial_travels_on_the_drug_lines():
    record = billing_record(facts("ONA", "60", vial=100, vials=1, ndc="12345-6789-01"), CODES)
    assert [line.ndc for line in record.lines[:2]] == ["12345-6789-01", "12345-6789-01"]
    assert record.lines[2].ndc == ""


def test_each_line_carries_its_source_and_flag():
    record = billing_record(facts("ONA", "60", vial=100, vials=1), CODES)
    assert record.lines[0].sources == ("CMS-HCPCS",)
    assert record.unverified  # every code here is unverified


def test_billed_units_round_a_part_unit_up():
    assert billed_units(Decimal("7.5"), Decimal(5)) == 2
    assert billed_units(Decimal(10), Decimal(5)) == 2
    assert billed_units(Decimal("0.5"), Decimal(1)) == 1


def test_cost_is_the_vials_opened_and_the_discarded_share_of_them():
    cost = session_cost(
        administered=Decimal(60), vial_units=Decimal(100), vial_count=1, price=Decimal("600.00"), currency="USD"
    )
    assert (cost.drug, cost.discarded, cost.currency) == (Decimal("600.00"), Decimal("240.00"), "USD")


def test_no_price_or_no_vials_means_no_cost():
    assert (
        session_cost(administered=Decimal(60), vial_units=Decimal(100), vial_count=1, price=None, currency="") is None
    )
    assert (
        session_cost(administered=Decimal(60), vial_units=None, vial_count=None, price=Decimal(1), currency="USD")
        is None
    )
