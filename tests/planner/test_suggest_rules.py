"""planner.rules.suggest, rule by rule: the limits, orders, texts and side resolutions that mutation testing
(`make mutation`, docs/mutation.md) showed the table tests in test_suggest.py leave unpinned.

Pure: small hand-made rules tables, no reference data and no database.
"""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients.colcap import BY_CODE as COLCAP_BY_CODE
from patients.colcap import COMPONENTS, Direction
from planner.rules import suggest as suggest_module
from planner.rules.suggest import (
    VERIFICATION_RANK,
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
    format_codes,
    format_number,
    is_lateral,
    lower_first,
    pattern_name,
    suggest_muscles,
)

BOTOX = Product(code="ONA", name="Botox")
LATERAL_CODES = sorted(component.code for component in COMPONENTS if component.lateral)
SAGITTAL_CODES = sorted(component.code for component in COMPONENTS if not component.lateral)


def rule(pattern="TORTICAPUT", muscle="SCM", side="ipsilateral", priority="primary", **fields):
    fields.setdefault("verification", "verified")
    fields.setdefault("muscle_name", muscle.replace("_", " ").capitalize())
    return Rule(pattern_code=pattern, muscle_code=muscle, side=side, priority=priority, **fields)


def component(code="TORTICAPUT", direction="right", severity=2):
    return PostureComponent(code=code, direction=direction, severity=severity)


def suggest(*components, rules, combined=(), product=None, dose_ranges=()):
    return suggest_muscles(
        components=components, rules=rules, combined_patterns=combined, product=product, dose_ranges=dose_ranges
    )


def sides(candidates):
    return [(c.muscle_code, c.side, c.preselect) for c in candidates]


# --- small helpers and value types -----------------------------------------------------------------


def test_each_side_has_the_other_as_its_opposite():
    assert (Side.LEFT.opposite, Side.RIGHT.opposite) == (Side.RIGHT, Side.LEFT)


def test_verification_labels_and_worst_of_order():
    assert Verification.PARTLY_VERIFIED.label == "partly verified"
    assert sorted(Verification, key=VERIFICATION_RANK.__getitem__) == [
        Verification.VERIFIED,
        Verification.COMPUTED,
        Verification.PARTLY_VERIFIED,
        Verification.UNVERIFIED,
    ]


def test_a_product_labels_every_amount_with_its_unit_and_name():
    product = Product(code="RIMA", name="Myobloc", unit="U")
    assert product.unit_label == "U Myobloc"
    assert product.amount(Decimal("2500.00")) == "2500 U Myobloc"


@pytest.mark.parametrize(
    ("fields", "described", "has_bounds"),
    [
        ({"min_units": Decimal(25), "max_units": Decimal(100)}, "25–100 U Botox", True),
        ({"max_units": Decimal(35)}, "up to 35 U Botox", True),
        ({"min_units": Decimal(50)}, "at least 50 U Botox", True),
        ({"min_units": Decimal(0)}, "at least 0 U Botox", True),
        ({"median_units": Decimal("12.5")}, "median 12.5 U Botox", False),
        ({"median_units": Decimal(0)}, "median 0 U Botox", False),
        ({}, "no amount", False),
    ],
)
def test_a_dose_range_describes_itself_in_the_products_units(fields, described, has_bounds):
    dose_range = DoseRange(product_code="ONA", muscle_code="SCM", **fields)
    assert dose_range.describe(BOTOX) == described
    assert dose_range.has_bounds is has_bounds


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("Infinity"), "Infinity"),
        (Decimal("-Infinity"), "-Infinity"),
        (Decimal("NaN"), "NaN"),
        (Decimal("1E+15"), "1000000000000000"),
        (Decimal("1E+16"), "1.000E+16"),
        (Decimal("1E-15"), "0.000000000000001"),
        (Decimal("1E-16"), "1.000E-16"),
        (Decimal("-12.50"), "-12.5"),
        (Decimal("100.0"), "100"),
        (Decimal("0"), "0"),
        (Decimal("0.0"), "0"),
        (7, "7"),
        ("7.50", "7.5"),
    ],
)
def test_format_number_at_the_ends_of_its_plain_range(value, shown):
    assert format_number(value) == shown


