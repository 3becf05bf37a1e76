"""Titration hints and the secondary non-response flag: pure Python over plain data (no ORM, no request).

Hints only. Nothing here changes a dose: the editor shows each hint beside the plan, with the fact
that triggered it and the sourced step, and the neurologist decides.

- A hint needs a titration step for the product in the reference data (a ProductLimit of kind
  "titration_step", with its source) and the last cycle with the SAME product: another product's
  doses are in other units and say nothing about this one's.
- "Consider reducing" a muscle and side: dysphagia or neck weakness was reported after the last
  cycle, and the muscle is anterior (anterior, anterolateral, prevertebral group) or posterior and
  injected on both sides: the muscles those side effects usually follow (clinical-reference.md §5:
  dysphagia most often follows SCM injection (D21), bilateral SCM raises the risk (D12)).
- "Consider increasing": the benefit was short (under the clinic's short_benefit_weeks, clinic
  policy) and no side effect was reported after at least one follow-up.

Secondary non-response: the patient's benefit rating fell over at least N consecutive cycles (clinic
policy), each by at least the policy's points, at a total dose at or above the cycle before, with one
product throughout (doses of different products are not compared).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from patients.sides import BOTH_SIDES
from planner.reference.formatting import amount, span
from planner.rules.policy import ANTERIOR_NECK_GROUPS, POSTERIOR_NECK_GROUPS, REDUCING_KINDS


@dataclass(frozen=True)
class DoseRow:
    muscle_code: str
    muscle_name: str
    group: str
    side: str
    dose: Decimal

    @property
    def site_text(self):
        return f"{self.side} {self.muscle_name[:1].lower()}{self.muscle_name[1:]}"


@dataclass(frozen=True)
class Event:
    kind: str
    text: str  # "dysphagia (grade 2, moderate, from day 5 for 14 days)"


@dataclass(frozen=True)
class PastCycle:
    date: date
    product_code: str
    product_name: str
    units_label: str
    rows: tuple  # DoseRow
    events: tuple  # Event reported after this cycle
    follow_ups: int  # visits since, where side effects were asked
    duration_weeks: int | None  # benefit from onset to wear-off (CycleResponse), when known


@dataclass(frozen=True)
class Step:
    low: Decimal
    high: Decimal | None
    sources: tuple
    verification: str

    def text(self, units_label):
        return f"{span(self.low, self.high or self.low)} {units_label}"


@dataclass(frozen=True)
class Hint:
    muscle_code: str
    side: str
    action: str  # "reduce" or "increase"
    text: str
    sources: tuple
    verification: str


def implicated_rows(kind, rows):
    """The rows a side effect of ``kind`` usually follows: anterior muscles, and posterior ones given on both sides."""
    if kind not in REDUCING_KINDS:
        return ()
    sides = {}
    for row in rows:
        sides.setdefault(row.muscle_code, set()).add(row.side)
    return tuple(
        row
        for row in rows
        if row.group in ANTERIOR_NECK_GROUPS
        or (row.group in POSTERIOR_NECK_GROUPS and sides[row.muscle_code] == BOTH_SIDES)
    )


def titration_hints(*, last, product_code, step, short_weeks):
    """(hints, notes): per muscle and side of the last cycle; notes say why there is no hint, when there is none."""
    if last is None:
        return (), ()
    if last.product_code != product_code:
        return (), (f"No titration hint: the last cycle used {last.product_name}, whose units are not this product's.",)
    if step is None:
        return (), (f"No titration hint: the reference data gives no titration step for {last.product_name}.",)
    step_text = f"the sourced step is {step.text(last.units_label)} ({', '.join(step.sources)})"
    when = f"{last.date:%d %b %Y}"
    hints = []
    reasons = {}
    for event in last.events:
        for row in implicated_rows(event.kind, last.rows):
            reasons.setdefault(row, []).append(event.text)
    for row, texts in reasons.items():
        hints.append(
            Hint(
                muscle_code=row.muscle_code,
                side=row.side,
                action="reduce",
                text=f"Consider reducing {row.site_text}: {'; '.join(texts)} after {amount(row.dose)} "
                f"{last.units_label} on {when}; {step_text}.",
                sources=step.sources,
                verification=step.verification,
            )
        )
    short = last.duration_weeks is not None and last.duration_weeks < short_weeks
    if short and not last.events and last.follow_ups:
        for row in last.rows:
            hints.append(
                Hint(
                    muscle_code=row.muscle_code,
                    side=row.side,
                    action="increase",
                    text=f"Consider increasing {row.site_text}: the benefit lasted {last.duration_weeks} weeks "
                    f"(short: under {amount(short_weeks)}, clinic policy) with no side effects after "
                    f"{amount(row.dose)} {last.units_label} on {when}; {step_text}.",
                    sources=step.sources,
                    verification=step.verification,
                )
            )
    return tuple(hints), ()


# --- secondary non-response -----------------------------------------------------------------------


@dataclass(frozen=True)
class CyclePoint:
    date: date
    product_code: str
    product_name: str
    units_label: str
    total: Decimal
    benefit_percent: int | None


@dataclass(frozen=True)
class NonResponse:
    points: tuple  # the CyclePoints of the falling run, oldest first

    @property
    def text(self):
        first, last = self.points[0], self.points[-1]
        steps = ", ".join(
            f"{point.benefit_percent} % at {amount(point.total)} {point.units_label} ({point.date:%d %b %Y})"
            for point in self.points
        )
        return (
            f"Benefit fell over {len(self.points) - 1} consecutive cycles, from {first.benefit_percent} % to "
            f"{last.benefit_percent} %, at doses at or above the earlier ones: {steps}."
        )


def secondary_non_response(points, *, cycles_needed, drop_points):
    """NonResponse when the newest cycles show the falling run the policy describes, else None.

    ``points`` oldest first. A cycle without a benefit rating, or a change of product, ends the run.
    """
    needed = int(cycles_needed)
    run = []
    for point in reversed(points):
        if point.benefit_percent is None:
            break
        if run:
            later = run[-1]
            falls = point.benefit_percent - later.benefit_percent >= drop_points
            same_product = point.product_code == later.product_code
            if not (same_product and falls and later.total >= point.total):
                break
        run.append(point)
    if len(run) - 1 >= needed:
        return NonResponse(points=tuple(reversed(run)))
    return None
