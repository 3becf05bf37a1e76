"""The read-only reference pages: who may open them, what they show, and how many queries they cost."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from planner import models as ref
from tests.planner.factories_reference import (
    DoseFactory,
    MuscleFactory,
    RuleFactory,
    SourceFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_reference")]

PAGES = [
    reverse("reference:index"),
    reverse("reference:muscles"),
    reverse("reference:products"),
    reverse("reference:product", args=["ONA"]),
    reverse("reference:sources"),
]


def text(response):
    """The page's text with tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    "persona,status",
    [("anonymous", 302), ("no_role", 403), ("nurse", 200), ("neurologist", 200), ("reference_admin", 200)],
)
def test_every_clinical_role_may_read_the_reference_pages(client_for, url, persona, status):
    response = client_for(persona).get(url)
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_reference_pages_are_read_only(client_for, url, method):
    assert getattr(client_for("nurse"), method)(url).status_code == 405


def test_the_pattern_page_shows_each_pattern_with_rules_doses_sources_and_flags(client_for):
    page = text(client_for("nurse").get(reverse("reference:index")))

    assert "Torticaput TORTICAPUT" in page
    assert "Combines Laterocollis (ipsilateral) + Laterocaput (contralateral)" in page
    assert "0 of 62 rules have been reviewed by a clinician" in page
    # The trapezius conflict is shown as a conflict, not as a side.
    assert "side unresolved Sources disagree: the clinician decides the side." in page
    assert "needs review" in page
    # Dose ranges per product, each in its own units, with their flags.
    assert "50–350 U Dysport (median 125)" in page
    assert "25–100 U Botox" in page
    assert "median 25 U Xeomin (IQR 17–35) IQR unverified" in page
    assert "unverified" in page and "partly verified" in page and "verified in source" in page
    assert "Record baseline dysphagia" in page


def test_an_unverified_dose_is_never_shown_without_its_badge(client_for):
    html = client_for("nurse").get(reverse("reference:index")).content.decode()
    for block in re.findall(r'<div class="ref-dose">(.*?)</div>', html, re.S):
        if "U Botox" in block and "Label per-muscle table" in block:
            assert 'ref-flag-unverified">unverified' in block


def test_a_reviewed_rule_says_who_reviewed_it(client_for, reference_admin):
    rule = ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="SCM")
    rule.reviewed_by = reference_admin
    reference_admin.first_name, reference_admin.last_name = "Rita", "Reference"
    reference_admin.save()
    rule.reviewed_at = "2026-11-20T10:00:00Z"
    rule.save()

    page = text(client_for("nurse").get(reverse("reference:index")))

    assert "reviewed by Rita Reference, 20 Nov 2026" in page
    assert "1 of 62 rules have been reviewed" in page


def test_the_muscle_page_lists_guidance_patterns_and_doses(client_for):
    page = text(client_for("neurologist").get(reverse("reference:muscles")))
    assert "Levator scapulae LEVATOR_SCAPULAE" in page
    assert "Caution: May raise the risk of URI and dysphagia (D12)" in page
    assert "Shoulder elevation : ipsilateral, primary" in page
    assert "No rule suggests it" in page  # the platysma


def test_the_products_page_shows_the_limits_the_checks_apply(client_for):
    page = text(client_for("nurse").get(reverse("reference:products")))
    assert "300 U Botox (EU-type / Gulf PI)" in page
    assert "400 U Botox per 12 weeks" in page
    assert "D1 verified in source" in page
    assert "1000 U Dysport" in page


def test_reference_pages_show_one_table_per_product_with_every_check_and_no_blank_cell(client_for):
    response = client_for("nurse").get(reverse("reference:products"))
    html = response.content.decode()
    page = text(response)
    for code in ("ONA", "ABO", "INCO", "RIMA", "DAXI"):
        assert f'id="checks-{code}"' in html
    assert html.count("<td></td>") == 0
    # Daxxify: its labelled maximum, the clinic's ceiling above it, and the clinic's interval, flagged so.
    assert "Labelled maximum per session 250 U Daxxify" in page
    assert "Hard ceiling per session 300 U Daxxify clinic policy" in page
    assert "12 weeks clinic policy" in page
    # A missing fact says so, and what the planner does instead.
    assert "Sourced doses per muscle not labelled Instead: no sourced dose for any muscle; every row warns" in page
    assert "Use within, after reconstitution not labelled Instead: no use-by time is checked." in page
    # The clinic-policy thresholds.
    assert "Dose above this multiple of a sourced median 2 clinic policy" in page
    assert "Smallest plausible volume per site (mL) 0.05 clinic policy" in page
    assert "Usual cycle where the label gives no minimum interval (weeks) 12 clinic policy" in page
    assert "default used" not in page


def test_a_policy_setting_without_an_active_row_is_listed_as_default_used(client_for):
    setting = ref.PolicySetting.objects.get(code="lapsed_after_days")
    setting.is_active = False
    setting.save()
    page = text(client_for("nurse").get(reverse("reference:products")))
    assert (
        "Overdue and not booked for more than this: lapsed (days) 365 default used clinic policy "
        "The reference data has no active setting “overdue and not booked for more than this: lapsed (days)” "
        "(lapsed_after_days) from 1 to 3650; the built-in 365 applies."
    ) in page


def test_a_product_page_speaks_only_its_own_units(client_for):
    page = text(client_for("nurse").get(reverse("reference:product", args=["ABO"])))
    assert "Every dose on this page is in units of Dysport (U Dysport)" in page
    assert "never converted" in page
    assert "U Dysport" in page
    for other in ("U Botox", "U Xeomin", "U Daxxify", "U Myobloc"):
        assert other not in page