def test_small_text_helpers():
    assert format_codes(["S1", "D12"]) == "S1, D12"
    assert format_codes([]) == ""
    assert lower_first("Sternocleidomastoid") == "sternocleidomastoid"
    assert lower_first("SCM Left") == "SCM Left"  # an acronym keeps its capitals
    assert lower_first("Scm Left") == "scm Left"
    assert lower_first("") == ""
    assert pattern_name("LATERAL_SHIFT") == "lateral shift"
    assert pattern_name("MY_OWN_Pattern") == "my own pattern"


def test_a_known_pattern_is_lateral_by_col_cap_and_an_unknown_one_only_when_given_a_direction():
    assert is_lateral("TORTICAPUT") and is_lateral("TORTICAPUT", Direction.NONE)
    assert not is_lateral("ANTEROCOLLIS") and not is_lateral("ANTEROCOLLIS", Direction.LEFT)
    assert is_lateral("CUSTOM", Direction.LEFT) and is_lateral("CUSTOM", Direction.RIGHT)
    assert not is_lateral("CUSTOM") and not is_lateral("CUSTOM", Direction.NONE)


# --- which components are present, and their directions -------------------------------------------


@pytest.mark.parametrize(
    ("severity", "present_as"),
    [(0, None), (-1, None), (None, None), (True, None), (False, None), ("x", None), (float("inf"), None),
     ([], None), (1, 1), ("3", 3), (2.9, 2), (Decimal(4), 4)],
)  # fmt: skip
def test_severity_one_or_more_makes_a_component_present(severity, present_as):
    present = expand_components([component("TORTICAPUT", "left", severity)])
    assert [p.severity for p in present] == ([] if present_as is None else [present_as])


@pytest.mark.parametrize(
    ("direction", "resolved"),
    [
        ("left", Direction.LEFT),
        ("right", Direction.RIGHT),
        (Direction.LEFT, Direction.LEFT),
        ("", Direction.NONE),
        ("LEFT", Direction.NONE),
        ("sideways", Direction.NONE),
        (None, Direction.NONE),
        (["left"], Direction.NONE),
    ],
)
def test_only_left_and_right_are_directions(direction, resolved):
    (present,) = expand_components([component("TORTICAPUT", direction, 1)])
    assert present.direction is resolved


def test_a_sagittal_component_drops_its_direction_and_an_unknown_one_keeps_it():
    present = expand_components([component("ANTEROCOLLIS", "left", 1), component("CUSTOM", "left", 1)])
    assert [(p.code, p.direction) for p in present] == [("ANTEROCOLLIS", Direction.NONE), ("CUSTOM", Direction.LEFT)]


SHIFT = CombinedPattern(
    code="LATERAL_SHIFT",
    parts=(
        CombinedPart(pattern_code="LATEROCOLLIS", side="ipsilateral"),
        CombinedPart(pattern_code="LATEROCAPUT", side="contralateral"),
        CombinedPart(pattern_code="TORTICAPUT", side="bilateral"),
        CombinedPart(pattern_code="TORTICOLLIS", side="unresolved"),
        CombinedPart(pattern_code="SHOULDER_ELEVATION", side="upwards"),
        CombinedPart(pattern_code="ANTEROCOLLIS", side="ipsilateral"),
    ),
)


@pytest.mark.parametrize(
    ("direction", "ipsilateral", "contralateral"),
    [("right", Direction.RIGHT, Direction.LEFT), ("left", Direction.LEFT, Direction.RIGHT)],
)
def test_a_combined_patterns_parts_take_their_direction_from_their_relative_side(direction, ipsilateral, contralateral):
    present = expand_components([component("LATERAL_SHIFT", direction, 3)], [SHIFT])
    shift_direction = Direction(direction)
    assert [(p.code, p.direction, p.severity, p.via_code, p.via_direction) for p in present] == [
        ("LATERAL_SHIFT", shift_direction, 3, "", Direction.NONE),
        ("LATEROCOLLIS", ipsilateral, 3, "LATERAL_SHIFT", shift_direction),
        ("LATEROCAPUT", contralateral, 3, "LATERAL_SHIFT", shift_direction),
        # Bilateral, unresolved or unknown relative sides give a part no direction, and a sagittal part has none.
        ("TORTICAPUT", Direction.NONE, 3, "LATERAL_SHIFT", shift_direction),
        ("TORTICOLLIS", Direction.NONE, 3, "LATERAL_SHIFT", shift_direction),
        ("SHOULDER_ELEVATION", Direction.NONE, 3, "LATERAL_SHIFT", shift_direction),
        ("ANTEROCOLLIS", Direction.NONE, 3, "LATERAL_SHIFT", shift_direction),
    ]


