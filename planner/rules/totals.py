"""A session's arithmetic: dose totals, volume per injection site, and the vials for the dose. Pure, no ORM.

The one place these sums and divisions are written: the safety check, the plan editor, the sign page,
the record and its PDF, the exports and the billing facts all call these functions.

Every amount is in one product's units (the doses and the vial sizes are the same product's): nothing
here converts or mixes products. A caller passes the rows of one session, whose doses are all in that
session's product.

Once the nurse has recorded the preparation, the vials are the prepared size, as many as cover the
dose. Before that the planner shows the smallest combination of the product's vial sizes that covers
the dose (least units supplied, then fewest vials), and says that this is what it is: a proposal,
not a record of what was used.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from itertools import product as cartesian

PREPARED = "prepared"
SMALLEST = "smallest"
VOLUME_SHOWN_TO = Decimal("0.01")  # mL per site as shown beside the plan


def dose_total(doses):
    """The sum of ``doses`` (one session's, in its product's units); a dose not entered yet (None) adds nothing."""
    return sum((dose for dose in doses if dose is not None), Decimal(0))


def volume_per_site(dose, sites, units_per_ml):
    """mL injected at each site: ``dose`` units over ``sites`` sites at ``units_per_ml`` units per mL.

    None when there is nothing to divide by (no sites, no known strength) or no dose. Not rounded.
    """
    if dose is None or not sites or not units_per_ml:
        return None
    return dose / sites / units_per_ml


@dataclass(frozen=True)
class SiteVolume:
    muscle: str
    side: str
    ml_per_site: Decimal  # rounded to VOLUME_SHOWN_TO


@dataclass(frozen=True)
class PlanTotals:
    """What the editor, the sign page and the record show under the rows."""

    left: Decimal
    right: Decimal
    vial_plan: "VialPlan | None"
    strength: Decimal | None  # units per mL once the dilution is recorded
    volumes: tuple[SiteVolume, ...]

    @property
    def total(self):
        return self.left + self.right


def plan_totals(rows, *, vial_sizes=(), prepared_vial=None, units_per_ml=None):
    """Units per side and per session, the vials for the session's dose, and the volume per site.

    ``rows`` are (muscle name, side, dose, sites) of one session, doses in its product's units (None while
    not entered). ``vial_sizes``: the product's vial sizes; ``prepared_vial``: the size the nurse
    recorded for this product, if any; ``units_per_ml``: the prepared strength, if recorded.
    """
    dosed = [(name, side, dose, sites) for name, side, dose, sites in rows if isinstance(dose, Decimal)]
    left = dose_total(dose for _, side, dose, _ in dosed if side == "left")
    right = dose_total(dose for _, side, dose, _ in dosed if side == "right")
    volumes = []
    for name, side, dose, sites in dosed:
        volume = volume_per_site(dose, sites, units_per_ml)
        if volume is not None:
            volumes.append(SiteVolume(muscle=name, side=side, ml_per_site=volume.quantize(VOLUME_SHOWN_TO)))
    return PlanTotals(
        left=left,
        right=right,
        vial_plan=vials_for_dose(left + right, sizes=vial_sizes, prepared_size=prepared_vial),
        strength=units_per_ml,
        volumes=tuple(volumes),
    )


@dataclass(frozen=True)
class VialPlan:
    basis: str  # PREPARED (the recorded vial size) or SMALLEST (a proposal from the product's sizes)
    vials: tuple[tuple[Decimal, int], ...]  # (size, count), largest size first, counts above zero
    dose: Decimal
    supplied: Decimal
    discarded: Decimal

    @property
    def count(self):
        return sum(count for _, count in self.vials)


def vials_for_dose(dose, *, sizes, prepared_size=None):
    """The vials for ``dose`` units, or None when there is no dose or no vial size to count with.

    ``sizes``: the product's vial sizes. ``prepared_size``: the size the nurse recorded, if any; it wins.
    """
    dose = Decimal(dose or 0)
    if dose <= 0:
        return None
    if prepared_size:
        size = Decimal(prepared_size)
        count = math.ceil(dose / size)
        return VialPlan(PREPARED, ((size, count),), dose, size * count, size * count - dose)
    usable = sorted({Decimal(size) for size in sizes or () if Decimal(size) > 0}, reverse=True)
    if not usable:
        return None
    counts = _smallest_cover(dose, usable)
    vials = tuple((size, count) for size, count in zip(usable, counts, strict=True) if count)
    supplied = sum((size * count for size, count in vials), Decimal(0))
    return VialPlan(SMALLEST, vials, dose, supplied, supplied - dose)


def _smallest_cover(dose, sizes):
    """Counts per size (``sizes`` largest first) whose sum covers ``dose`` with the least units, then vials.

    The largest size takes whatever the smaller ones leave. A smaller size s never needs lcm(s, L) / s
    vials or more (L the largest size): that many supply exactly what lcm(s, L) / L largest vials do, in
    fewer vials. Nor more than cover the dose alone. So the search stays small for any dose.
    """
    largest, smaller = sizes[0], sizes[1:]
    ranges = [range(min(int(_lcm(size, largest) / size), math.ceil(dose / size) + 1)) for size in smaller]
    best_key, best = None, None
    for counts in cartesian(*ranges):
        covered = sum((size * count for size, count in zip(smaller, counts, strict=True)), Decimal(0))
        large = max(0, math.ceil((dose - covered) / largest))
        supplied = covered + large * largest
        key = (supplied, large + sum(counts))
        if best_key is None or key < best_key:
            best_key, best = key, (large, *counts)
    return best


def _lcm(a, b):
    """The least common multiple of two amounts with at most two decimals (vial sizes are stored so)."""
    scale = 100
    return Decimal(math.lcm(int(a * scale), int(b * scale))) / scale
