"""Prior dysphagia: the one definition the chart's alert and the planner's safety check share.

Pure (plain values, no ORM), so ``planner.rules.safety`` uses it over its own dataclasses and
``patients.selectors`` over the models. Dysphagia after botulinum toxin in the neck is the complication
the plan's cautions guard against; when in doubt, it counts.
"""

DYSPHAGIA = "dysphagia"  # AdverseEvent.Kind.DYSPHAGIA
# Patient.Swallowing values that mean swallowing was already impaired before any injection.
IMPAIRED_BASELINE = frozenset({"mild", "moderate", "severe"})


def dysphagia_reported(kind, grade):
    """Whether a side effect counts as dysphagia: its kind is dysphagia and its grade is not 0 (normal
    swallowing). A grade not recorded counts: the safer reading of a dysphagia report."""
    return str(kind).lower() == DYSPHAGIA and grade != 0


def baseline_dysphagia(baseline_swallowing):
    """Whether swallowing was impaired at baseline (mild, moderate or severe; not "not assessed")."""
    return str(baseline_swallowing) in IMPAIRED_BASELINE


def has_prior_dysphagia(baseline_swallowing, events):
    """Dysphagia at baseline or reported as a side effect; ``events`` are (kind, grade) pairs."""
    return baseline_dysphagia(baseline_swallowing) or any(dysphagia_reported(kind, grade) for kind, grade in events)