def test_a_combined_pattern_without_a_direction_gives_its_parts_none():
    present = expand_components([component("LATERAL_SHIFT", "", 1)], [SHIFT])
    assert {p.direction for p in present} == {Direction.NONE}


def test_an_unknown_part_is_lateral_only_when_its_direction_resolved():
    combined = CombinedPattern(
        code="LATERAL_SHIFT",
        parts=[
            CombinedPart(pattern_code="CUSTOM_A", side="contralateral"),
            CombinedPart(pattern_code="CUSTOM_B", side="x"),
        ],
    )
    present = expand_components([component("LATERAL_SHIFT", "left", 1)], [combined])
    assert [(p.code, p.direction) for p in present[1:]] == [("CUSTOM_A", Direction.RIGHT), ("CUSTOM_B", Direction.NONE)]


def test_an_absent_combined_pattern_expands_into_nothing():
    assert expand_components([component("LATERAL_SHIFT", "left", 0)], [SHIFT]) == []
    assert [p.code for p in expand_components([component("TORTICAPUT", "left", 1)], [SHIFT])] == ["TORTICAPUT"]


# --- sides: resolved only from a known relative side and a known direction -------------------------


@pytest.mark.parametrize(
    ("relative", "direction", "expected_sides", "resolved", "relation"),
    [
        ("ipsilateral", "right", [Side.RIGHT], True, "ipsilateral"),
        ("ipsilateral", "left", [Side.LEFT], True, "ipsilateral"),
        ("contralateral", "right", [Side.LEFT], True, "contralateral"),
        ("contralateral", "left", [Side.RIGHT], True, "contralateral"),
        ("bilateral", "right", [Side.LEFT, Side.RIGHT], True, "bilateral"),
        ("bilateral", "", [Side.LEFT, Side.RIGHT], True, "bilateral"),
        ("unresolved", "right", [Side.LEFT, Side.RIGHT], False, "side unresolved"),
        ("sideways", "left", [Side.LEFT, Side.RIGHT], False, "side unresolved"),
        ("", "left", [Side.LEFT, Side.RIGHT], False, "side unresolved"),
        ("ipsilateral", "", [Side.LEFT, Side.RIGHT], False, "ipsilateral, direction not recorded"),
        ("contralateral", "up", [Side.LEFT, Side.RIGHT], False, "contralateral, direction not recorded"),
    ],
)
def test_a_rules_side_against_a_lateral_patterns_direction(relative, direction, expected_sides, resolved, relation):
    candidates = suggest(component("TORTICAPUT", direction, 2), rules=[rule(side=relative)])
    assert [c.side for c in candidates] == expected_sides
    for candidate in candidates:
        (reason,) = candidate.reasons
        assert reason.resolved is resolved and candidate.conflict is not resolved
        assert candidate.preselect is resolved
        assert reason.text.startswith(f"{candidate.side} scm: {relation}, primary, for ")


@pytest.mark.parametrize("relative", ["ipsilateral", "contralateral"])
def test_a_sided_rule_on_a_sagittal_pattern_is_applied_to_both_sides_and_stays_preselectable(relative):
    candidates = suggest(component("ANTEROCOLLIS", "right", 2), rules=[rule("ANTEROCOLLIS", side=relative)])
    assert sides(candidates) == [("SCM", Side.LEFT, True), ("SCM", Side.RIGHT, True)]
    assert candidates[0].reasons[0].text == (
        f"left scm: {relative}, applied to both sides, primary, for anterocollis, severity 2"
    )
    assert not candidates[0].conflict


