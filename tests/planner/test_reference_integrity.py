"""The shipped reference set, once loaded: complete, consistent, and faithful to the sourced YAML."""

from decimal import Decimal

import pytest

from patients import colcap
from patients.sides import RelativeSide
from planner import models as ref
from planner.reference.dilution import strength
from planner.reference.loader import FLAGS, read_shipped

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_reference")]

DATA, CURATION = read_shipped()


def test_every_rule_points_at_a_pattern_and_muscle_that_exist_and_are_active():
    for rule in ref.SuggestionRule.objects.select_related("pattern", "muscle"):
        assert rule.pattern.is_active and rule.muscle.is_active, rule


def test_every_combined_pattern_lists_components_that_exist():
    combined = ref.PosturePattern.objects.filter(level=ref.PosturePattern.Level.COMBINED)
    assert set(combined.values_list("code", flat=True)) == {
        "LATERAL_SHIFT",
        "SAGITTAL_SHIFT_FORWARD",
        "SAGITTAL_SHIFT_BACKWARD",
    }
    for pattern in combined:
        parts = {(part.component.code, part.side) for part in pattern.components.select_related("component")}
        assert len(parts) == 2, pattern
        for code, _side in parts:
            assert ref.PosturePattern.objects.filter(code=code).exclude(level="combined").exists()
    lateral_shift = ref.PosturePattern.objects.get(code="LATERAL_SHIFT")
    assert {(part.component.code, part.side) for part in lateral_shift.components.all()} == {
        ("LATEROCOLLIS", "ipsilateral"),
        ("LATEROCAPUT", "contralateral"),
    }


@pytest.mark.parametrize("kind", ref.ProductLimit.REQUIRED_KINDS)
def test_every_product_has_each_limit_the_safety_checks_need_or_an_explicit_not_labelled(kind):
    for product in ref.Product.objects.all():
        limits = list(product.limits.filter(kind=kind))
        assert limits, f"{product.code} has no {kind} row"
        for limit in limits:
            assert limit.value is not None or limit.note.startswith(("Not labelled", "No number", "Not found")), limit
            assert limit.sources.exists(), limit


def test_the_patterns_are_the_col_cap_vocabulary_with_its_directions():
    patterns = {pattern.code: pattern for pattern in ref.PosturePattern.objects.all()}
    assert set(patterns) == set(colcap.BY_CODE)
    for code, component in colcap.BY_CODE.items():
        assert patterns[code].takes_direction == component.lateral, code
    assert patterns["SHOULDER_ELEVATION"].level == ref.PosturePattern.Level.SHOULDER


def test_sternocleidomastoid_scalenes_and_levator_scapulae_exist_with_their_rules():
    expected = {
        "SCM": {"TORTICAPUT", "TORTICOLLIS", "LATEROCAPUT", "ANTEROCOLLIS", "LATERAL_SHIFT", "TREMOR_YES_YES"},
        "SCALENUS_MEDIUS": {"LATEROCOLLIS", "LATERAL_SHIFT"},
        "SCALENUS_ANTERIOR": {"LATEROCOLLIS", "ANTEROCOLLIS"},
        "SCALENUS_POSTERIOR": {"LATEROCOLLIS"},
        "LEVATOR_SCAPULAE": {"TORTICOLLIS", "LATEROCOLLIS", "RETROCOLLIS", "LATERAL_SHIFT", "SHOULDER_ELEVATION"},
    }
    for code, patterns in expected.items():
        muscle = ref.Muscle.objects.get(code=code)
        assert patterns <= set(muscle.rules.values_list("pattern__code", flat=True)), code
    # The torticaput SCM is the contralateral one: it turns the face away from its own side.
    assert ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="SCM").side == "contralateral"


def test_no_rule_suggests_a_shoulder_muscle_the_sources_do_not_name():
    """The deltoid and infraspinatus of one calculator's cervical dystonia list are not neck muscles."""
    assert not ref.Muscle.objects.filter(code__in=["DELTOID", "INFRASPINATUS"]).exists()


