"""planner.rules.suggest: candidate muscles from a posture, checked against the shipped reference data.

The expected candidates below were written by hand from the YAML's rules table (not computed
from it), for every Col-Cap pattern and for the combinations the clinic sees most.
"""

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients.colcap import COMPONENTS, Direction
from planner.rules.suggest import (
    PRESELECTABLE,
    CombinedPart,
    CombinedPattern,
    DoseRange,
    PostureComponent,
    Priority,
    Product,
    RelativeSide,
    Rule,
    Side,
    Verification,
    expand_components,
    format_number,
    suggest_muscles,
)
from tests.planner.reference_fixtures import COMBINED_PATTERNS, DOSE_RANGES, PRODUCTS, RULES

BOTOX = PRODUCTS["ONA"]
DYSPORT = PRODUCTS["ABO"]
XEOMIN = PRODUCTS["INCO"]
LATERAL = {component.code for component in COMPONENTS if component.lateral}


def component(code, direction="", severity=1):
    return PostureComponent(code=code, direction=direction, severity=severity)


def suggest(*components, product=BOTOX, rules=RULES):
    return suggest_muscles(
        components=components,
        rules=rules,
        combined_patterns=COMBINED_PATTERNS,
        product=product,
        dose_ranges=DOSE_RANGES,
    )


def summary(candidates):
    """{(muscle code, side, preselected)} for comparing with the hand-written tables."""
    return {(candidate.muscle_code, candidate.side.value, candidate.preselect) for candidate in candidates}


def expected(*entries):
    """'SCM L*' is left SCM preselected; 'LR' is both sides; no star: shown but not preselected."""
    result = set()
    for entry in entries:
        muscle, sides = entry.split()
        preselect = sides.endswith("*")
        for letter in sides.rstrip("*"):
            result.add((muscle, {"L": "left", "R": "right"}[letter], preselect))
    return result


def find(candidates, muscle_code, side):
    matches = [c for c in candidates if c.muscle_code == muscle_code and c.side == side]
    assert len(matches) == 1, f"{muscle_code} {side}: {len(matches)} candidates"
    return matches[0]