def test_the_product_page_lists_every_labelled_limit_with_its_jurisdiction(client_for):
    page = text(client_for("nurse").get(reverse("reference:product", args=["ONA"])))
    assert "Maximum per session EU-type / Gulf PI 300 U Botox" in page
    assert "Maximum per session US label not labelled" in page
    assert "Minimum re-treatment interval US label not labelled" in page


def test_the_calculator_opens_on_a_worked_example(client_for):
    page = text(client_for("nurse").get(reverse("reference:product", args=["ONA"])))
    assert "4 U Botox per 0.1 mL (40 per mL)" in page  # 50 U in 1.25 mL, the first listed dilution
    assert "This vial and volume are in the product's dilution table: D11" in page


def test_the_calculator_computes_strength_and_volume_from_get_parameters(client_for):
    url = reverse("reference:product", args=["ONA"])
    page = text(client_for("nurse").get(url, {"vial_units": "100", "diluent_ml": "2.5", "dose_units": "7.5"}))
    assert "4 U Botox per 0.1 mL" in page
    assert "Volume to draw for 7.5 U Botox 0.19 mL (exactly 0.1875 mL)" in page


def test_a_dilution_outside_the_table_is_computed_but_flagged(client_for):
    url = reverse("reference:product", args=["ABO"])
    page = text(client_for("nurse").get(url, {"vial_units": "500", "diluent_ml": "3"}))
    assert "16.67 U Dysport per 0.1 mL" in page
    assert "Not in the product's dilution table." in page


def test_a_ready_to_use_solution_is_diluted_by_the_saline_added(client_for):
    url = reverse("reference:product", args=["RIMA"])
    page = text(client_for("nurse").get(url, {"vial_units": "5000", "diluent_ml": "1", "dose_units": "250"}))
    assert "250 U Myobloc / NeuroBloc per 0.1 mL (2500 per mL)" in page
    assert "0.1 mL" in page


@pytest.mark.parametrize(
    "params,message",
    [
        (
            {"vial_units": "100", "diluent_ml": "-1"},
            "Diluent (mL of 0.9% saline): Ensure this value is greater than or equal to 0.",
        ),
        ({"vial_units": "100", "diluent_ml": "0"}, "A powder needs diluent"),
        ({"vial_units": "100", "diluent_ml": "2", "dose_units": "150"}, "More than one vial holds (100 U)"),
        ({"vial_units": "150", "diluent_ml": "2"}, "Select a valid choice."),
        ({"vial_units": "100", "diluent_ml": "lots"}, "Enter a number."),
    ],
)
def test_bad_calculator_input_gets_a_message_at_the_field(client_for, params, message):
    response = client_for("nurse").get(reverse("reference:product", args=["ONA"]), params)
    assert response.status_code == 200
    assert message in text(response)
    assert 'aria-invalid="true"' in response.content.decode()


def test_htmx_gets_only_the_calculator_result(client_for):
    response = client_for("nurse").get(
        reverse("reference:product", args=["INCO"]),
        {"vial_units": "100", "diluent_ml": "2", "dose_units": "20"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="calculator-result"')
    assert "<html" not in html
    assert "Volume to draw for 20 U Xeomin 0.4 mL" in text(response)


def test_a_product_without_a_known_dilution_opens_without_a_calculation(client_for):
    page = text(client_for("nurse").get(reverse("reference:product", args=["DAXI"])))
    assert "Choose a vial and a diluent volume." in page
    assert "label CD dilution table not retrieved" in page


def test_an_unknown_or_inactive_product_is_not_found(client_for):
    assert client_for("nurse").get(reverse("reference:product", args=["BOTOX"])).status_code == 404
    daxi = ref.Product.objects.get(code="DAXI")
    daxi.is_active = False
    daxi.save()  # reference tables refuse queryset updates: history must see every change
    assert client_for("nurse").get(reverse("reference:product", args=["DAXI"])).status_code == 404


def test_inactive_rules_are_not_shown(client_for):
    for rule in ref.SuggestionRule.objects.filter(pattern__code="SHOULDER_ELEVATION"):
        rule.is_active = False
        rule.save()
    html = client_for("nurse").get(reverse("reference:index")).content.decode()
    section = html.split('id="pattern-SHOULDER_ELEVATION"')[1].split("</section>")[0]
    assert "No active rules for this pattern." in section


def test_the_sources_page_lists_every_citation_with_an_anchor(client_for):
    html = client_for("nurse").get(reverse("reference:sources")).content.decode()
    assert 'id="source-D14"' in html
    assert 'id="source-COLCAP-TABLES"' in html
    assert "https://www.drugs.com/dosage/abobotulinumtoxina.html" in html


def test_the_navigation_offers_the_reference_pages_by_permission(client_for):
    nurse_home = client_for("nurse").get(reverse("home")).content.decode()
    assert reverse("reference:index") in nurse_home
    assert "Curate reference data" not in nurse_home
    admin_home = client_for("reference_admin").get(reverse("home")).content.decode()
    assert "Curate reference data" in admin_home


def queries_for(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize("url", PAGES)
def test_the_query_count_does_not_grow_with_the_data(client_for, url, django_assert_max_num_queries):
    client = client_for("nurse")
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(25):  # about 10 for session, user and permissions; the rest prefetches
        before = queries_for(client, url)

    # More of everything the pages show.
    source = SourceFactory(code="EXTRA")
    for number in range(5):
        muscle = MuscleFactory(code=f"EXTRA_{number}", sources=[source])
        RuleFactory(pattern=ref.PosturePattern.objects.get(code="TORTICOLLIS"), muscle=muscle, sources=[source])
        DoseFactory(product=ref.Product.objects.get(code="ONA"), muscle=muscle, sources=[source])
    ref.Caution.objects.create(code="EXTRA", text="extra").sources.add(source)

    assert queries_for(client, url) == before