def test_the_trapezius_conflict_in_torticaput_stays_unresolved_and_flagged():
    rule = ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="TRAPEZIUS_UPPER")
    assert rule.side == RelativeSide.UNRESOLVED
    assert rule.needs_review
    assert "S17 says the trapezius turns the head to the opposite side" in rule.note
    assert set(rule.sources.values_list("code", flat=True)) == {"S6a", "S17"}


def loaded_flags():
    flags = {}
    for rule in ref.SuggestionRule.objects.select_related("pattern", "muscle"):
        flags["rules", rule.pattern.code, rule.muscle.code, rule.side] = rule.verification
    for dose in ref.DoseGuideline.objects.select_related("product", "muscle"):
        flags["doses", dose.product.code, dose.muscle.code, dose.kind] = dose.verification
    for section, model in (("muscles", ref.Muscle), ("patterns", ref.PosturePattern), ("warnings", ref.Caution)):
        for row in model.objects.all():
            flags[section, row.code] = row.verification
    return flags


def shipped_key(section, row):
    if section == "rules":
        return section, row["pattern"], row["muscle"], row["side"]
    if section == "doses":
        return section, row["product"], row["muscle"], row["kind"]
    return section, row["code"]


@pytest.mark.parametrize("section", ["rules", "doses", "muscles", "patterns", "warnings"])
def test_every_flag_is_carried_over_as_shipped(section):
    flags = loaded_flags()
    for row in DATA[section]:
        assert flags[shipped_key(section, row)] == FLAGS[row["flag"]], row


def test_unverified_values_stay_unverified_and_rules_without_a_retrieved_source_cite_the_recollection():
    unsourced = [row for row in DATA["rules"] if not row["sources"]]
    assert len(unsourced) == 11
    cited = ref.SuggestionRule.objects.filter(sources__code="COLCAP-TABLES")
    assert cited.count() == 11
    assert set(cited.values_list("verification", flat=True)) == {ref.Verification.UNVERIFIED}
    # The Botox per-muscle numbers were recalled, not read: unverified.
    assert set(
        ref.DoseGuideline.objects.filter(product__code="ONA", kind="label_table").values_list("verification", flat=True)
    ) == {ref.Verification.UNVERIFIED}
    # Xeomin medians partly verified, their IQRs unverified.
    scm = ref.DoseGuideline.objects.get(product__code="INCO", muscle__code="SCM")
    assert (scm.verification, scm.iqr_verification) == ("partly_verified", "unverified")
    assert (scm.median_units, scm.iqr_low, scm.iqr_high, scm.min_units) == (25, 17, 35, None)


def test_every_cited_source_exists_and_every_rule_dose_and_limit_cites_one():
    for model in (ref.SuggestionRule, ref.DoseGuideline, ref.ProductLimit, ref.Caution, ref.PolicySetting):
        assert not model.objects.filter(sources__isnull=True).exists(), model.__name__
    cited = {code for row in DATA["rules"] for code in row["sources"]}
    cited |= {row["source"] for row in DATA["doses"]}
    cited |= {code for row in CURATION["product_limits"] for code in row["sources"]}
    assert cited <= set(ref.Source.objects.values_list("code", flat=True))


