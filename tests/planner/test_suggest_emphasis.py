"""planner.rules.suggest, issue 14: priorities come from the recorded patterns' own rules, unverified primaries are
said aloud, and an unresolved side says why (pure: the shipped rules, no database)."""

from planner.rules.suggest import PostureComponent, Priority, Rule, Side, suggest_muscles, suggestion_notes
from tests.planner.reference_fixtures import COMBINED_PATTERNS, RULES


def component(code, direction="", severity=1):
    return PostureComponent(code=code, direction=direction, severity=severity)


def suggest(*components, rules=RULES):
    return suggest_muscles(components=components, rules=rules, combined_patterns=COMBINED_PATTERNS)


def notes(*components, rules=RULES):
    return suggestion_notes(components=components, rules=rules, combined_patterns=COMBINED_PATTERNS)


def find(candidates, muscle, side=Side.LEFT):
    [match] = [c for c in candidates if c.muscle_code == muscle and c.side == side]
    return match


def test_a_forward_sagittal_shift_keeps_scm_and_longus_colli_secondary():
    candidates = suggest(component("SAGITTAL_SHIFT_FORWARD"))
    for muscle in ("SCM", "LONGUS_COLLI"):
        candidate = find(candidates, muscle)
        assert (candidate.priority, candidate.preselect) == (Priority.SECONDARY, False)
        assert any("kept secondary: sagittal shift forward rates it secondary" in r.text for r in candidate.reasons)
    assert find(candidates, "SPLENIUS_CAPITIS").priority is Priority.PRIMARY


def test_anterocollis_recorded_by_the_clinician_still_makes_scm_primary():
    candidate = find(suggest(component("ANTEROCOLLIS", severity=2)), "SCM")
    assert (candidate.priority, candidate.preselect) == (Priority.PRIMARY, True)


def test_a_part_is_capped_only_for_the_muscles_its_combined_pattern_rates_secondary():
    rules = (
        Rule(
            pattern_code="SAGITTAL_SHIFT_FORWARD",
            muscle_code="SCM",
            muscle_name="SCM",
            side="bilateral",
            priority="secondary",
            verification="verified",
        ),
        Rule(
            pattern_code="ANTEROCOLLIS",
            muscle_code="SCM",
            muscle_name="SCM",
            side="bilateral",
            priority="primary",
            verification="verified",
        ),
        Rule(
            pattern_code="ANTEROCOLLIS",
            muscle_code="LONGUS_COLLI",
            muscle_name="Longus colli",
            side="bilateral",
            priority="primary",
            verification="verified",
        ),
    )
    candidates = suggest(component("SAGITTAL_SHIFT_FORWARD"), rules=rules)
    assert find(candidates, "SCM").priority is Priority.SECONDARY
    assert find(candidates, "LONGUS_COLLI").priority is Priority.PRIMARY


def test_retrocollis_says_it_has_no_verified_primary_rule():
    assert notes(component("RETROCOLLIS", severity=2)) == (
        "No verified primary rule for retrocollis; the candidates below are unverified.",
    )
    candidates = suggest(component("RETROCOLLIS", severity=2))
    assert candidates and not any(candidate.preselect for candidate in candidates)


def test_a_pattern_reached_through_a_shift_says_so():
    assert (
        "No verified primary rule for retrocollis (via sagittal shift backward); the candidates below are unverified."
        in notes(component("SAGITTAL_SHIFT_BACKWARD"))
    )


def test_a_pattern_with_a_verified_primary_rule_says_nothing():
    assert notes(component("TORTICAPUT", "right", 3), component("ANTEROCOLLIS", severity=2)) == ()


def test_a_pattern_without_rules_says_nothing():
    assert notes(component("RETROCOLLIS", severity=2), rules=()) == ()


def test_an_unresolved_side_says_the_sources_disagree_and_names_them():
    candidate = find(suggest(component("TORTICAPUT", "right", 2)), "TRAPEZIUS_UPPER")
    assert candidate.conflict
    assert (
        candidate.unresolved_why == "the sources disagree on its side for right torticaput (S6a, S17): choose the side"
    )


def test_a_direction_not_recorded_says_so():
    candidate = find(suggest(component("TORTICAPUT", "", 2)), "SCM")
    assert candidate.unresolved_why.startswith("torticaput is recorded without a direction: record left or right")


def test_a_resolved_candidate_has_no_why():
    assert find(suggest(component("TORTICAPUT", "right", 2)), "SCM").unresolved_why == ""