# Direction right (or none, for the sagittal patterns), from the YAML's rules by hand.
EXPECTED_RIGHT = {
    "TORTICAPUT": expected(
        "SPLENIUS_CAPITIS R*",
        "SCM L*",
        "OBLIQUUS_CAPITIS_INFERIOR R*",
        "RECTUS_CAPITIS_POSTERIOR_MAJOR R",
        "SEMISPINALIS_CAPITIS R",
        "TRAPEZIUS_UPPER LR",
        "LONGISSIMUS_CAPITIS R",
    ),
    "TORTICOLLIS": expected(
        "LEVATOR_SCAPULAE R*",
        "SPLENIUS_CERVICIS R*",
        "LONGISSIMUS_CERVICIS R",
        "SEMISPINALIS_CERVICIS L",
        "SCM L",
    ),
    "LATEROCAPUT": expected(
        "SCM R*",
        "SPLENIUS_CAPITIS R*",
        "TRAPEZIUS_UPPER R",
        "SEMISPINALIS_CAPITIS R",
        "LONGISSIMUS_CAPITIS R",
    ),
    "LATEROCOLLIS": expected(
        "LEVATOR_SCAPULAE R*",
        "SCALENUS_MEDIUS R*",
        "SCALENUS_ANTERIOR R*",
        "SCALENUS_POSTERIOR R",
        "SPLENIUS_CERVICIS R",
        "SEMISPINALIS_CERVICIS R",
        "LONGISSIMUS_CERVICIS R",
    ),
    "ANTEROCAPUT": expected("LONGUS_CAPITIS LR*", "SUBMENTAL_COMPLEX LR*"),
    "ANTEROCOLLIS": expected("LONGUS_COLLI LR*", "SCM LR*", "SCALENUS_ANTERIOR LR"),
    "RETROCAPUT": expected(
        "SPLENIUS_CAPITIS LR*",
        "SEMISPINALIS_CAPITIS LR*",
        "RECTUS_CAPITIS_POSTERIOR_MAJOR LR",
        "TRAPEZIUS_UPPER LR",
        "OBLIQUUS_CAPITIS_SUPERIOR LR",
    ),
    # Both primaries are unverified (U): shown as primary, never preselected.
    "RETROCOLLIS": expected(
        "SPLENIUS_CERVICIS LR",
        "SEMISPINALIS_CERVICIS LR",
        "LEVATOR_SCAPULAE LR",
        "LONGISSIMUS_CERVICIS LR",
        "ERECTOR_SPINAE_UPPER_THORACIC LR",
    ),
    # Own rules to the right, plus laterocollis to the right and laterocaput to the left.
    "LATERAL_SHIFT": expected(
        "LEVATOR_SCAPULAE R*",
        "SCALENUS_MEDIUS R*",
        "SCM L*",
        "SPLENIUS_CAPITIS L*",
        "SCALENUS_ANTERIOR R*",
        "SCALENUS_POSTERIOR R",
        "SPLENIUS_CERVICIS R",
        "SEMISPINALIS_CERVICIS R",
        "LONGISSIMUS_CERVICIS R",
        "TRAPEZIUS_UPPER L",
        "SEMISPINALIS_CAPITIS L",
        "LONGISSIMUS_CAPITIS L",
    ),
    # Own rules plus anterocollis and retrocaput, all bilateral. The shift's own rules rate SCM and longus
    # colli secondary: anterocollis, expanded from it, never upgrades them (issue 14).
    "SAGITTAL_SHIFT_FORWARD": expected(
        "SPLENIUS_CAPITIS LR*",
        "SEMISPINALIS_CAPITIS LR*",
        "SCM LR",
        "LONGUS_COLLI LR",
        "SCALENUS_ANTERIOR LR",
        "RECTUS_CAPITIS_POSTERIOR_MAJOR LR",
        "TRAPEZIUS_UPPER LR",
        "OBLIQUUS_CAPITIS_SUPERIOR LR",
    ),
    # Own rules plus anterocaput and retrocollis, all bilateral.
    "SAGITTAL_SHIFT_BACKWARD": expected(
        "SUBMENTAL_COMPLEX LR*",
        "LONGUS_CAPITIS LR*",
        "LONGUS_COLLI LR",
        "SCM LR",
        "SPLENIUS_CERVICIS LR",
        "SEMISPINALIS_CERVICIS LR",
        "LEVATOR_SCAPULAE LR",
        "LONGISSIMUS_CERVICIS LR",
        "ERECTOR_SPINAE_UPPER_THORACIC LR",
    ),
    "SHOULDER_ELEVATION": expected("LEVATOR_SCAPULAE R*", "TRAPEZIUS_UPPER R*"),
    "TREMOR_NO_NO": expected(
        "OBLIQUUS_CAPITIS_INFERIOR LR*",
        "SPLENIUS_CAPITIS LR",
        "SEMISPINALIS_CAPITIS LR",
        "LEVATOR_SCAPULAE LR",
        "LONGISSIMUS_CAPITIS LR",
    ),
    "TREMOR_YES_YES": expected(
        "SEMISPINALIS_CAPITIS LR*",
        "SCM LR*",
        "SPLENIUS_CAPITIS LR",
        "LEVATOR_SCAPULAE LR",
        "LONGISSIMUS_CAPITIS LR",
    ),
}


def mirrored(entries):
    swap = {"left": "right", "right": "left"}
    return {(muscle, swap[side], preselect) for muscle, side, preselect in entries}


def test_the_expected_tables_cover_every_col_cap_component():
    assert set(EXPECTED_RIGHT) == {component.code for component in COMPONENTS}


@pytest.mark.parametrize("code", sorted(EXPECTED_RIGHT))
def test_each_col_cap_pattern_suggests_the_muscles_the_reference_data_names(code):
    direction = "right" if code in LATERAL else ""
    assert summary(suggest(component(code, direction))) == EXPECTED_RIGHT[code]


