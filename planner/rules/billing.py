"""The billing lines of one signed session, from the reference data's codes: pure Python, no ORM.

What a claim for a cervical dystonia session needs (every code comes from the reference data,
planner.models.cycle.BillingCode, with its source and verification flag):

- the drug line: the product's own HCPCS code, and the units administered counted in that code's
  billing unit, which is a number of the SAME product's units (1 U Botox for J0585, 5 U Dysport for
  J0586, 100 U Myobloc for J0587). Nothing is converted between products; a product without a code of
  its own gets no drug line, never another product's code;
- the discarded units on a separate line of the same code with the JW modifier, or the JZ modifier on
  the drug line when nothing was discarded (needs the vials used, from the preparation);
- the procedure, 64616 (neck muscles, unilateral) once per side: one side, one line; both sides,
  one line with the bilateral modifier 50 (Medicare's way; some payers want two lines, RT and LT);
- the guidance add-ons by the guidance recorded on the rows: 95874 (EMG), 76942 (ultrasound);
- the diagnosis, G24.3.

Rounding: a dose between two billing units is billed as the next whole unit up (252 U Dysport is
50.4 units of 5 U, billed 51). The discarded line is the rest of the vials opened in billing units
(a 300 U vial is 60 units; 60 - 51 = 9), so the two lines always add up to what was opened and the
rounding is never counted twice.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from planner.reference.formatting import amount

DRUG = "drug"
DISCARD = "discard_modifier"
NO_DISCARD = "no_discard_modifier"
PROCEDURE = "procedure"
BILATERAL = "bilateral_modifier"
EMG = "emg_guidance"
ULTRASOUND = "ultrasound_guidance"
DIAGNOSIS = "diagnosis"


@dataclass(frozen=True)
class Code:
    """A billing code from the reference data (plain data)."""

    code: str
    kind: str
    description: str
    sources: tuple = ()
    verification: str = "unverified"
    product_code: str = ""
    billing_unit: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class SessionFacts:
    """What the claim is built from, all in the session's own product's units."""

    product_code: str
    product_name: str
    units_label: str
    administered: Decimal
    sides: frozenset  # "left", "right": the sides with at least one dose
    guidance: frozenset  # "anatomical", "emg", "ultrasound": as recorded on the rows
    vial_units: Decimal | None = None
    vial_count: int | None = None
    ndc: str = ""


@dataclass(frozen=True)
class Line:
    code: str
    description: str
    modifiers: tuple = ()
    units: int | None = None  # billed units; None for a diagnosis
    explanation: str = ""
    sources: tuple = ()
    verification: str = "unverified"
    ndc: str = ""

    @property
    def code_text(self):
        """'J0586-JW', '64616-50'."""
        return "-".join((self.code, *self.modifiers))


@dataclass(frozen=True)
class BillingRecord:
    lines: tuple
    notes: tuple = field(default_factory=tuple)  # what could not be billed, and why

    @property
    def unverified(self):
        return any(line.verification != "verified" for line in self.lines)


def billed_units(units, billing_unit):
    """Units of a product in whole billing units of the same product, a part unit rounded up."""
    return math.ceil(Decimal(units) / Decimal(billing_unit))


def _line(code, *, modifiers=(), units=None, explanation="", ndc=""):
    return Line(
        code=code.code,
        description=code.description,
        modifiers=tuple(modifiers),
        units=units,
        explanation=explanation,
        sources=tuple(code.sources),
        verification=code.verification,
        ndc=ndc,
    )


def billing_record(facts, codes):
    """The BillingRecord of a signed session. ``codes``: the active Code rows of the reference data."""
    by_kind = {}
    for code in codes:
        if code.kind == DRUG:
            by_kind.setdefault((DRUG, code.product_code), code)
        else:
            by_kind.setdefault(code.kind, code)
    lines, notes = [], []
    _drug_lines(facts, by_kind, lines, notes)
    _procedure_lines(facts, by_kind, lines, notes)
    diagnosis = by_kind.get(DIAGNOSIS)
    if diagnosis:
        lines.append(_line(diagnosis, explanation="Diagnosis for every line of this claim."))
    else:
        notes.append("No active diagnosis code in the reference data.")
    return BillingRecord(lines=tuple(lines), notes=tuple(notes))


def _drug_lines(facts, by_kind, lines, notes):
    drug = by_kind.get((DRUG, facts.product_code))
    if drug is None:
        notes.append(
            f"The reference data has no product-specific billing code for {facts.product_name}: no drug line. "
            "Units of another product's code are never used for it; the billing office decides how to bill it."
        )
        return
    unit = drug.billing_unit
    given = billed_units(facts.administered, unit)
    unit_text = f"{amount(unit)} {facts.units_label}"
    explanation = f"{amount(facts.administered)} {facts.units_label} administered = {given} × {unit_text}"
    if facts.administered % unit:
        explanation += f" ({amount(facts.administered / unit)} rounded up to whole billing units)"
    explanation += "."
    opened = None
    if facts.vial_units and facts.vial_count:
        opened = facts.vial_units * facts.vial_count
    if opened is None:
        lines.append(_line(drug, units=given, explanation=explanation, ndc=facts.ndc))
        notes.append("The vials used are not recorded: the discarded units (JW) or JZ cannot be worked out.")
        return
    if opened < facts.administered:
        lines.append(_line(drug, units=given, explanation=explanation, ndc=facts.ndc))
        notes.append(
            f"The vials recorded ({facts.vial_count} × {amount(facts.vial_units)} U) hold less than was "
            "administered: check the preparation before billing the discarded units."
        )
        return
    discarded_units = billed_units(opened, unit) - given
    if discarded_units == 0:
        no_discard = by_kind.get(NO_DISCARD)
        modifiers = (no_discard.code,) if no_discard else ()
        lines.append(_line(drug, modifiers=modifiers, units=given, explanation=explanation, ndc=facts.ndc))
        if no_discard is None:
            notes.append("Nothing was discarded, but there is no active 'no discard' modifier in the reference data.")
        return
    lines.append(_line(drug, units=given, explanation=explanation, ndc=facts.ndc))
    discard = by_kind.get(DISCARD)
    wasted = opened - facts.administered
    wasted_text = (
        f"{amount(wasted)} {facts.units_label} discarded of {facts.vial_count} × {amount(facts.vial_units)} U "
        f"opened = {discarded_units} × {unit_text} (the rest of the vials in billing units)."
    )
    if discard is None:
        notes.append(f"{wasted_text} There is no active discard modifier in the reference data: no discard line.")
        return
    lines.append(_line(drug, modifiers=(discard.code,), units=discarded_units, explanation=wasted_text, ndc=facts.ndc))


def _procedure_lines(facts, by_kind, lines, notes):
    procedure = by_kind.get(PROCEDURE)
    if procedure is None:
        notes.append("No active procedure code in the reference data.")
    elif len(facts.sides) == 2:
        bilateral = by_kind.get(BILATERAL)
        if bilateral is None:
            lines.append(_line(procedure, units=2, explanation="Both sides injected: once per side."))
        else:
            lines.append(
                _line(
                    procedure,
                    modifiers=(bilateral.code,),
                    units=1,
                    explanation="Both sides injected: one line with the bilateral modifier. "
                    "Some payers want two lines (RT and LT) instead: follow the payer.",
                )
            )
    elif facts.sides:
        (side,) = facts.sides
        lines.append(_line(procedure, units=1, explanation=f"One side injected ({side})."))
    for kind, method, label in ((EMG, "emg", "EMG"), (ULTRASOUND, "ultrasound", "Ultrasound")):
        if method not in facts.guidance:
            continue
        code = by_kind.get(kind)
        if code is None:
            notes.append(f"{label} guidance was recorded, but there is no active {label} guidance code.")
        else:
            lines.append(_line(code, units=1, explanation=f"{label} guidance recorded on at least one injection."))


# --- cost ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    """What a session's vials cost the clinic, in one currency: the drug, and the discarded part of it."""

    currency: str
    drug: Decimal
    discarded: Decimal


def session_cost(*, administered, vial_units, vial_count, price, currency):
    """Cost of the vials opened (price per vial × vials) and the share of it discarded; None without a price.

    The price is per vial of this product at this size: no price of another product or size is used.
    """
    if price is None or not vial_units or not vial_count:
        return None
    opened = vial_units * vial_count
    drug = (price * vial_count).quantize(Decimal("0.01"))
    wasted = max(opened - administered, Decimal(0))
    discarded = (price * wasted / vial_units).quantize(Decimal("0.01"))
    return Cost(currency=currency, drug=drug, discarded=discarded)