def test_an_unknown_pattern_with_a_direction_resolves_and_without_one_gives_both_sides_unresolved():
    custom = rule("CUSTOM", side="contralateral")
    assert sides(suggest(component("CUSTOM", "left", 1), rules=[custom])) == [("SCM", Side.RIGHT, True)]
    unsided = suggest(component("CUSTOM", "", 1), rules=[custom])
    assert sides(unsided) == [("SCM", Side.LEFT, True), ("SCM", Side.RIGHT, True)]
    assert (
        unsided[0].reasons[0].text == "left scm: contralateral, applied to both sides, primary, for custom, severity 1"
    )


@given(
    relative=st.one_of(st.sampled_from(list(RelativeSide)), st.text(max_size=12)),
    direction=st.one_of(st.sampled_from(["left", "right", ""]), st.text(max_size=8)),
    code=st.sampled_from(LATERAL_CODES),
)
def test_a_candidate_is_on_one_side_only_when_both_the_rules_side_and_the_direction_are_known(
    relative, direction, code
):
    candidates = suggest(component(code, direction, 1), rules=[rule(code, side=relative)])
    known = relative in ("ipsilateral", "contralateral") and direction in ("left", "right")
    if known:
        (candidate,) = candidates
        same_side = Side(direction) if relative == "ipsilateral" else Side(direction).opposite
        assert candidate.side is same_side and candidate.preselect and not candidate.conflict
    else:
        assert [c.side for c in candidates] == [Side.LEFT, Side.RIGHT]
        both_resolved = relative == "bilateral"
        assert all(c.preselect is both_resolved and c.conflict is not both_resolved for c in candidates)


# --- preselection and the text's qualifiers --------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "preselect", "suffix"),
    [
        ({}, True, ""),
        ({"verification": "partly_verified"}, True, " (partly verified)"),
        ({"verification": "computed"}, False, " (computed)"),
        ({"verification": "unverified"}, False, " (unverified)"),
        ({"verification": "rumour"}, False, " (unverified)"),
        ({"priority": "secondary"}, False, ""),
        ({"priority": "urgent"}, False, ""),
        ({"needs_review": True}, False, " (needs review)"),
        ({"side": "unresolved"}, False, " (sources conflict)"),
        (
            {"verification": "partly_verified", "needs_review": True, "side": "unresolved"},
            False,
            " (partly verified; needs review; sources conflict)",
        ),
        ({"note": "Mind the airway"}, True, ". Mind the airway"),
        ({"verification": "computed", "note": "Mind the airway"}, False, " (computed). Mind the airway"),
    ],
)
def test_preselection_and_the_qualifiers_at_the_end_of_a_reason(fields, preselect, suffix):
    fields = {"side": "bilateral", **fields}
    candidates = suggest(component("ANTEROCOLLIS", "", 2), rules=[rule("ANTEROCOLLIS", **fields)])
    assert [c.preselect for c in candidates] == [preselect, preselect]
    text = candidates[0].reasons[0].text
    assert text.endswith(f"severity 2{suffix}")
    assert candidates[0].reasons[0].preselectable is preselect


def test_a_reason_records_its_pattern_and_enums():
    (candidate,) = suggest(component("TORTICAPUT", "left", 3), rules=[rule(priority="urgent", verification="rumour")])
    (reason,) = candidate.reasons
    assert (reason.pattern_code, reason.direction, reason.via_pattern_code, reason.via_direction) == (
        "TORTICAPUT",
        Direction.LEFT,
        "",
        Direction.NONE,
    )
    assert (reason.priority, reason.verification, reason.severity) == (Priority.SECONDARY, Verification.UNVERIFIED, 3)
    assert reason.text == "left scm: ipsilateral, secondary, for left torticaput, severity 3 (unverified)"
    assert candidate.muscle_name == "Scm"