@pytest.mark.parametrize("code", sorted(LATERAL))
def test_each_lateral_pattern_to_the_left_suggests_the_mirror_image(code):
    assert summary(suggest(component(code, "left"))) == mirrored(EXPECTED_RIGHT[code])


def test_a_reason_says_muscle_side_relation_priority_pattern_and_severity():
    scm = find(suggest(component("TORTICAPUT", "right", 3)), "SCM", Side.LEFT)
    assert [reason.text for reason in scm.reasons] == [
        "left sternocleidomastoid: contralateral, primary, for right torticaput, severity 3"
    ]
    reason = scm.reasons[0]
    assert (reason.pattern_code, reason.direction, reason.severity) == ("TORTICAPUT", Direction.RIGHT, 3)
    assert reason.rule.source_codes == ("S6a", "S14", "S15")


def test_candidates_rank_primary_first_then_preselected_then_muscle_code_and_side():
    candidates = suggest(component("TORTICAPUT", "right", 3))
    assert [(c.muscle_code, c.side.value) for c in candidates] == [
        ("OBLIQUUS_CAPITIS_INFERIOR", "right"),
        ("SCM", "left"),
        ("SPLENIUS_CAPITIS", "right"),
        ("LONGISSIMUS_CAPITIS", "right"),
        ("RECTUS_CAPITIS_POSTERIOR_MAJOR", "right"),
        ("SEMISPINALIS_CAPITIS", "right"),
        ("TRAPEZIUS_UPPER", "left"),
        ("TRAPEZIUS_UPPER", "right"),
    ]


def test_more_severe_components_rank_first_within_a_priority():
    candidates = suggest(component("TORTICAPUT", "right", 1), component("TORTICOLLIS", "left", 4))
    primaries = [(c.muscle_code, c.side.value, c.severity) for c in candidates if c.priority is Priority.PRIMARY]
    assert primaries == [
        ("LEVATOR_SCAPULAE", "left", 4),
        ("SPLENIUS_CERVICIS", "left", 4),
        ("OBLIQUUS_CAPITIS_INFERIOR", "right", 1),
        ("SCM", "left", 1),
        ("SPLENIUS_CAPITIS", "right", 1),
    ]


def test_the_unresolved_trapezius_rule_gives_both_sides_flagged_as_conflicting_with_its_note():
    candidates = suggest(component("TORTICAPUT", "left", 2))
    for side in Side:
        trapezius = find(candidates, "TRAPEZIUS_UPPER", side)
        assert trapezius.conflict and trapezius.needs_review and not trapezius.preselect
        (reason,) = trapezius.reasons
        assert not reason.resolved
        assert "side unresolved" in reason.text and "sources conflict" in reason.text
        assert reason.text.endswith("S6a says ipsilateral; S17 says the trapezius turns the head to the opposite side")


def test_unverified_primary_rules_are_shown_as_primary_and_unverified_but_not_preselected():
    candidates = suggest(component("RETROCOLLIS", "", 2))
    splenius = find(candidates, "SPLENIUS_CERVICIS", Side.LEFT)
    assert splenius.priority is Priority.PRIMARY
    assert splenius.verification is Verification.UNVERIFIED
    assert not splenius.preselect
    assert (
        splenius.reasons[0].text
        == "left splenius cervicis: bilateral, primary, for retrocollis, severity 2 (unverified)"
    )


def test_a_primary_rule_marked_for_review_is_never_preselected():
    rule = Rule(
        pattern_code="TORTICAPUT",
        muscle_code="SPLENIUS_CAPITIS",
        muscle_name="Splenius capitis",
        side=RelativeSide.IPSILATERAL,
        priority=Priority.PRIMARY,
        verification=Verification.VERIFIED,
        needs_review=True,
    )
    (candidate,) = suggest(component("TORTICAPUT", "right", 2), rules=[rule])
    assert candidate.needs_review and not candidate.preselect
    assert candidate.reasons[0].text.endswith("(needs review)")


