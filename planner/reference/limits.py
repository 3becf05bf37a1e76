"""Which of a product's labelled limits a safety check applies.

A product can hold several rows of one limit kind: one per jurisdiction (Botox: 300 U per sitting in
the EU-type PI, no session maximum found in the US text), and explicit "not labelled" rows without a
value. A safety check asks for one answer per kind, and gets the most conservative one:

- the minimum re-treatment interval: the longest interval;
- a cumulative maximum: the lowest rate (units per week of its period), then the longest period;
- every other kind (session maximum, per-site maximum, starting doses, range ends, titration step):
  the lowest value.

Ties go to the better verified row. Inactive rows are ignored. When no active row has a value the
answer has no value (`is_labelled` is False) and carries the notes and sources of the "not labelled"
rows, so the check can say why. The answer keeps its row's verification flag: a check must present an
unverified value as unverified, never as established.

Plain data in, plain data out: no ORM, so `planner.rules.safety` can use it directly.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from planner.reference.formatting import span

LONGEST_IS_SAFEST = {"min_interval_weeks"}
VERIFICATION_RANK = {"verified": 0, "computed": 1, "partly_verified": 2, "unverified": 3}


@dataclass(frozen=True)
class LimitRow:
    kind: str
    jurisdiction: str
    value: Decimal | None
    verification: str
    sources: tuple[str, ...]
    value_upper: Decimal | None = None
    period_weeks: int | None = None
    note: str = ""
    is_active: bool = True


@dataclass(frozen=True)
class EffectiveLimit:
    kind: str
    value: Decimal | None
    verification: str
    sources: tuple[str, ...]
    note: str
    jurisdiction: str = ""
    value_upper: Decimal | None = None
    period_weeks: int | None = None
    # Every active row of this kind, so a check can also cite the other jurisdictions.
    considered: tuple[LimitRow, ...] = field(default=())

    @property
    def is_labelled(self):
        return self.value is not None

    @property
    def amount_text(self):
        """'300', '50–75'; the unit (its product's units, or weeks) is the caller's to add."""
        return "" if self.value is None else span(self.value, self.value_upper or self.value)

    @property
    def is_established(self):
        return self.verification in ("verified", "computed")


def _conservativeness(row):
    """Sort key: the most conservative row first."""
    if row.kind in LONGEST_IS_SAFEST:
        primary = -row.value
    elif row.kind == "cumulative_max" and row.period_weeks:
        primary = row.value / row.period_weeks
    else:
        primary = row.value
    longer_period_first = -(row.period_weeks or 0)
    return (primary, longer_period_first, VERIFICATION_RANK.get(row.verification, 9), row.jurisdiction)


def effective_limit(kind, rows):
    """The most conservative active row of ``kind`` among ``rows`` (LimitRow), as an EffectiveLimit."""
    active = tuple(row for row in rows if row.kind == kind and row.is_active)
    labelled = sorted((row for row in active if row.value is not None), key=_conservativeness)
    if labelled:
        best = labelled[0]
        return EffectiveLimit(
            kind=kind,
            value=best.value,
            value_upper=best.value_upper,
            period_weeks=best.period_weeks,
            jurisdiction=best.jurisdiction,
            verification=best.verification,
            sources=best.sources,
            note=best.note,
            considered=active,
        )
    if not active:
        return EffectiveLimit(
            kind=kind,
            value=None,
            verification="unverified",
            sources=(),
            note="No row for this limit in the reference data.",
        )
    # Not labelled anywhere: say so with the least verified row's flag, and every reason given.
    weakest = max(active, key=lambda row: VERIFICATION_RANK.get(row.verification, 9))
    return EffectiveLimit(
        kind=kind,
        value=None,
        verification=weakest.verification,
        sources=tuple(sorted({code for row in active for code in row.sources})),
        note=" ".join(row.note for row in active if row.note),
        considered=active,
    )
