"""planner.rules.policy: the clinic's classifications name real muscle groups, kinds and sources."""

from decimal import Decimal

import pytest

from patients.models import AdverseEvent
from planner.models import Muscle
from planner.rules import policy
from tests.planner.reference_fixtures import MUSCLES, REFERENCE


def test_the_policy_groups_and_kinds_are_values_the_models_store():
    groups = {value for value, _ in Muscle.Group.choices}
    assert groups >= policy.ANTERIOR_NECK_GROUPS
    assert groups >= policy.POSTERIOR_NECK_GROUPS
    assert not policy.ANTERIOR_NECK_GROUPS & policy.POSTERIOR_NECK_GROUPS
    assert set(policy.REDUCING_KINDS) <= {value for value, _ in AdverseEvent.Kind.choices}


def test_the_sources_cited_are_in_the_reference_set():
    codes = set(REFERENCE["sources"])
    assert set(policy.ANTERIOR_NECK_SOURCE_CODES) <= codes
    assert set(policy.GUIDANCE_SOURCE_CODES) <= codes


def test_sternocleidomastoid_is_anterior_neck_whatever_its_group_and_splenius_is_not():
    assert policy.is_anterior_neck("SCM", "posterior")
    assert policy.is_anterior_neck("PLATYSMA", "anterolateral")
    assert not policy.is_anterior_neck("SPLENIUS_CAPITIS", "posterior")
    assert MUSCLES["SCM"].anterior_neck and not MUSCLES["SPLENIUS_CAPITIS"].anterior_neck


@pytest.mark.django_db
def test_a_setting_without_an_active_row_falls_back_and_the_safety_policy_names_it():
    from planner.models import PolicySetting
    from planner.plans.selectors import _policy
    from planner.reference.selectors import policy_values

    PolicySetting.objects.create(code="near_session_max_fraction", value=Decimal("0.7"), note="Clinic policy: test")
    PolicySetting.objects.create(code="usual_cycle_weeks", value=14, note="Clinic policy: test", is_active=False)
    values = policy_values()
    assert values["near_session_max_fraction"] == Decimal("0.7") and not values.default_used(
        "near_session_max_fraction"
    )
    assert values["usual_cycle_weeks"] == policy.SETTING_FALLBACKS["usual_cycle_weeks"]
    assert values.default_used("usual_cycle_weeks")  # an inactive row is no row
    safety_policy = _policy()
    assert safety_policy.near_session_max_fraction == Decimal("0.7")
    assert safety_policy.defaults_used == {
        "min_volume_per_site_ml",
        "max_volume_per_site_ml",
        "median_multiple_warning",
        "outside_toxin_window_weeks",
    }


def test_the_fallbacks_are_positive_and_the_adult_age_is_the_labels():
    assert all(value > 0 for value in policy.SETTING_FALLBACKS.values())
    assert policy.ADULT_AGE == 18
    assert policy.default_used_text("lapsed_after_days") == (
        "default used: the reference data has no active lapsed_after_days setting; the built-in 365 applies"
    )