def test_right_torticaput_with_left_laterocaput():
    candidates = suggest(component("TORTICAPUT", "right", 3), component("LATEROCAPUT", "left", 2))
    assert summary(candidates) == expected(
        # torticaput to the right
        "SPLENIUS_CAPITIS R*",
        "OBLIQUUS_CAPITIS_INFERIOR R*",
        "RECTUS_CAPITIS_POSTERIOR_MAJOR R",
        "SEMISPINALIS_CAPITIS R",
        "LONGISSIMUS_CAPITIS R",
        "TRAPEZIUS_UPPER R",
        # both: the contralateral SCM of the rotation is the ipsilateral SCM of the tilt
        "SCM L*",
        # laterocaput to the left
        "SPLENIUS_CAPITIS L*",
        "TRAPEZIUS_UPPER L",
        "SEMISPINALIS_CAPITIS L",
        "LONGISSIMUS_CAPITIS L",
    )
    scm = find(candidates, "SCM", Side.LEFT)
    assert [reason.text for reason in scm.reasons] == [
        "left sternocleidomastoid: contralateral, primary, for right torticaput, severity 3",
        "left sternocleidomastoid: ipsilateral, primary, for left laterocaput, severity 2 (partly verified)",
    ]
    assert (scm.priority, scm.severity, scm.verification) == (Priority.PRIMARY, 3, Verification.PARTLY_VERIFIED)
    # The left trapezius keeps both reasons: the tilt's resolved one and the rotation's conflict.
    trapezius = find(candidates, "TRAPEZIUS_UPPER", Side.LEFT)
    assert [reason.pattern_code for reason in trapezius.reasons] == ["TORTICAPUT", "LATEROCAPUT"]
    assert trapezius.conflict and not trapezius.preselect
    assert not find(candidates, "TRAPEZIUS_UPPER", Side.RIGHT).reasons[1:]


def test_right_lateral_shift_applies_its_own_rules_and_expands_into_right_laterocollis_and_left_laterocaput():
    candidates = suggest(component("LATERAL_SHIFT", "right", 1))
    scm = find(candidates, "SCM", Side.LEFT)
    assert [reason.text for reason in scm.reasons] == [
        "left sternocleidomastoid: contralateral, primary, for right lateral shift (partly verified)",
        "left sternocleidomastoid: ipsilateral, primary, for left laterocaput via right lateral shift "
        "(partly verified)",
    ]
    levator = find(candidates, "LEVATOR_SCAPULAE", Side.RIGHT)
    assert [(r.pattern_code, r.direction, r.via_pattern_code, r.via_direction) for r in levator.reasons] == [
        ("LATERAL_SHIFT", Direction.RIGHT, "", Direction.NONE),
        ("LATEROCOLLIS", Direction.RIGHT, "LATERAL_SHIFT", Direction.RIGHT),
    ]
    anterior = find(candidates, "SCALENUS_ANTERIOR", Side.RIGHT)
    assert anterior.preselect
    assert anterior.reasons[0].text == (
        "right scalenus anterior: ipsilateral, primary, for right laterocollis via right lateral shift "
        "(partly verified)"
    )
    assert not any(c.side is Side.LEFT for c in candidates if c.muscle_code.startswith("SCALENUS"))


def test_anterocollis_suggests_both_scm_and_longus_colli_with_the_halving_note():
    candidates = suggest(component("ANTEROCOLLIS", "", 3))
    for side in Side:
        scm = find(candidates, "SCM", side)
        assert scm.preselect and scm.verification is Verification.VERIFIED
        assert scm.reasons[0].text == (
            f"{side.value} sternocleidomastoid: bilateral, primary, for anterocollis, severity 3. "
            "Halve the SCM dose in anterocollis (D12); bilateral SCM raises dysphagia risk"
        )
        assert find(candidates, "LONGUS_COLLI", side).preselect


