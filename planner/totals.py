"""Vials for a session's dose: which vials, how many, and how many units are discarded. Pure, no ORM.

Every amount is in one product's units (the doses and the vial sizes are the same product's): nothing
here converts or mixes products.

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