def test_a_reason_from_a_part_names_the_combined_pattern_and_its_direction():
    combined = CombinedPattern(
        code="LATERAL_SHIFT", parts=[CombinedPart(pattern_code="LATEROCAPUT", side="contralateral")]
    )
    candidates = suggest(
        component("LATERAL_SHIFT", "right", 1), rules=[rule("LATEROCAPUT", side="ipsilateral")], combined=[combined]
    )
    (candidate,) = candidates
    (reason,) = candidate.reasons
    assert candidate.side is Side.LEFT
    assert reason.text == "left scm: ipsilateral, primary, for left laterocaput via right lateral shift"
    assert (reason.via_pattern_code, reason.via_direction) == ("LATERAL_SHIFT", Direction.RIGHT)
    sagittal = CombinedPattern(
        code="SAGITTAL_SHIFT_FORWARD", parts=[CombinedPart(pattern_code="ANTEROCOLLIS", side="bilateral")]
    )
    forward = suggest(
        component("SAGITTAL_SHIFT_FORWARD", "", 1), rules=[rule("ANTEROCOLLIS", side="bilateral")], combined=[sagittal]
    )
    assert forward[0].reasons[0].text == "left scm: bilateral, primary, for anterocollis via sagittal shift forward"


def test_a_pattern_both_recorded_and_reached_through_a_combined_one_gives_a_reason_for_each():
    combined = CombinedPattern(
        code="LATERAL_SHIFT", parts=[CombinedPart(pattern_code="LATEROCOLLIS", side="ipsilateral")]
    )
    posture = (component("LATERAL_SHIFT", "right", 1), component("LATEROCOLLIS", "right", 2))
    (candidate,) = suggest(*posture, rules=[rule("LATEROCOLLIS")], combined=[combined])
    assert [(r.pattern_code, r.via_pattern_code, r.severity) for r in candidate.reasons] == [
        ("LATEROCOLLIS", "", 2),
        ("LATEROCOLLIS", "LATERAL_SHIFT", 1),
    ]


# --- a candidate's summary of its reasons ------------------------------------------------------------


def test_a_candidate_takes_the_best_priority_highest_severity_and_worst_verification_of_its_reasons():
    rules = [
        rule("TORTICAPUT", priority="secondary", verification="verified", muscle_name="Name from torticaput"),
        rule("LATEROCAPUT", priority="primary", verification="computed", muscle_name="Name from laterocaput"),
    ]
    (candidate,) = suggest(component("TORTICAPUT", "left", 4), component("LATEROCAPUT", "left", 1), rules=rules)
    assert (candidate.priority, candidate.severity, candidate.verification) == (
        Priority.PRIMARY,
        4,
        Verification.COMPUTED,
    )
    # The best reason (primary first) comes first and names the muscle.
    assert [r.pattern_code for r in candidate.reasons] == ["LATEROCAPUT", "TORTICAPUT"]
    assert candidate.muscle_name == "Name from laterocaput"
    assert not candidate.preselect and not candidate.needs_review and not candidate.conflict


def test_one_preselectable_reason_preselects_and_one_reviewed_or_unresolved_one_flags_the_candidate():
    rules = [
        rule("TORTICAPUT", side="ipsilateral"),
        rule("LATEROCAPUT", side="unresolved", needs_review=True, priority="secondary"),
    ]
    candidates = suggest(component("TORTICAPUT", "left", 1), component("LATEROCAPUT", "left", 1), rules=rules)
    left = next(c for c in candidates if c.side is Side.LEFT)
    right = next(c for c in candidates if c.side is Side.RIGHT)
    assert (left.preselect, left.needs_review, left.conflict) == (True, True, True)
    assert (right.preselect, right.needs_review, right.conflict) == (False, True, True)
    assert left.severity == 1


def test_reasons_rank_by_priority_severity_preselection_then_pattern_then_via_then_text():
    rules = [
        rule("TORTICAPUT", side="bilateral", verification="unverified"),
        rule("LATEROCAPUT", side="bilateral"),
        rule("TORTICOLLIS", side="bilateral", priority="secondary"),
        rule("SHOULDER_ELEVATION", side="bilateral", verification="unverified"),
        rule("LATEROCOLLIS", side="bilateral", verification="unverified"),
    ]
    posture = (
        component("TORTICAPUT", "left", 2),
        component("LATEROCAPUT", "left", 2),
        component("TORTICOLLIS", "left", 4),
        component("SHOULDER_ELEVATION", "left", 3),
        component("LATEROCOLLIS", "left", 2),
    )
    left = suggest(*posture, rules=rules)[0]
    assert [r.pattern_code for r in left.reasons] == [
        "SHOULDER_ELEVATION",  # primary, severity 3
        "LATEROCAPUT",  # primary, severity 2, preselectable
        "LATEROCOLLIS",  # primary, severity 2, by pattern code
        "TORTICAPUT",
        "TORTICOLLIS",  # secondary, though the most severe
    ]