def test_forward_sagittal_shift_reasons_say_via_the_shift():
    candidates = suggest(component("SAGITTAL_SHIFT_FORWARD", "", 1))
    scm = find(candidates, "SCM", Side.RIGHT)
    assert [reason.text for reason in scm.reasons] == [
        "right sternocleidomastoid: bilateral, secondary, for anterocollis via sagittal shift forward "
        "(kept secondary: sagittal shift forward rates it secondary). "
        "Halve the SCM dose in anterocollis (D12); bilateral SCM raises dysphagia risk",
        "right sternocleidomastoid: bilateral, secondary, for sagittal shift forward",
    ]
    assert (scm.priority, scm.preselect) == ("secondary", False)


def test_shoulder_elevation_with_laterocollis_on_the_same_side_merges_the_levator():
    candidates = suggest(component("SHOULDER_ELEVATION", "right", 2), component("LATEROCOLLIS", "right", 3))
    levator = find(candidates, "LEVATOR_SCAPULAE", Side.RIGHT)
    assert [reason.pattern_code for reason in levator.reasons] == ["LATEROCOLLIS", "SHOULDER_ELEVATION"]
    assert (levator.severity, levator.verification, levator.preselect) == (3, Verification.PARTLY_VERIFIED, True)
    assert find(candidates, "TRAPEZIUS_UPPER", Side.RIGHT).preselect
    assert not [c for c in candidates if c.side is Side.LEFT]


def test_shoulder_elevation_with_laterocollis_to_the_other_side_keeps_the_levators_apart():
    candidates = suggest(component("SHOULDER_ELEVATION", "left", 2), component("LATEROCOLLIS", "right", 1))
    left, right = find(candidates, "LEVATOR_SCAPULAE", Side.LEFT), find(candidates, "LEVATOR_SCAPULAE", Side.RIGHT)
    assert [r.pattern_code for r in left.reasons] == ["SHOULDER_ELEVATION"]
    assert [r.pattern_code for r in right.reasons] == ["LATEROCOLLIS"]
    assert left.preselect and right.preselect
    assert find(candidates, "TRAPEZIUS_UPPER", Side.LEFT).preselect
    # The shoulder (severity 2) outranks the tilt (severity 1) among the primaries.
    assert candidates[0].muscle_code == "LEVATOR_SCAPULAE" and candidates[0].side is Side.LEFT


def test_each_candidate_carries_the_chosen_products_dose_ranges_with_source_and_verification():
    candidates = suggest(component("TORTICAPUT", "right", 2))
    scm = find(candidates, "SCM", Side.LEFT)
    (scm_range,) = scm.dose_ranges
    assert scm_range.describe(BOTOX) == "25–100 U Botox"
    assert (scm_range.source_codes, scm_range.verification) == (("D14",), Verification.UNVERIFIED)
    assert scm.dose_note == ""
    splenius = find(candidates, "SPLENIUS_CAPITIS", Side.RIGHT)
    assert [(r.describe(BOTOX), r.source_codes) for r in splenius.dose_ranges] == [
        ("25–75 U Botox", ("D14",)),
        ("up to 60 U Botox", ("S6d",)),
    ]
    rectus = find(candidates, "RECTUS_CAPITIS_POSTERIOR_MAJOR", Side.RIGHT)
    assert rectus.dose_ranges == () and rectus.dose_note == "no sourced range for Botox"


def test_dose_ranges_are_those_of_the_chosen_product_only():
    dysport_scm = find(suggest(component("TORTICAPUT", "right", 2), product=DYSPORT), "SCM", Side.LEFT)
    assert [r.describe(DYSPORT) for r in dysport_scm.dose_ranges] == ["50–350 U Dysport"]
    assert {r.product_code for r in dysport_scm.dose_ranges} == {"ABO"}


def test_a_median_without_a_range_is_kept_for_context_but_reported_as_no_sourced_range():
    scm = find(suggest(component("TORTICAPUT", "right", 2), product=XEOMIN), "SCM", Side.LEFT)
    assert [r.describe(XEOMIN) for r in scm.dose_ranges] == ["median 25 U Xeomin"]
    assert scm.dose_note == "no sourced range for Xeomin"