def test_the_curated_limits_agree_with_the_numbers_in_the_yaml():
    products = {product["code"]: product for product in DATA["products"]}

    def limit(code, kind, jurisdiction="all"):
        return ref.ProductLimit.objects.get(product__code=code, kind=kind, jurisdiction=jurisdiction)

    assert limit("ONA", "session_max", "eu_gulf").value == products["ONA"]["session_max_units"]["eu_gulf_pi"]
    assert limit("ONA", "session_max", "us").value is None
    ona_cumulative = limit("ONA", "cumulative_max", "us")
    assert (ona_cumulative.value, ona_cumulative.period_weeks) == (
        400,
        products["ONA"]["cumulative_max"]["period_weeks"],
    )
    assert limit("ONA", "min_interval_weeks", "eu_gulf").value == products["ONA"]["min_interval_weeks"]["eu_gulf_pi"]
    assert limit("ONA", "min_interval_weeks", "us").value is None
    assert limit("ABO", "naive_start_dose").value == products["ABO"]["start_dose_units"]
    assert limit("ABO", "titration_step").value == products["ABO"]["titration_step_units"]
    assert [limit("ABO", "session_range_min").value, limit("ABO", "session_range_max").value] == products["ABO"][
        "session_range_units"
    ]
    assert limit("ABO", "min_interval_weeks").value == products["ABO"]["min_interval_weeks"]
    assert limit("INCO", "naive_start_dose").value == products["INCO"]["start_dose_units"]
    assert limit("INCO", "session_max").value == products["INCO"]["session_max_units"]
    assert limit("INCO", "min_interval_weeks", "us").value == products["INCO"]["min_interval_weeks"]["us"]
    assert limit("INCO", "min_interval_weeks", "eu").value == products["INCO"]["min_interval_weeks"]["eu"]
    assert limit("RIMA", "min_interval_weeks").value == products["RIMA"]["min_interval_weeks"]
    rima_start = limit("RIMA", "start_dose")
    assert [rima_start.value, rima_start.value_upper] == products["RIMA"]["start_dose_units"]["tolerant"]
    assert [limit("DAXI", "session_range_min").value, limit("DAXI", "session_range_max").value] == products["DAXI"][
        "session_range_units"
    ]
    daxi_step = limit("DAXI", "titration_step")
    assert [daxi_step.value, daxi_step.value_upper] == products["DAXI"]["titration_step_units"]
    # The YAML has no Daxxify interval: the curated row is the clinic's, flagged so and unverified.
    assert products["DAXI"]["min_interval_weeks"] is None
    daxi_interval = limit("DAXI", "min_interval_weeks")
    assert daxi_interval.value == 12 and daxi_interval.clinic_policy and daxi_interval.verification == "unverified"


def test_the_effective_limits_are_the_most_conservative_labels():
    ona = ref.Product.objects.get(code="ONA")
    assert ona.effective_limit("session_max").value == 300  # EU/Gulf PI; no US value was found
    assert ona.effective_limit("cumulative_max").period_weeks == 12
    inco = ref.Product.objects.get(code="INCO")
    interval = inco.effective_limit("min_interval_weeks")
    assert (interval.value, interval.jurisdiction, interval.sources) == (12, "us", ("D6",))
    daxi = ref.Product.objects.get(code="DAXI").effective_limit("min_interval_weeks")
    assert daxi.value == 12 and not daxi.is_established
    assert daxi.note.startswith("Clinic policy") and "CLINIC-POLICY" in daxi.sources


def test_every_product_has_a_clinic_policy_hard_ceiling_at_or_above_its_labelled_maximum():
    for product in ref.Product.objects.all():
        ceiling = product.limits.get(kind="hard_ceiling")
        assert ceiling.clinic_policy and ceiling.value is not None, product
        assert {"CLINIC-POLICY"} < set(ceiling.sources.values_list("code", flat=True)), product
        assert ceiling.value >= product.effective_limit("session_max").value, product


def test_daxxify_ceiling_leaves_room_for_an_override_above_its_labelled_250_units():
    daxi = ref.Product.objects.get(code="DAXI")
    assert daxi.effective_limit("session_max").value == 250
    assert daxi.effective_limit("hard_ceiling").value == 300
    assert daxi.limits.get(kind="hard_ceiling").verification == "unverified"  # no source reports above 250 U


def test_the_shipped_hard_ceilings_and_session_maxima_per_product():
    expected = {
        "ONA": (300, 500),
        "ABO": (1000, 1000),
        "INCO": (400, 400),
        "RIMA": (5000, 10000),
        "DAXI": (250, 300),
    }
    for code, (session_max, ceiling) in expected.items():
        product = ref.Product.objects.get(code=code)
        assert product.effective_limit("session_max").value == session_max, code
        assert product.effective_limit("hard_ceiling").value == ceiling, code


