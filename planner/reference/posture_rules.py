"""The posture contradictions of the reference data, for the posture form (patients.posture.contradictions)."""

from django.db.models import Prefetch

from patients.posture import Contradiction
from planner.models import PostureContradiction, Source
from planner.rules.suggest import format_codes


def posture_contradictions():
    """Every active PostureContradiction row as patients.posture.Contradiction (two queries)."""
    rules = []
    for row in PostureContradiction.objects.filter(is_active=True).prefetch_related(
        Prefetch("sources", queryset=Source.objects.only("id", "code"))
    ):
        codes = sorted(source.code for source in row.sources.all() if source.code != "CLINIC-POLICY")
        parts = [f"{'source' if len(codes) == 1 else 'sources'} {format_codes(codes)}"] if codes else []
        if row.clinic_policy:
            parts.append("clinic policy")
        rules.append(Contradiction(row.first, row.second, row.relation, row.reason, "; ".join(parts)))
    return tuple(rules)