def test_without_a_product_there_is_no_dose_information():
    candidates = suggest_muscles(components=[component("TORTICAPUT", "right", 2)], rules=RULES)
    assert all(c.dose_ranges == () and c.dose_note == "" for c in candidates)


def test_a_lateral_pattern_recorded_without_a_direction_gives_both_sides_unresolved():
    candidates = suggest(component("SHOULDER_ELEVATION", "", 2))
    assert summary(candidates) == expected("LEVATOR_SCAPULAE LR", "TRAPEZIUS_UPPER LR")
    assert all(c.conflict for c in candidates)
    assert candidates[0].reasons[0].text == (
        "left levator scapulae: ipsilateral, direction not recorded, primary, for shoulder elevation, severity 2"
    )


def test_a_sagittal_pattern_ignores_a_direction_and_applies_side_rules_to_both_sides():
    rule = Rule(
        pattern_code="RETROCAPUT",
        muscle_code="SPLENIUS_CAPITIS",
        muscle_name="Splenius capitis",
        side=RelativeSide.IPSILATERAL,
        priority=Priority.PRIMARY,
        verification=Verification.VERIFIED,
    )
    candidates = suggest(component("RETROCAPUT", "left", 2), rules=[rule])
    assert summary(candidates) == expected("SPLENIUS_CAPITIS LR*")
    assert candidates[0].reasons[0].text == (
        "left splenius capitis: ipsilateral, applied to both sides, primary, for retrocaput, severity 2"
    )


def test_absent_components_and_unknown_values_are_handled_without_raising():
    assert suggest(component("TORTICAPUT", "right", 0)) == ()
    assert suggest(PostureComponent(code="TORTICAPUT", direction="right", severity=None)) == ()
    odd_rule = Rule(
        pattern_code="TORTICAPUT",
        muscle_code="X",
        muscle_name="Made-up muscle",
        side="sideways",
        priority="urgent",
        verification="rumour",
        source_codes=["S1"],
    )
    candidates = suggest(PostureComponent(code="TORTICAPUT", direction="up", severity="2"), rules=[odd_rule])
    assert summary(candidates) == expected("X LR")
    assert candidates[0].priority is Priority.SECONDARY
    assert candidates[0].verification is Verification.UNVERIFIED
    assert candidates[0].conflict


def test_expand_components_resolves_the_parts_of_a_lateral_shift_against_its_direction():
    present = expand_components([component("LATERAL_SHIFT", "left", 1)], COMBINED_PATTERNS)
    assert [(p.code, p.direction, p.severity, p.via_code) for p in present] == [
        ("LATERAL_SHIFT", Direction.LEFT, 1, ""),
        ("LATEROCOLLIS", Direction.LEFT, 1, "LATERAL_SHIFT"),
        ("LATEROCAPUT", Direction.RIGHT, 1, "LATERAL_SHIFT"),
    ]


# --- properties ---------------------------------------------------------------------------------------

MUSCLE_CODES = ("SCM", "SPLENIUS_CAPITIS", "LEVATOR_SCAPULAE", "TRAPEZIUS_UPPER", "LONGUS_COLLI", "X")
PATTERN_CODES = tuple(component.code for component in COMPONENTS) + ("CUSTOM_PATTERN",)


@st.composite
def postures(draw):
    chosen = draw(st.lists(st.sampled_from(COMPONENTS), unique_by=lambda c: c.code, max_size=6))
    return [
        PostureComponent(
            code=c.code,
            direction=draw(st.sampled_from(["left", "right"])) if c.lateral else "",
            severity=draw(st.integers(1, c.max_severity)),
        )
        for c in chosen
    ]