def test_every_product_has_an_interval_and_an_scm_caution_row():
    for product in ref.Product.objects.all():
        assert product.effective_limit("min_interval_weeks").value is not None, product
        scm_cautions = ref.Caution.objects.filter(muscle__code="SCM", products=product, code__startswith="SCM_DOSE_CAP")
        assert scm_cautions.count() == 1, product


def test_every_policy_setting_is_loaded_with_a_source_and_a_note():
    values = {setting.code: setting.value for setting in ref.PolicySetting.objects.all()}
    assert values == {
        "near_session_max_fraction": Decimal("0.8"),
        "min_volume_per_site_ml": Decimal("0.05"),
        "max_volume_per_site_ml": Decimal("1"),
        "median_multiple_warning": Decimal("2"),
        "usual_cycle_weeks": Decimal("12"),
        "lapsed_after_days": Decimal("365"),
        "outside_toxin_window_weeks": Decimal("12"),
    }
    for setting in ref.PolicySetting.objects.all():
        assert setting.note.startswith("Clinic policy") and setting.sources.exists(), setting


def test_the_codes_fallbacks_are_the_shipped_policy_settings():
    from planner.rules.policy import SETTING_FALLBACKS

    # One fallback per setting the model knows, equal to what is shipped: a missing row changes nothing
    # but the "default used" the app then shows.
    assert set(SETTING_FALLBACKS) == set(ref.PolicySetting.Code.values)
    assert {setting.code: setting.value for setting in ref.PolicySetting.objects.all()} == SETTING_FALLBACKS


def test_every_listed_dilution_computes_to_the_strength_the_yaml_lists():
    solutions = {row["code"]: row.get("concentration_units_per_ml") for row in DATA["products"]}
    for row in DATA["dilution"]["table"]:
        if row["units_per_0_1_ml"] is None:
            continue
        computed = strength(
            vial_units=row["vial_units"],
            diluent_ml=row["diluent_ml"],
            supplied_units_per_ml=solutions[row["product"]],
        ).per_0_1_ml
        assert computed == Decimal(str(row["units_per_0_1_ml"])), row
    for volume in ref.DiluentVolume.objects.select_related("product"):
        listed = next(
            row["units_per_0_1_ml"]
            for row in DATA["dilution"]["table"]
            if row["product"] == volume.product.code
            and row["diluent_ml"] == (None if volume.diluent_ml is None else float(volume.diluent_ml))
            and row["vial_units"] == (None if volume.vial_units is None else int(volume.vial_units))
        )
        expected = None if listed is None else Decimal(str(listed))
        assert volume.units_per_0_1_ml == expected, volume


def test_the_cautions_the_safety_checks_cite_are_there():
    cap = ref.Caution.objects.get(code="SCM_DOSE_CAP_ONA")
    assert (cap.threshold_units, cap.muscle.code, [p.code for p in cap.products.all()]) == (100, "SCM", ["ONA"])
    assert cap.threshold_text == "100 U Botox"
    assert ref.Caution.objects.get(code="SCM_ANTEROCOLLIS_HALF").pattern.code == "ANTEROCOLLIS"
    assert ref.Caution.objects.get(code="LEVATOR_URI_DYSPHAGIA").muscle.code == "LEVATOR_SCAPULAE"
    assert {p.code for p in ref.Caution.objects.get(code="SCM_LIMIT_ALL").products.all()} == {"ABO", "DAXI"}


def test_products_carry_their_vials_form_and_concentration():
    rima = ref.Product.objects.get(code="RIMA")
    assert (rima.vial_sizes, rima.form, rima.concentration_units_per_ml) == ([2500, 5000, 10000], "solution", 5000)
    assert ref.Product.objects.get(code="ONA").vial_sizes == [50, 100, 200]
    assert set(ref.Product.objects.filter(form="powder").values_list("code", flat=True)) == {
        "ONA",
        "ABO",
        "INCO",
        "DAXI",
    }
