"""The plausible range of every number in the reference data, in one place.

A vial of 1e309 units, or one with 30 digits, is a typo or an attack, never a product: such a value
once got past the admin and every preparation page for the product failed. The model validators,
the admin's vial-size field and the CSV import all read their bounds from here.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator


@dataclass(frozen=True)
class Bound:
    low: Decimal
    high: Decimal
    unit: str
    decimal_places: int = 2

    def validators(self):
        return [
            MinValueValidator(self.low, message=f"Must be at least {self.low} {self.unit}."),
            MaxValueValidator(self.high, message=f"Must be at most {self.high} {self.unit}."),
        ]

    def contains(self, value):
        return self.low <= value <= self.high


UNITS = Bound(Decimal("0.01"), Decimal("100000"), "units")  # doses, limits, vial sizes, thresholds
ML = Bound(Decimal("0"), Decimal("100"), "mL")
WEEKS = Bound(Decimal("1"), Decimal("520"), "weeks")  # ten years
SITES = Bound(Decimal("1"), Decimal("100"), "sites", decimal_places=0)
MAX_VIAL_SIZES = 20


def vial_size(text):
    """One vial size as typed ("100", "7.5") -> int or float, or ValidationError naming it."""
    try:
        size = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValidationError(f"{str(text)[:40]!r} is not a number.") from None
    if not size.is_finite() or not UNITS.contains(size):
        raise ValidationError(f"A vial size must be from {UNITS.low} to {UNITS.high} units; {str(text)[:40]} is not.")
    if size != size.quantize(Decimal("0.01")):
        raise ValidationError(f"A vial size has at most two decimals; {str(text)[:40]} has more.")
    return int(size) if size == size.to_integral_value() else float(size)


def vial_sizes(values):
    """A list of vial sizes: each in range, no size twice, at least one and at most MAX_VIAL_SIZES."""
    sizes = [vial_size(value) for value in values]
    if not sizes:
        raise ValidationError("Give at least one vial size.")
    if len(sizes) > MAX_VIAL_SIZES:
        raise ValidationError(f"Give at most {MAX_VIAL_SIZES} vial sizes.")
    if len(set(sizes)) != len(sizes):
        raise ValidationError("Each vial size once: a size is listed twice.")
    return sizes


def vial_sizes_problem(values):
    """The message when stored vial sizes are out of range (a bad row written before validation), else ""."""
    if not isinstance(values, list) or any(isinstance(value, bool) for value in values):
        return "The product's vial sizes are not a list of numbers."
    try:
        vial_sizes(values)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def usable_vial_sizes(values):
    """Stored vial sizes as Decimals for arithmetic, or [] when the stored list is not valid: the pages that
    use them then say so instead of failing (vial_sizes_problem gives the message)."""
    if vial_sizes_problem(values):
        return []
    return [Decimal(str(value)) for value in values]