rules_strategy = st.builds(
    Rule,
    pattern_code=st.sampled_from(PATTERN_CODES),
    muscle_code=st.sampled_from(MUSCLE_CODES),
    muscle_name=st.sampled_from(["Muscle A", "Muscle B"]),
    side=st.sampled_from(list(RelativeSide)),
    priority=st.sampled_from(list(Priority)),
    verification=st.sampled_from(list(Verification)),
    needs_review=st.booleans(),
    source_codes=st.lists(st.sampled_from(["S1", "S2", "D12"]), max_size=2).map(tuple),
    note=st.sampled_from(["", "a note"]),
)
rule_tables = st.one_of(st.just(RULES), st.lists(rules_strategy, max_size=25).map(tuple))
combined_tables = st.one_of(
    st.just(COMBINED_PATTERNS),
    st.lists(
        st.builds(
            CombinedPattern,
            code=st.sampled_from(PATTERN_CODES),
            parts=st.lists(
                st.builds(
                    CombinedPart, pattern_code=st.sampled_from(PATTERN_CODES), side=st.sampled_from(RelativeSide)
                ),
                max_size=3,
            ).map(tuple),
        ),
        max_size=3,
        unique_by=lambda pattern: pattern.code,
    ).map(tuple),
)


def run(posture, rules, combined, product=BOTOX):
    return suggest_muscles(
        components=posture, rules=rules, combined_patterns=combined, product=product, dose_ranges=DOSE_RANGES
    )


@given(postures(), rule_tables, combined_tables, st.randoms(use_true_random=False))
def test_suggestions_are_deterministic_and_do_not_depend_on_input_order(posture, rules, combined, rnd):
    first = run(posture, rules, combined)
    assert run(posture, rules, combined) == first
    shuffled_posture, shuffled_rules = list(posture), list(rules)
    rnd.shuffle(shuffled_posture)
    rnd.shuffle(shuffled_rules)
    assert run(shuffled_posture, shuffled_rules, combined) == first


@given(postures(), rule_tables, combined_tables)
def test_every_candidate_comes_from_a_rule_of_a_present_pattern(posture, rules, combined):
    present = {c.code for c in posture}
    parts = {pattern.code: {part.pattern_code for part in pattern.parts} for pattern in combined}
    rule_set = set(rules)
    for candidate in run(posture, rules, combined):
        assert candidate.reasons
        for reason in candidate.reasons:
            assert reason.rule in rule_set
            assert reason.rule.muscle_code == candidate.muscle_code
            assert reason.rule.pattern_code == reason.pattern_code
            if reason.via_pattern_code:
                assert reason.via_pattern_code in present
                assert reason.pattern_code in parts[reason.via_pattern_code]
            else:
                assert reason.pattern_code in present


@given(postures(), rule_tables, combined_tables)
def test_mirroring_every_direction_mirrors_every_candidates_side(posture, rules, combined):
    swap = {"left": "right", "right": "left", "": ""}
    mirror_posture = [PostureComponent(code=c.code, direction=swap[c.direction], severity=c.severity) for c in posture]

    def shape(candidates, flip):
        return {
            (
                c.muscle_code,
                c.side.opposite if flip else c.side,
                c.preselect,
                c.priority,
                c.severity,
                c.verification,
                c.conflict,
                tuple((r.rule, r.pattern_code, r.via_pattern_code, r.severity, r.resolved) for r in c.reasons),
            )
            for c in candidates
        }

    assert shape(run(posture, rules, combined), flip=False) == shape(run(mirror_posture, rules, combined), flip=True)


@given(postures(), rule_tables, combined_tables, rules_strategy)
def test_a_rule_for_an_absent_pattern_changes_nothing(posture, rules, combined, extra):
    present = {c.code for c in posture}
    parts = {pattern.code: {part.pattern_code for part in pattern.parts} for pattern in combined}
    reachable = present | {part for code in present for part in parts.get(code, ())}
    if extra.pattern_code in reachable:
        extra = Rule(**{**vars(extra), "pattern_code": "ABSENT_PATTERN"})
    assert run(posture, (*rules, extra), combined) == run(posture, rules, combined)


