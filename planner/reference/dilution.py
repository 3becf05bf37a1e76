"""Reconstitution arithmetic: units per 0.1 mL and the volume to draw for a dose.

units per 0.1 mL = vial units / (diluent mL x 10). A ready-to-use solution (rimabotulinumtoxinB,
5000 U/mL) already holds vial units / concentration mL; any saline added dilutes it further.
Everything stays in the units of the one product being prepared: nothing here relates two products.
Computed on demand, never stored. Decimal throughout, so 100 U in 8 mL is exactly 1.25 U per 0.1 mL.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

TENTH_ML = Decimal("0.1")


class DilutionError(ValueError):
    """Bad input for one field; ``field`` names it so a form can show the message there."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Strength:
    vial_units: Decimal | None
    diluent_ml: Decimal
    per_ml: Decimal
    total_ml: Decimal | None

    @property
    def per_0_1_ml(self):
        return self.per_ml * TENTH_ML


def _decimal(field, value, *, allow_zero=False):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DilutionError(field, "Enter a number.") from None
    if not number.is_finite() or number < 0 or (number == 0 and not allow_zero):
        raise DilutionError(field, "Must be zero or more." if allow_zero else "Must be greater than zero.")
    return number


def strength(*, vial_units, diluent_ml, supplied_units_per_ml=None):
    """Units per mL of one vial after adding ``diluent_ml`` of saline.

    ``supplied_units_per_ml`` is set for a ready-to-use solution and empty for a powder. A solution's
    ``vial_units`` may be empty when nothing is added: it is then as strong as supplied.
    """
    diluent = _decimal("diluent_ml", diluent_ml, allow_zero=True)
    if supplied_units_per_ml is None:
        vial = _decimal("vial_units", vial_units)
        if diluent == 0:
            raise DilutionError("diluent_ml", "A powder needs diluent: enter the volume of saline added.")
        return Strength(vial_units=vial, diluent_ml=diluent, per_ml=vial / diluent, total_ml=diluent)
    supplied = _decimal("supplied_units_per_ml", supplied_units_per_ml)
    if vial_units is None:
        if diluent:
            raise DilutionError("vial_units", "Choose the vial: the dilution depends on how much it holds.")
        return Strength(vial_units=None, diluent_ml=diluent, per_ml=supplied, total_ml=None)
    vial = _decimal("vial_units", vial_units)
    total = vial / supplied + diluent
    return Strength(vial_units=vial, diluent_ml=diluent, per_ml=vial / total, total_ml=total)


def strength_for(product, *, vial_units, diluent_ml):
    """``strength`` for a Product row: a solution brings its supplied concentration."""
    supplied = product.concentration_units_per_ml if product.form == "solution" else None
    return strength(vial_units=vial_units, diluent_ml=diluent_ml, supplied_units_per_ml=supplied)


def volume_to_draw(*, dose_units, of):
    """mL of the prepared vial ``of`` (a Strength) that hold ``dose_units``."""
    dose = _decimal("dose_units", dose_units)
    if of.vial_units is not None and dose > of.vial_units:
        raise DilutionError(
            "dose_units", f"More than one vial holds ({of.vial_units.normalize():f} U): use a larger vial or two."
        )
    return dose / of.per_ml
