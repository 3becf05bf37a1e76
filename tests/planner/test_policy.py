"""planner.rules.policy: the clinic's classifications name real muscle groups, kinds and sources."""

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