@given(postures(), rule_tables, combined_tables, st.sampled_from(sorted(PRODUCTS)))
def test_preselection_needs_a_verified_or_partly_verified_primary_rule_and_ranges_match_the_product(
    posture, rules, combined, product_code
):
    product = PRODUCTS[product_code]
    candidates = run(posture, rules, combined, product)
    for candidate in candidates:
        if candidate.preselect:
            assert any(
                Priority(r.rule.priority) is Priority.PRIMARY
                and Verification(r.rule.verification) in PRESELECTABLE
                and not r.rule.needs_review
                and RelativeSide(r.rule.side) is not RelativeSide.UNRESOLVED
                for r in candidate.reasons
            )
        if candidate.conflict and not any(r.resolved for r in candidate.reasons):
            assert not candidate.preselect
        assert all(r.product_code == product_code for r in candidate.dose_ranges)
    assert len({(c.muscle_code, c.side) for c in candidates}) == len(candidates)


def test_a_six_component_posture_is_suggested_quickly_enough_to_run_on_every_change():
    # Not a timing assertion (the benchmark measures that); a smoke check of a large realistic input.
    posture = [
        component("TORTICAPUT", "right", 4),
        component("LATEROCAPUT", "left", 2),
        component("LATERAL_SHIFT", "right", 1),
        component("SHOULDER_ELEVATION", "right", 2),
        component("ANTEROCOLLIS", "", 1),
        component("TREMOR_NO_NO", "", 2),
    ]
    rules = list(RULES)
    random.Random(5).shuffle(rules)
    candidates = suggest_muscles(
        components=posture, rules=rules, combined_patterns=COMBINED_PATTERNS, product=BOTOX, dose_ranges=DOSE_RANGES
    )
    assert len(candidates) == len({(c.muscle_code, c.side) for c in candidates}) > 20
    assert candidates[0].priority is Priority.PRIMARY and candidates[0].severity == 4


def test_an_unhashable_source_list_from_an_adapter_is_accepted():
    rule = Rule(
        pattern_code="ANTEROCOLLIS",
        muscle_code="SCM",
        muscle_name="Sternocleidomastoid",
        side="bilateral",
        priority="primary",
        verification="verified",
        source_codes=["D12"],
    )
    dose_range = DoseRange(product_code="ONA", muscle_code="SCM", max_units=Decimal(50), source_codes=["D12"])
    candidates = suggest_muscles(
        components=[component("ANTEROCOLLIS", "", 1)], rules=[rule], product=BOTOX, dose_ranges=[dose_range]
    )
    assert [c.dose_ranges[0].source_codes for c in candidates] == [("D12",), ("D12",)]
    assert Product(code="RIMA", name="Myobloc").amount(Decimal("5000.0")) == "5000 U Myobloc"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("100"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("12.50"), "12.5"),
        (Decimal("0.000"), "0"),
        (Decimal("102.6"), "102.6"),
        (40, "40"),
        (Decimal("1e999999"), "1.000E+999999"),
    ],
)
def test_amounts_are_shown_without_trailing_zeros_or_a_million_digits(value, shown):
    assert format_number(value) == shown


def test_a_candidates_verification_is_the_worst_of_its_reasons():
    def rule(pattern, verification):
        return Rule(
            pattern_code=pattern,
            muscle_code="SCM",
            muscle_name="Sternocleidomastoid",
            side="bilateral",
            priority="primary",
            verification=verification,
        )

    posture = (component("ANTEROCOLLIS", "", 1), component("RETROCOLLIS", "", 1))
    computed_and_partly = suggest(
        *posture, rules=[rule("ANTEROCOLLIS", "computed"), rule("RETROCOLLIS", "partly_verified")]
    )
    assert {c.verification for c in computed_and_partly} == {Verification.PARTLY_VERIFIED}
    verified_and_computed = suggest(*posture, rules=[rule("ANTEROCOLLIS", "verified"), rule("RETROCOLLIS", "computed")])
    assert {c.verification for c in verified_and_computed} == {Verification.COMPUTED}
    # Computed rules are not preselected: only verified or partly verified ones are.
    assert [c.preselect for c in suggest(posture[0], rules=[rule("ANTEROCOLLIS", "computed")])] == [False, False]
