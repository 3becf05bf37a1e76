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
        "default used: the reference data has no active setting “overdue and not booked for more than this: lapsed "
        "(days)” (lapsed_after_days) from 1 to 3650; "
        "the built-in 365 applies"
    )


def test_every_setting_has_a_range_that_holds_its_fallback():
    assert set(policy.SETTING_RANGES) == set(policy.SETTING_FALLBACKS)
    for code, fallback in policy.SETTING_FALLBACKS.items():
        assert policy.setting_out_of_range(code, fallback) is None, code


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("outside_toxin_window_weeks", "521", "Enter a whole number from 1 to 520."),
        ("usual_cycle_weeks", "12.5", "Enter a whole number from 1 to 104."),
        ("lapsed_after_days", "0.5", "Enter a whole number from 1 to 3650."),
        ("near_session_max_fraction", "1.2", "Enter a value from 0.01 to 1."),
    ],
)
@pytest.mark.django_db
def test_a_setting_outside_its_range_is_refused_with_the_range(code, value, message):
    from django.core.exceptions import ValidationError

    from planner.models import PolicySetting

    setting = PolicySetting(code=code, value=Decimal(value), note="Clinic policy: test")
    with pytest.raises(ValidationError) as refused:
        setting.full_clean()
    assert refused.value.message_dict["value"][0].startswith(message)
    assert not PolicySetting.objects.filter(code=code).exists()


@pytest.mark.django_db
def test_a_stored_value_outside_its_range_is_not_used_and_the_fallback_says_so():
    from planner.models import PolicySetting
    from planner.reference.selectors import policy_values

    # Saved around the model's checks (a data migration, the shell): the code still never uses it.
    PolicySetting.objects.create(code="outside_toxin_window_weeks", value=Decimal("9000"), note="Clinic policy: test")
    values = policy_values()
    assert values["outside_toxin_window_weeks"] == policy.SETTING_FALLBACKS["outside_toxin_window_weeks"]
    assert values.default_used("outside_toxin_window_weeks")
    assert "from 1 to 520; the built-in 12 applies" in policy.default_used_text("outside_toxin_window_weeks")


def test_a_safety_policy_built_with_a_value_outside_its_range_uses_the_fallback_and_names_it():
    from planner.rules.safety import SafetyPolicy

    built = SafetyPolicy(near_session_max_fraction=Decimal(5), median_multiple_warning=Decimal(3))
    assert built.near_session_max_fraction == policy.SETTING_FALLBACKS["near_session_max_fraction"]
    assert built.median_multiple_warning == Decimal(3)  # in range: kept
    assert built.defaults_used == {"near_session_max_fraction"}
    # None keeps its meaning: that check is off, nothing falls back.
    assert SafetyPolicy(median_multiple_warning=None).median_multiple_warning is None