def test_reasons_of_one_pattern_rank_by_via_then_text():
    combined = CombinedPattern(
        code="LATERAL_SHIFT", parts=[CombinedPart(pattern_code="LATEROCOLLIS", side="ipsilateral")]
    )
    other = CombinedPattern(
        code="SHOULDER_ELEVATION", parts=[CombinedPart(pattern_code="LATEROCOLLIS", side="ipsilateral")]
    )
    rules = [rule("LATEROCOLLIS", note="b note"), rule("LATEROCOLLIS", note="a note")]
    posture = (component("SHOULDER_ELEVATION", "right", 1), component("LATERAL_SHIFT", "right", 1))
    (candidate,) = suggest(*posture, rules=rules, combined=[other, combined])
    assert [(r.via_pattern_code, r.text[-6:]) for r in candidate.reasons] == [
        ("LATERAL_SHIFT", "a note"),
        ("LATERAL_SHIFT", "b note"),
        ("SHOULDER_ELEVATION", "a note"),
        ("SHOULDER_ELEVATION", "b note"),
    ]


def test_reasons_with_the_same_text_rank_by_the_rule():
    rules = [rule(source_codes=("S2",)), rule(source_codes=("S1",))]
    (candidate,) = suggest(component("TORTICAPUT", "left", 1), rules=rules)
    assert [r.rule.source_codes for r in candidate.reasons] == [("S1",), ("S2",)]
    (reversed_input,) = suggest(component("TORTICAPUT", "left", 1), rules=rules[::-1])
    assert reversed_input == candidate


def test_candidates_rank_by_priority_severity_preselection_muscle_then_left_before_right():
    rules = [
        rule("TORTICAPUT", "A_SECONDARY", side="bilateral", priority="secondary"),
        rule("TORTICAPUT", "B_UNVERIFIED", side="bilateral", verification="unverified"),
        rule("TORTICAPUT", "C_VERIFIED", side="bilateral"),
        rule("TORTICAPUT", "D_VERIFIED", side="bilateral"),
        rule("LATEROCAPUT", "Z_SEVERE", side="bilateral", priority="secondary"),
    ]
    candidates = suggest(component("TORTICAPUT", "left", 1), component("LATEROCAPUT", "left", 2), rules=rules)
    assert [(c.muscle_code, c.side.value) for c in candidates] == [
        ("C_VERIFIED", "left"),
        ("C_VERIFIED", "right"),
        ("D_VERIFIED", "left"),
        ("D_VERIFIED", "right"),
        ("B_UNVERIFIED", "left"),
        ("B_UNVERIFIED", "right"),
        ("Z_SEVERE", "left"),
        ("Z_SEVERE", "right"),
        ("A_SECONDARY", "left"),
        ("A_SECONDARY", "right"),
    ]


def test_a_rule_for_a_pattern_that_is_not_present_gives_nothing():
    assert suggest(component("TORTICAPUT", "left", 1), rules=[rule("LATEROCAPUT")]) == ()
    assert suggest(component("TORTICAPUT", "left", 1), rules=[]) == ()


def test_the_same_pattern_twice_reuses_its_rules_and_merges_identical_reasons():
    posture = (
        component("TORTICAPUT", "left", 2),
        component("TORTICAPUT", "left", 2),
        component("TORTICAPUT", "right", 1),
    )
    candidates = suggest(*posture, rules=[rule()])
    assert [(c.side, len(c.reasons)) for c in candidates] == [(Side.LEFT, 1), (Side.RIGHT, 1)]


# --- dose ranges ------------------------------------------------------------------------------------


def test_a_candidate_carries_its_muscles_ranges_of_the_chosen_product_in_the_order_given():
    ranges = [
        DoseRange(product_code="ONA", muscle_code="SCM", max_units=Decimal(100), note="first"),
        DoseRange(product_code="ABO", muscle_code="SCM", max_units=Decimal(350)),
        DoseRange(product_code="ONA", muscle_code="SPLENIUS", max_units=Decimal(60)),
        DoseRange(product_code="ONA", muscle_code="SCM", min_units=Decimal(15), note="second"),
    ]
    (candidate,) = suggest(component("TORTICAPUT", "left", 1), rules=[rule()], product=BOTOX, dose_ranges=ranges)
    assert [r.note for r in candidate.dose_ranges] == ["first", "second"]
    assert candidate.dose_note == ""


@pytest.mark.parametrize(
    ("ranges", "note"),
    [
        ([], "no sourced range for Botox"),
        ([DoseRange(product_code="ONA", muscle_code="SCM", median_units=Decimal(25))], "no sourced range for Botox"),
        ([DoseRange(product_code="ABO", muscle_code="SCM", max_units=Decimal(25))], "no sourced range for Botox"),
        (
            [
                DoseRange(product_code="ONA", muscle_code="SCM", median_units=Decimal(25)),
                DoseRange(product_code="ONA", muscle_code="SCM", min_units=Decimal(5)),
            ],
            "",
        ),
    ],
)
def test_without_a_bounded_range_of_the_chosen_product_the_candidate_says_so(ranges, note):
    (candidate,) = suggest(component("TORTICAPUT", "left", 1), rules=[rule()], product=BOTOX, dose_ranges=ranges)
    assert candidate.dose_note == note


def test_without_a_product_no_range_is_attached_even_for_a_product_coded_empty():
    ranges = [DoseRange(product_code="", muscle_code="SCM", max_units=Decimal(100))]
    (candidate,) = suggest(component("TORTICAPUT", "left", 1), rules=[rule()], dose_ranges=ranges)
    assert (candidate.dose_ranges, candidate.dose_note) == ((), "")


# --- inputs from an adapter, and ranks the shipped tables happen not to reach ----------------------


def test_lists_from_an_adapter_become_tuples_so_rules_and_combined_patterns_stay_hashable():
    assert rule(source_codes=["S1", "S2"]).source_codes == ("S1", "S2")
    combined = CombinedPattern(code="LATERAL_SHIFT", parts=[CombinedPart(pattern_code="LATEROCOLLIS", side="x")])
    assert combined.parts == (CombinedPart(pattern_code="LATEROCOLLIS", side="x"),)
    assert len({combined, rule(source_codes=["S1"])}) == 2


def test_an_absent_component_before_a_present_one_does_not_hide_it():
    posture = [component("TORTICAPUT", "left", 0), component("LATEROCAPUT", "left", 1)]
    assert [p.code for p in expand_components(posture)] == ["LATEROCAPUT"]


def test_a_patterns_name_comes_from_col_cap(monkeypatch):
    renamed = replace(COLCAP_BY_CODE["TORTICAPUT"], name="Rotation of the head")
    monkeypatch.setitem(suggest_module.COLCAP_BY_CODE, "TORTICAPUT", renamed)
    assert pattern_name("TORTICAPUT") == "rotation of the head"


def test_reasons_rank_by_pattern_code_before_their_text():
    # By text the bilateral rule of torticaput would come first ("bilateral" < "contralateral").
    rules = [rule("LATEROCAPUT", side="contralateral"), rule("TORTICAPUT", side="bilateral")]
    candidates = suggest(component("LATEROCAPUT", "right", 1), component("TORTICAPUT", "right", 1), rules=rules)
    left = next(c for c in candidates if c.side is Side.LEFT)
    assert [r.pattern_code for r in left.reasons] == ["LATEROCAPUT", "TORTICAPUT"]


def test_a_recorded_pattern_ranks_before_the_same_pattern_reached_through_a_combined_one():
    # By text the reason "via" would come first (" via" sorts before ", severity").
    combined = CombinedPattern(
        code="LATERAL_SHIFT", parts=[CombinedPart(pattern_code="LATEROCOLLIS", side="ipsilateral")]
    )
    posture = (component("LATERAL_SHIFT", "right", 1), component("LATEROCOLLIS", "right", 1))
    (candidate,) = suggest(*posture, rules=[rule("LATEROCOLLIS")], combined=[combined])
    assert [r.via_pattern_code for r in candidate.reasons] == ["", "LATERAL_SHIFT"]
